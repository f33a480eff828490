"""Personal API tokens: created (shown once), looked up by hash, listed, revoked.

A token acts as its member, role included: a viewer's token can never write, and a member
demoted to viewer keeps tokens that the gate now refuses writes to. Viewers are therefore
only given read-only tokens, so that what a token says about itself stays true.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cairn.orgs import history
from cairn.orgs.models import ApiToken, Member, Organization

TOKEN_PREFIX = "cairn_"
# Letters and digits only (43 of them: over 256 bits): a token or its prefix never starts
# with "-", which a shell command would take for an option, and survives double-clicking.
TOKEN_ALPHABET = string.ascii_letters + string.digits
TOKEN_LENGTH = 43
# How much of a token is kept in clear (and shown in lists) to tell tokens apart.
SHOWN_LENGTH = len(TOKEN_PREFIX) + 6
# last_used_at is written at most this often per token: a busy script must not turn every
# read into a write.
TOUCH_EVERY_SECONDS = 60
NAME_MAX = 80


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_token(*, member: Member, name: str, read_only: bool = False) -> tuple[ApiToken, str]:
    """A new token for `member`; returns it with the only copy of its secret."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name, e.g. the script that uses it.")})
    if len(name) > NAME_MAX:
        raise ValidationError(
            {"name": _("Keep the name to %(count)d characters or fewer.") % {"count": NAME_MAX}}
        )
    if not member.is_active:
        raise ValidationError(_("That person is no longer active."))
    if not read_only and not member.can_write:
        raise ValidationError(
            {"read_only": _("Viewers have read-only access, so their tokens are read-only.")}
        )
    raw = TOKEN_PREFIX + "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))
    token = ApiToken.objects.create(
        organization_id=member.organization_id,
        member=member,
        name=name,
        prefix=raw[:SHOWN_LENGTH],
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
def revoke_token(*, token: ApiToken, actor: Member | None) -> ApiToken:
    """Revoke a token (idempotent). `actor` None is the operator on the command line."""
    if actor is not None:
        if token.organization_id != actor.organization_id:
            raise ValidationError(_("That item is not in this organization."))
        if token.member_id != actor.pk and not actor.is_admin:
            raise PermissionDenied(_("Only its owner or an admin can revoke a token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        owner = token.member
        history.record(
            organization=owner.organization,
            actor=actor,
            action=history.Action.UPDATED,
            target_kind="member",
            target_uid=owner.uid,
            target_label=owner.name,
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
        .filter(
            token_hash=hash_token(raw),
            member__is_active=True,
            # A person whose account is switched off must lose API access with their login.
            member__user__is_active=True,
        )
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    last = token.last_used_at
    if last is None or (now - last).total_seconds() > TOUCH_EVERY_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token, token.member


# Reads ---------------------------------------------------------------------------------------


def tokens_of(member: Member) -> QuerySet[ApiToken]:
    """A member's own tokens, newest first (revoked ones too: they are the audit trail)."""
    return ApiToken.objects.filter(organization_id=member.organization_id, member=member).order_by(
        "-created_at", "-id"
    )


def tokens_in(organization: Organization) -> QuerySet[ApiToken]:
    """Every token of an organization with its owner, for admins: one query."""
    return (
        ApiToken.objects.filter(organization=organization)
        .select_related("member__user")
        .order_by("-created_at", "-id")
    )


def token_for(member: Member, uid: str | uuid.UUID) -> ApiToken:
    """The gate for tokens: a member reaches their own, an admin every token of the
    organization; anything else (another organization's, someone else's, unknown) is a 404."""
    try:
        key = uid if isinstance(uid, uuid.UUID) else uuid.UUID(str(uid))
    except ValueError as exc:
        raise Http404 from exc
    tokens = ApiToken.objects.filter(organization_id=member.organization_id, uid=key)
    if not member.is_admin:
        tokens = tokens.filter(member=member)
    token = tokens.select_related("member__user", "member__organization").first()
    if token is None:
        raise Http404
    return token
