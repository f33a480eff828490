"""Personal API tokens: created (shown once), looked up by hash, revoked."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cairn.orgs import history
from cairn.orgs.models import ApiToken, Member

TOKEN_PREFIX = "cairn_"
# last_used_at is written at most this often per token: a busy script must not turn every
# read into a write.
TOUCH_EVERY_SECONDS = 60


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_token(*, member: Member, name: str, read_only: bool = False) -> tuple[ApiToken, str]:
    """A new token for `member`; returns it with the only copy of its secret."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name, e.g. the script that uses it.")})
    if not member.is_active:
        raise ValidationError(_("That person is no longer active."))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organization_id=member.organization_id,
        member=member,
        name=name[:80],
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        token_hash=hash_token(raw),
        read_only=read_only,
    )
    history.record(
        organization=member.organization,
        actor=member,
        action=history.Action.CREATED,
        target_kind="member",
        target_uid=member.uid,
        target_label=member.name,
        changes={"api_token": [None, token.name]},
    )
    return token, raw


@transaction.atomic
def revoke_token(*, token: ApiToken, actor: Member) -> ApiToken:
    if token.organization_id != actor.organization_id:
        raise ValidationError(_("That item is not in this organization."))
    if token.member_id != actor.pk and not actor.is_admin:
        raise PermissionDenied(_("Only its owner or an admin can revoke a token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        history.record(
            organization=actor.organization,
            actor=actor,
            action=history.Action.UPDATED,
            target_kind="member",
            target_uid=token.member.uid,
            target_label=token.member.name,
            changes={"api_token": [token.name, None]},
        )
    return token


def member_for_token(raw: str) -> tuple[ApiToken, Member] | None:
    """The active token and its active member for a presented secret, else None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.active()
        .select_related("member__organization", "member__user")
        .filter(token_hash=hash_token(raw), member__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    last = token.last_used_at
    if last is None or (now - last).total_seconds() > TOUCH_EVERY_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token, token.member
