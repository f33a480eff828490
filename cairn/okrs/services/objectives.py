"""Objectives: create, change, delete; who may own them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cairn.notifications import webhooks
from cairn.okrs import closing
from cairn.okrs.models import (
    Objective,
    ObjectiveTeam,
    Visibility,
)
from cairn.okrs.services.alignment import _check_alignment_periods_after_move
from cairn.okrs.services.common import (
    OBJECTIVE_FIELDS,
    _check_owner,
    _check_visibility,
    _same_org,
    _set_shared_with,
)
from cairn.okrs.services.initiatives import _record_cascaded_initiatives
from cairn.orgs import history
from cairn.orgs.access import team_ids_of
from cairn.orgs.models import Member, Period, Team

# Objectives ---------------------------------------------------------------------------------


def _check_ownership(
    *, actor: Member, owner_person: Member | None, owner_teams: Sequence[Team]
) -> None:
    if owner_person is None and not owner_teams:
        raise ValidationError(
            {"owner_person": _("An objective is owned by one person or by one or more teams.")}
        )
    if owner_person is not None and owner_teams:
        raise ValidationError(
            {"owner_teams": _("Choose either a person or teams as owners, not both.")}
        )
    _same_org(actor, owner_person, *owner_teams)
    _check_owner(owner_person, "owner_person")


def _check_team_choice(*, actor: Member, added_teams: Iterable[Team]) -> None:
    """Members may give an objective only to teams they belong to; admins to any team."""
    if actor.is_admin:
        return
    mine = team_ids_of(actor)
    foreign = [team.name for team in added_teams if team.pk not in mine]
    if foreign:
        raise ValidationError(
            {
                "owner_teams": _("You can only add teams you belong to: %(teams)s")
                % {"teams": ", ".join(sorted(foreign))}
            }
        )


@transaction.atomic
def create_objective(
    *,
    actor: Member,
    period: Period,
    title: str,
    description: str = "",
    owner_person: Member | None = None,
    owner_teams: Sequence[Team] = (),
    visibility: str = Visibility.PUBLIC,
    shared_with: Iterable[Member] = (),
    continued_from: Objective | None = None,
) -> Objective:
    _same_org(actor, period, continued_from)
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("An objective needs a title.")})
    _check_visibility(visibility)
    owner_teams = list(owner_teams)
    closing.ensure_period_open(period, owner_teams)
    _check_ownership(actor=actor, owner_person=owner_person, owner_teams=owner_teams)
    # A continuation keeps its owners: teams that owned the earlier objective are not a
    # member's new choice.
    kept = set() if continued_from is None else {t.pk for t in continued_from.owner_teams.all()}
    _check_team_choice(actor=actor, added_teams=[t for t in owner_teams if t.pk not in kept])
    objective = Objective.objects.create(
        organization_id=actor.organization_id,
        period=period,
        title=title,
        description=description,
        owner_person=owner_person,
        visibility=visibility,
        continued_from=continued_from,
        created_by=actor,
    )
    ObjectiveTeam.objects.bulk_create(
        ObjectiveTeam(organization_id=actor.organization_id, objective=objective, team=team)
        for team in owner_teams
    )
    shared_change = _set_shared_with(objective, shared_with, actor)
    changes: dict[str, Any] = {
        key: [None, value]
        for key, value in history.snapshot(objective, OBJECTIVE_FIELDS).items()
        if value not in (None, "")
    }
    if owner_teams:
        changes["owner_teams"] = [None, sorted(team.name for team in owner_teams)]
    if shared_change:
        changes["shared_with"] = shared_change
    if continued_from is not None:
        changes["continued_from"] = [None, f"{continued_from.title} ({continued_from.period})"]
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.CREATED,
        target_kind="objective",
        target_uid=objective.uid,
        target_label=objective.title,
        changes=changes,
    )
    webhooks.emit(
        organization=actor.organization, event="objective.created", subject=objective, actor=actor
    )
    return objective


@transaction.atomic
def update_objective(
    *,
    objective: Objective,
    actor: Member,
    owner_teams: Sequence[Team] | None = None,
    shared_with: Iterable[Member] | None = None,
    **fields: Any,
) -> Objective:
    unknown = set(fields) - set(OBJECTIVE_FIELDS)
    if unknown:
        raise TypeError(f"unknown objective fields: {sorted(unknown)}")
    _same_org(actor, objective)
    closing.ensure_open(objective)
    if "visibility" in fields:
        _check_visibility(fields["visibility"])
    if "title" in fields:
        fields["title"] = fields["title"].strip()
        if not fields["title"]:
            raise ValidationError({"title": _("An objective needs a title.")})
    current_teams = list(objective.owner_teams.all())
    new_teams = list(owner_teams) if owner_teams is not None else current_teams
    new_person = fields.get("owner_person", objective.owner_person)
    _check_ownership(actor=actor, owner_person=new_person, owner_teams=new_teams)
    current_ids = {team.pk for team in current_teams}
    _check_team_choice(actor=actor, added_teams=[t for t in new_teams if t.pk not in current_ids])
    if owner_teams is not None and "period" not in fields:
        closing.ensure_period_open(objective.period, new_teams)
    if "period" in fields:
        _same_org(actor, fields["period"])
        if fields["period"].pk != objective.period_id:
            closing.ensure_period_open(fields["period"], new_teams)
            _check_alignment_periods_after_move(objective, fields["period"], actor)

    before = history.snapshot(objective, OBJECTIVE_FIELDS)
    before["owner_teams"] = sorted(team.name for team in current_teams)
    for key, value in fields.items():
        setattr(objective, key, value)
    objective.updated_at = timezone.now()
    objective.save(update_fields=[*fields, "updated_at"])
    if owner_teams is not None:
        new_ids = {team.pk for team in new_teams}
        ObjectiveTeam.objects.filter(objective=objective).exclude(team_id__in=new_ids).delete()
        ObjectiveTeam.objects.bulk_create(
            ObjectiveTeam(organization_id=objective.organization_id, objective=objective, team=t)
            for t in new_teams
            if t.pk not in current_ids
        )
    shared_change = None
    if shared_with is not None:
        shared_change = _set_shared_with(objective, shared_with, actor)
    after = history.snapshot(objective, OBJECTIVE_FIELDS)
    after["owner_teams"] = sorted(team.name for team in new_teams)
    changes = history.diff(before, after)
    if shared_change:
        changes["shared_with"] = shared_change
    if changes:
        history.record(
            organization=actor.organization,
            actor=actor,
            action=history.Action.UPDATED,
            target_kind="objective",
            target_uid=objective.uid,
            target_label=objective.title,
            changes=changes,
        )
        webhooks.emit(
            organization=actor.organization,
            event="objective.updated",
            subject=objective,
            actor=actor,
            extra={"changed": sorted(changes)},
        )
    return objective


@transaction.atomic
def add_owning_team(*, objective: Objective, team: Team, actor: Member, note: str = "") -> None:
    """Make `team` an owner too (a dependency *made shared*): the objective becomes a shared
    OKR, and the change is on its record."""
    _same_org(actor, objective, team)
    closing.ensure_open(objective)
    if objective.owner_person_id is not None:
        raise ValidationError(
            _(
                "A personal objective cannot become a shared OKR: give it to a team first, "
                "or accept the request instead."
            )
        )
    current = sorted(t.name for t in objective.owner_teams.all())
    if objective.team_links.filter(team=team).exists():
        raise ValidationError(_("%(team)s already owns this objective.") % {"team": team.name})
    ObjectiveTeam.objects.create(
        organization_id=objective.organization_id, objective=objective, team=team
    )
    objective.updated_at = timezone.now()
    objective.save(update_fields=["updated_at"])
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.UPDATED,
        target_kind="objective",
        target_uid=objective.uid,
        target_label=objective.title,
        changes={"owner_teams": [current, sorted([*current, team.name])]},
        note=note,
    )


@transaction.atomic
def delete_objective(*, objective: Objective, actor: Member) -> None:
    _same_org(actor, objective)
    closing.ensure_open(objective)
    kr_uids = list(objective.key_results.values_list("uid", "title"))
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.DELETED,
        target_kind="objective",
        target_uid=objective.uid,
        target_label=objective.title,
    )
    for uid, title in kr_uids:
        history.record(
            organization=actor.organization,
            actor=actor,
            action=history.Action.DELETED,
            target_kind="key_result",
            target_uid=uid,
            target_label=title,
            note=_("deleted with its objective"),
        )
    _record_cascaded_initiatives(
        objective.initiatives.all(), actor, _("deleted with its objective")
    )
    # Before the row goes: the gate decides who hears of it while it can still see it.
    webhooks.emit(
        organization=actor.organization, event="objective.deleted", subject=objective, actor=actor
    )
    objective.delete()
