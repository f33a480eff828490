"""Reads of webhooks, through the gate: endpoints are the admins' business."""

from __future__ import annotations

import uuid

from django.http import Http404

from cairn.notifications.models import WebhookEndpoint
from cairn.orgs.access import require_admin
from cairn.orgs.models import Member


def endpoint_for(member: Member, uid: str | uuid.UUID) -> WebhookEndpoint:
    """An endpoint of the member's organization, for an admin: 403 for anyone else (who may
    know that webhooks exist, not what they are), 404 for another organization's endpoint or
    one that does not exist."""
    require_admin(member)
    try:
        key = uid if isinstance(uid, uuid.UUID) else uuid.UUID(str(uid))
    except ValueError as exc:
        raise Http404 from exc
    endpoint = (
        WebhookEndpoint.objects.in_org(member.organization)
        .select_related("owner__user")
        .filter(uid=key)
        .first()
    )
    if endpoint is None:
        raise Http404
    return endpoint
