"""Rules shared by the OKR services: tenancy, visibility, owners."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cairn.okrs.models import (
    KeyResult,
    Objective,
    Visibility,
)
from cairn.orgs.models import Member

OBJECTIVE_FIELDS = ("title", "description", "period", "owner_person", "visibility")
KEY_RESULT_FIELDS = (
    "title",
    "description",
    "owner",
    "kind",
    "start_value",
    "target_value",
    "unit",
    "direction",
    "weight",
    "visibility",
)
# A change to these makes the key result's Context out of date (the check-in text's rule).
MATERIAL_FIELDS = ("target_value", "start_value", "kind", "direction", "owner")
INITIATIVE_FIELDS = ("title", "description", "team", "owner", "key_result", "state", "due")


def _same_org(actor: Member, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.organization_id != actor.organization_id:
            raise ValidationError(_("That item is not in this organization."))


def _check_visibility(visibility: str) -> None:
    # Anything but "public" is treated as private by the gate; refuse values that would
    # silently hide an item behind a typo.
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": _("Choose public or private.")})


def _check_owner(owner: Member | None, field: str) -> None:
    """An owner must be an active person who can write: a viewer could never update it."""
    if owner is None:
        return
    if not owner.is_active:
        raise ValidationError({field: _("That person is no longer active.")})
    if not owner.can_write:
        raise ValidationError({field: _("Viewers have read-only access and cannot own this.")})


def _set_shared_with(
    obj: Objective | KeyResult, members: Iterable[Member], actor: Member
) -> list[Any] | None:
    """Share with exactly `members`; returns the history change [before, after] (sorted
    names) when the list changed, so that sharing and un-sharing are on the record."""
    members = list(members)
    _same_org(actor, *members)
    before = sorted(m.name for m in obj.shared_with.select_related("user")) if obj.pk else []
    obj.shared_with.set(members)
    after = sorted(m.name for m in members)
    return None if before == after else [before or None, after or None]
