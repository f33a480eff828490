"""Writes on objectives, key results, initiatives and alignment links.

Each function is keyword-only, validates before it saves, runs in one transaction and records
its history event. Authorisation (may this member see / change this object) is the caller's
job through `orgs.access`; rules about who may own what live here because they are rules of
the domain, whichever face (web UI, API, CLI) asks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cairn.okrs.models import (
    Alignment,
    Direction,
    Initiative,
    InitiativeState,
    KeyResult,
    KeyResultKind,
    Objective,
    ObjectiveTeam,
    Visibility,
)
from cairn.orgs import history
from cairn.orgs.access import team_ids_of
from cairn.orgs.models import Member, Period, Team

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


def _check_owner(owner: Member | None, field: str) -> None:
    """An owner must be an active person who can write: a viewer could never update it."""
    if owner is None:
        return
    if not owner.is_active:
        raise ValidationError({field: _("That person is no longer active.")})
    if not owner.can_write:
        raise ValidationError({field: _("Viewers have read-only access and cannot own this.")})


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


def _set_shared_with(obj: Objective | KeyResult, members: Iterable[Member], actor: Member) -> None:
    members = list(members)
    _same_org(actor, *members)
    obj.shared_with.set(members)


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
) -> Objective:
    _same_org(actor, period)
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("An objective needs a title.")})
    _check_visibility(visibility)
    owner_teams = list(owner_teams)
    _check_ownership(actor=actor, owner_person=owner_person, owner_teams=owner_teams)
    _check_team_choice(actor=actor, added_teams=owner_teams)
    objective = Objective.objects.create(
        organization_id=actor.organization_id,
        period=period,
        title=title,
        description=description,
        owner_person=owner_person,
        visibility=visibility,
        created_by=actor,
    )
    ObjectiveTeam.objects.bulk_create(
        ObjectiveTeam(organization_id=actor.organization_id, objective=objective, team=team)
        for team in owner_teams
    )
    _set_shared_with(objective, shared_with, actor)
    changes: dict[str, Any] = {
        key: [None, value]
        for key, value in history.snapshot(objective, OBJECTIVE_FIELDS).items()
        if value not in (None, "")
    }
    if owner_teams:
        changes["owner_teams"] = [None, sorted(team.name for team in owner_teams)]
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.CREATED,
        target_kind="objective",
        target_uid=objective.uid,
        target_label=objective.title,
        changes=changes,
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
    if "period" in fields:
        _same_org(actor, fields["period"])
        if fields["period"].pk != objective.period_id:
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
    if shared_with is not None:
        _set_shared_with(objective, shared_with, actor)
    after = history.snapshot(objective, OBJECTIVE_FIELDS)
    after["owner_teams"] = sorted(team.name for team in new_teams)
    changes = history.diff(before, after)
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
    return objective


@transaction.atomic
def delete_objective(*, objective: Objective, actor: Member) -> None:
    _same_org(actor, objective)
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
    objective.delete()


# Alignment ----------------------------------------------------------------------------------


def _parents_of(objective_ids: set[int], organization_id: int) -> dict[int, set[int]]:
    """child objective id -> the objective ids it aligns to (key result parents resolved)."""
    edges: dict[int, set[int]] = {}
    links = Alignment.objects.filter(organization_id=organization_id).values_list(
        "child_id", "parent_objective_id", "parent_key_result__objective_id"
    )
    for child_id, parent_objective_id, parent_kr_objective_id in links:
        parent = parent_objective_id or parent_kr_objective_id
        edges.setdefault(child_id, set()).add(parent)
    return edges


def _would_cycle(child: Objective, parent_objective_id: int) -> bool:
    if parent_objective_id == child.pk:
        return True
    edges = _parents_of({child.pk}, child.organization_id)
    stack = [parent_objective_id]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if node == child.pk:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(edges.get(node, ()))
    return False


def _title_for(actor: Member, objective: Objective) -> str:
    """An objective's title as `actor` may read it: an error message is a page, too."""
    if Objective.objects.visible_to(actor).filter(pk=objective.pk).exists():
        return objective.title
    return str(_("a private objective"))


