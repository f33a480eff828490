"""Initiatives: the work a team does to move a key result or objective."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cairn.okrs import closing
from cairn.okrs.models import (
    Initiative,
    InitiativeState,
    KeyResult,
    Objective,
)
from cairn.okrs.services.common import INITIATIVE_FIELDS, _check_owner, _same_org
from cairn.orgs import history
from cairn.orgs.models import Member, Period, Team

# Initiatives --------------------------------------------------------------------------------


def _record_cascaded_initiatives(
    initiatives: QuerySet[Initiative], actor: Member, note: str
) -> None:
    """Initiatives that a database cascade deletes still get their own deleted event."""
    for uid, title in initiatives.values_list("uid", "title"):
        history.record(
            organization=actor.organization,
            actor=actor,
            action=history.Action.DELETED,
            target_kind="initiative",
            target_uid=uid,
            target_label=title,
            note=note,
        )


def _check_initiative(
    *, actor: Member, objective: Objective, key_result: KeyResult | None, team: Team
) -> None:
    _same_org(actor, objective, key_result, team)
    if key_result is not None and key_result.objective_id != objective.pk:
        raise ValidationError({"key_result": _("That key result belongs to another objective.")})


@transaction.atomic
def create_initiative(
    *,
    actor: Member,
    objective: Objective,
    team: Team,
    title: str,
    key_result: KeyResult | None = None,
    owner: Member | None = None,
    description: str = "",
    state: str = InitiativeState.PLANNED,
    due: Any = None,
) -> Initiative:
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("An initiative needs a title.")})
    if state not in InitiativeState.values:
        raise ValidationError({"state": _("Unknown state.")})
    _check_initiative(actor=actor, objective=objective, key_result=key_result, team=team)
    closing.ensure_open(objective)
    _same_org(actor, owner)
    _check_owner(owner, "owner")
    initiative = Initiative.objects.create(
        organization_id=actor.organization_id,
        period_id=objective.period_id,
        objective=objective,
        key_result=key_result,
        team=team,
        owner=owner,
        title=title,
        description=description,
        state=state,
        due=due,
    )
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.CREATED,
        target_kind="initiative",
        target_uid=initiative.uid,
        target_label=initiative.title,
        changes={
            key: [None, value]
            for key, value in history.snapshot(initiative, INITIATIVE_FIELDS).items()
            if value not in (None, "")
        },
    )
    return initiative


@transaction.atomic
def update_initiative(*, initiative: Initiative, actor: Member, **fields: Any) -> Initiative:
    unknown = set(fields) - set(INITIATIVE_FIELDS)
    if unknown:
        raise TypeError(f"unknown initiative fields: {sorted(unknown)}")
    _same_org(actor, initiative)
    closing.ensure_initiative_open(initiative)
    if "title" in fields:
        fields["title"] = fields["title"].strip()
        if not fields["title"]:
            raise ValidationError({"title": _("An initiative needs a title.")})
    if "state" in fields and fields["state"] not in InitiativeState.values:
        raise ValidationError({"state": _("Unknown state.")})
    _check_initiative(
        actor=actor,
        objective=initiative.objective,
        key_result=fields.get("key_result", initiative.key_result),
        team=fields.get("team", initiative.team),
    )
    _same_org(actor, fields.get("owner"))
    _check_owner(fields.get("owner"), "owner")
    before = history.snapshot(initiative, INITIATIVE_FIELDS)
    for key, value in fields.items():
        setattr(initiative, key, value)
    initiative.updated_at = timezone.now()
    initiative.save(update_fields=[*fields, "updated_at"])
    changes = history.diff(before, history.snapshot(initiative, INITIATIVE_FIELDS))
    if changes:
        history.record(
            organization=actor.organization,
            actor=actor,
            action=history.Action.UPDATED,
            target_kind="initiative",
            target_uid=initiative.uid,
            target_label=initiative.title,
            changes=changes,
        )
    return initiative


@transaction.atomic
def delete_initiative(*, initiative: Initiative, actor: Member) -> None:
    _same_org(actor, initiative)
    closing.ensure_initiative_open(initiative)
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.DELETED,
        target_kind="initiative",
        target_uid=initiative.uid,
        target_label=initiative.title,
    )
    initiative.delete()


def next_period_or_error(period: Period) -> Period:
    """The period deferred work moves to, or a clear error while it does not exist yet."""
    following = period.following()
    if following is None:
        raise ValidationError(
            _(
                "There is no period after %(period)s yet: an admin can create it on the "
                "Periods page, then defer again."
            )
            % {"period": period.name}
        )
    return following


def defer_target(initiative: Initiative) -> Period:
    """The period `initiative` would be deferred to, or the ValidationError saying why it
    cannot be (so that a confirmation page can say so before anyone presses the button)."""
    if initiative.state == InitiativeState.DONE:
        raise ValidationError(_("A done initiative cannot be deferred."))
    continuation = initiative.continued_into.select_related("period").first()
    if continuation is not None:
        # Deferring it too would put it in the next period twice.
        raise ValidationError(
            _("It was already carried over into %(period)s.") % {"period": continuation.period}
        )
    return next_period_or_error(initiative.period)


@transaction.atomic
def defer_initiative(
    *, initiative: Initiative, actor: Member, note: str = "", to: Period | None = None
) -> Initiative:
    """Move the initiative to the period after its own (or to `to`), marked deferred
    (PRODUCT.md: a deferred initiative moves to the next period). Its objective stays where
    it is."""
    _same_org(actor, initiative, to)
    closing.ensure_initiative_open(initiative)
    target = to if to is not None else defer_target(initiative)
    closing.ensure_period_open(target, [initiative.team])
    if initiative.state == InitiativeState.DONE:
        raise ValidationError(_("A done initiative cannot be deferred."))
    before = history.snapshot(initiative, ("period", "state"))
    initiative.period = target
    initiative.state = InitiativeState.DEFERRED
    initiative.updated_at = timezone.now()
    initiative.save(update_fields=["period", "state", "updated_at"])
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.UPDATED,
        target_kind="initiative",
        target_uid=initiative.uid,
        target_label=initiative.title,
        changes=history.diff(before, history.snapshot(initiative, ("period", "state"))),
        note=note or _("deferred to the next period"),
    )
    return initiative
