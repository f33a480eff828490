"""Writes on webhook endpoints: register, delete, switch back on, send a test event.

Keyword-only, one transaction each, validating before they save; the change is on the
organization's record. Only admins manage endpoints (checked here as well as by the caller,
because an endpoint sends the organization's data out of Cairn).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cairn.notifications import webhooks
from cairn.notifications.models import WebhookDelivery, WebhookEndpoint
from cairn.orgs import history
from cairn.orgs.models import Member

URL_MAX = 500
DESCRIPTION_MAX = 120
ENDPOINTS_PER_ORGANIZATION = 20


def _require_admin(actor: Member, endpoint: WebhookEndpoint | None = None) -> None:
    if endpoint is not None and endpoint.organization_id != actor.organization_id:
        raise ValidationError(_("That item is not in this organization."))
    if not (actor.is_active and actor.is_admin):
        raise PermissionDenied(_("Only admins can manage webhooks."))


def _clean_url(url: str) -> str:
    url = url.strip()
    if not url:
        raise ValidationError({"url": _("Enter the URL to send events to.")})
    if len(url) > URL_MAX:
        raise ValidationError(
            {"url": _("Keep the URL to %(count)d characters or fewer.") % {"count": URL_MAX}}
        )
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise ValidationError({"url": _("Enter a full http:// or https:// URL.")}) from exc
    if urlsplit(url).username or urlsplit(url).password:
        raise ValidationError(
            {"url": _("Leave credentials out of the URL: requests are signed with the secret.")}
        )
    return url


def _clean_events(event_types: Iterable[str]) -> list[str]:
    chosen = set(event_types)
    unknown = sorted(chosen - set(webhooks.EVENT_TYPES))
    if unknown:
        raise ValidationError(
            {"event_types": _("Unknown events: %(events)s") % {"events": ", ".join(unknown)}}
        )
    if not chosen:
        raise ValidationError({"event_types": _("Choose at least one event.")})
    return [event for event in webhooks.EVENT_TYPES if event in chosen]


@transaction.atomic
def create_endpoint(
    *, actor: Member, url: str, event_types: Iterable[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint owned by `actor`; returns it with its secret, which is shown
    once (it signs every request, so it is kept, but never displayed again)."""
    _require_admin(actor)
    url = _clean_url(url)
    events = _clean_events(event_types)
    description = description.strip()
    if len(description) > DESCRIPTION_MAX:
        raise ValidationError(
            {
                "description": _("Keep the description to %(count)d characters or fewer.")
                % {"count": DESCRIPTION_MAX}
            }
        )
    if WebhookEndpoint.objects.in_org(actor.organization).count() >= ENDPOINTS_PER_ORGANIZATION:
        raise ValidationError(
            _("An organization can have at most %(count)d webhooks: delete one first.")
            % {"count": ENDPOINTS_PER_ORGANIZATION}
        )
    secret = webhooks.new_secret()
    endpoint = WebhookEndpoint.objects.create(
        organization_id=actor.organization_id,
        owner=actor,
        url=url,
        description=description,
        secret=secret,
        event_types=events,
    )
    _on_record(actor, changes={"webhook": [None, url]})
    return endpoint, secret


@transaction.atomic
def delete_endpoint(*, endpoint: WebhookEndpoint, actor: Member) -> None:
    """Delete an endpoint and its delivery log; nothing more is sent to it."""
    _require_admin(actor, endpoint)
    _on_record(actor, changes={"webhook": [endpoint.url, None]})
    endpoint.delete()


@transaction.atomic
def enable_endpoint(*, endpoint: WebhookEndpoint, actor: Member) -> WebhookEndpoint:
    """Switch an endpoint back on after it was switched off; deliveries still waiting go out
    again (the sweep queues them)."""
    _require_admin(actor, endpoint)
    if endpoint.is_active:
        return endpoint
    endpoint.is_active = True
    endpoint.disabled_reason = ""
    endpoint.disabled_at = None
    endpoint.consecutive_failures = 0
    endpoint.save(
        update_fields=["is_active", "disabled_reason", "disabled_at", "consecutive_failures"]
    )
    waiting = list(
        WebhookDelivery.objects.open().filter(endpoint=endpoint).values_list("pk", flat=True)
    )
    # Each one due now, not at the end of a backoff that ran while nobody listened.
    WebhookDelivery.objects.filter(pk__in=waiting).update(next_attempt_at=timezone.now())
    transaction.on_commit(lambda: webhooks.enqueue(waiting), robust=True)
    _on_record(actor, changes={"webhook_enabled": [None, endpoint.url]})
    return endpoint


@transaction.atomic
def send_test_event(*, endpoint: WebhookEndpoint, actor: Member) -> WebhookDelivery:
    """Queue a `webhook.test` event for this one endpoint, whatever events it listens to."""
    _require_admin(actor, endpoint)
    if not endpoint.is_active:
        raise ValidationError(_("This webhook is switched off: switch it on first."))
    (delivery_id,) = webhooks.queue(
        organization=actor.organization,
        event=webhooks.TEST_EVENT,
        data={
            "message": "This is a test event from Cairn.",
            "actor": webhooks.person(actor),
            "webhook": {"id": str(endpoint.uid), "url": endpoint.url},
        },
        endpoints=[endpoint],
    )
    return WebhookDelivery.objects.get(pk=delivery_id)


def _on_record(actor: Member, *, changes: dict[str, list[str | None]]) -> None:
    organization = actor.organization
    history.record(
        organization=organization,
        actor=actor,
        action=history.Action.UPDATED,
        target_kind="organization",
        target_uid=organization.uid,
        target_label=organization.name,
        changes=changes,
    )