def _check_alignment_periods_after_move(
    objective: Objective, period: Period, actor: Member
) -> None:
    for link in objective.alignments_up.select_related(
        "parent_objective__period", "parent_key_result__objective__period"
    ):
        parent = link.parent_objective or link.parent_key_result.objective  # type: ignore[union-attr]
        if not parent.period.encloses(period):
            raise ValidationError(
                {
                    "period": _(
                        "It is aligned to “%(title)s”, whose period does not cover this one."
                    )
                    % {"title": _title_for(actor, parent)}
                }
            )
    # Objectives aligned to this one must stay inside its period, too.
    for child_link in Alignment.objects.filter(
        Q(parent_objective=objective) | Q(parent_key_result__objective=objective)
    ).select_related("child__period"):
        if not period.encloses(child_link.child.period):
            raise ValidationError(
                {
                    "period": _(
                        "“%(title)s” is aligned to it, and this period does not cover that "
                        "objective's period."
                    )
                    % {"title": _title_for(actor, child_link.child)}
                }
            )


@transaction.atomic
def align(
    *,
    actor: Member,
    child: Objective,
    parent_objective: Objective | None = None,
    parent_key_result: KeyResult | None = None,
) -> Alignment:
    if (parent_objective is None) == (parent_key_result is None):
        raise ValidationError(_("Align to exactly one objective or key result."))
    _same_org(actor, child, parent_objective, parent_key_result)
    target = parent_objective or parent_key_result.objective  # type: ignore[union-attr]
    if not target.period.encloses(child.period):
        raise ValidationError(
            {"parent": _("The parent must be in the same period or one that encloses it.")}
        )
    if _would_cycle(child, target.pk):
        raise ValidationError(
            {
                "parent": _(
                    "This alignment would make a cycle: “%(title)s” already contributes to "
                    "this objective."
                )
                % {"title": target.title}
            }
        )
    duplicate = Alignment.objects.filter(
        child=child, parent_objective=parent_objective, parent_key_result=parent_key_result
    )
    if duplicate.exists():
        raise ValidationError({"parent": _("This objective is already aligned to that parent.")})
    link = Alignment.objects.create(
        organization_id=actor.organization_id,
        child=child,
        parent_objective=parent_objective,
        parent_key_result=parent_key_result,
        created_by=actor,
    )
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.ADDED,
        target_kind="objective",
        target_uid=child.uid,
        target_label=child.title,
        changes={"aligned_to": [None, str(parent_objective or parent_key_result)]},
    )
    return link


@transaction.atomic
def unalign(*, actor: Member, link: Alignment) -> None:
    _same_org(actor, link)
    parent = link.parent_objective or link.parent_key_result
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.REMOVED,
        target_kind="objective",
        target_uid=link.child.uid,
        target_label=link.child.title,
        changes={"aligned_to": [str(parent), None]},
    )
    link.delete()


# Key results --------------------------------------------------------------------------------


def _normalise_key_result(values: dict[str, Any]) -> dict[str, Any]:
    """Apply the rules of a key result's kind and reject impossible combinations."""
    kind = values["kind"]
    if kind not in KeyResultKind.values:
        raise ValidationError({"kind": _("Choose metric, percentage or milestone.")})
    if kind == KeyResultKind.MILESTONE:
        values.update(
            start_value=Decimal(0), target_value=Decimal(1), unit="", direction=Direction.UP
        )
    elif kind == KeyResultKind.PERCENTAGE:
        values["unit"] = "%"
        for field in ("start_value", "target_value"):
            if not Decimal(0) <= Decimal(values[field]) <= Decimal(100):
                raise ValidationError({field: _("A percentage is between 0 and 100.")})
    start, target = Decimal(values["start_value"]), Decimal(values["target_value"])
    if start == target:
        raise ValidationError({"target_value": _("The target must differ from the start.")})
    if kind != KeyResultKind.MILESTONE:
        expected = Direction.UP if target > start else Direction.DOWN
        if values.get("direction") and values["direction"] != expected:
            raise ValidationError(
                {
                    "direction": _("The target is above the start, so the direction is “increase”.")
                    if expected == Direction.UP
                    else _("The target is below the start, so the direction is “decrease”.")
                }
            )
        values["direction"] = expected
    if Decimal(values.get("weight", 1)) < 0:
        raise ValidationError({"weight": _("The weight must not be negative.")})
    return values


@transaction.atomic
def create_key_result(
    *,
    actor: Member,
    objective: Objective,
    title: str,
    kind: str = KeyResultKind.METRIC,
    start_value: Decimal | int | float = 0,
    target_value: Decimal | int | float = 100,
    unit: str = "",
    direction: str = "",
    weight: Decimal | int | float = 1,
    owner: Member | None = None,
    description: str = "",
    visibility: str = Visibility.PUBLIC,
    shared_with: Iterable[Member] = (),
    context_why: str = "",
    context_baseline: str = "",
    context_tactic: str = "",
) -> KeyResult:
    _same_org(actor, objective, owner)
    _check_owner(owner, "owner")
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("A key result needs a title.")})
    _check_visibility(visibility)
    values = _normalise_key_result(
        {
            "kind": kind,
            "start_value": Decimal(str(start_value)),
            "target_value": Decimal(str(target_value)),
            "unit": unit,
            "direction": direction,
            "weight": Decimal(str(weight)),
        }
    )
    position = (objective.key_results.aggregate(top=Max("position"))["top"] or 0) + 1
    key_result = KeyResult.objects.create(
        organization_id=actor.organization_id,
        objective=objective,
        title=title,
        description=description,
        owner=owner or objective.owner_person or actor,
        current_value=values["start_value"],
        context_why=context_why.strip(),
        context_baseline=context_baseline.strip(),
        context_tactic=context_tactic.strip(),
        position=position,
        visibility=visibility,
        created_by=actor,
        **values,
    )
    _set_shared_with(key_result, shared_with, actor)
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.CREATED,
        target_kind="key_result",
        target_uid=key_result.uid,
        target_label=key_result.title,
        changes={
            key: [None, value]
            for key, value in history.snapshot(key_result, KEY_RESULT_FIELDS).items()
            if value not in (None, "")
        },
    )
    return key_result


@transaction.atomic
def update_key_result(
    *,
    key_result: KeyResult,
    actor: Member,
    shared_with: Iterable[Member] | None = None,
    **fields: Any,
) -> KeyResult:
    unknown = set(fields) - set(KEY_RESULT_FIELDS)
    if unknown:
        raise TypeError(f"unknown key result fields: {sorted(unknown)}")
    _same_org(actor, key_result)
    if "visibility" in fields:
        _check_visibility(fields["visibility"])
    for number in ("start_value", "target_value", "weight"):
        # Through str() so that a float 0.1 is stored and logged as 0.1, as on create.
        if number in fields:
            fields[number] = Decimal(str(fields[number]))
    if "title" in fields:
        fields["title"] = fields["title"].strip()
        if not fields["title"]:
            raise ValidationError({"title": _("A key result needs a title.")})
    _same_org(actor, fields.get("owner"))
    _check_owner(fields.get("owner"), "owner")
    merged = {
        name: fields.get(name, getattr(key_result, name))
        for name in ("kind", "start_value", "target_value", "unit", "direction", "weight")
    }
    if "direction" not in fields:
        merged["direction"] = ""
    normalised = _normalise_key_result(merged)
    fields.update(normalised)
    kind_changed = fields["kind"] != key_result.kind
    before = history.snapshot(key_result, KEY_RESULT_FIELDS)
    material = history.diff(
        {name: before[name] for name in MATERIAL_FIELDS},
        {
            name: history.snapshot_value(fields.get(name, getattr(key_result, name)))
            for name in MATERIAL_FIELDS
        },
    )
    for key, value in fields.items():
        setattr(key_result, key, value)
    update_fields = [*fields, "updated_at"]
    if kind_changed:
        # A new kind measures on a new scale: the old value means nothing on it.
        key_result.current_value = key_result.start_value
        update_fields.append("current_value")
    if material and key_result.has_context and not key_result.context_outdated:
        key_result.context_outdated = True
        update_fields.append("context_outdated")
    key_result.updated_at = timezone.now()
    key_result.save(update_fields=update_fields)
    if shared_with is not None:
        _set_shared_with(key_result, shared_with, actor)
    changes = history.diff(before, history.snapshot(key_result, KEY_RESULT_FIELDS))
    if changes:
        history.record(
            organization=actor.organization,
            actor=actor,
            action=history.Action.UPDATED,
            target_kind="key_result",
            target_uid=key_result.uid,
            target_label=key_result.title,
            changes=changes,
        )
    return key_result


@transaction.atomic
def delete_key_result(*, key_result: KeyResult, actor: Member) -> None:
    _same_org(actor, key_result)
    _record_cascaded_initiatives(
        key_result.initiatives.all(), actor, _("deleted with its key result")
    )
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.DELETED,
        target_kind="key_result",
        target_uid=key_result.uid,
        target_label=key_result.title,
    )
    key_result.delete()


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
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.DELETED,
        target_kind="initiative",
        target_uid=initiative.uid,
        target_label=initiative.title,
    )
    initiative.delete()


@transaction.atomic
def set_current_value(
    *, key_result: KeyResult, actor: Member | None, value: Decimal | int | float
) -> KeyResult:
    """Set a key result's current value. Only the demo loader and check-ins call this: the
    value of a key result is what its latest progress check-in says."""
    key_result.current_value = Decimal(str(value))
    key_result.save(update_fields=["current_value"])
    return key_result
