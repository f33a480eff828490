"""Closing a period: for the whole organization (admins) or for one team's own OKRs (its
lead), reopening with a reason (admins), and carrying unfinished objectives and key results
over into the next period.

Closing keeps `Objective.closed_at` in the same transaction, the one column every write path
checks (`okrs.closing`). Carry-over writes only new rows in the next period; the closed
period's objectives, key results and initiatives stay exactly as they were, and the link is
kept both ways through `continued_from` / `continued_into`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cairn.lib import numbers
from cairn.notifications import webhooks
from cairn.okrs import closing
from cairn.okrs import services as okrs
from cairn.okrs.models import (
    Alignment,
    Direction,
    Initiative,
    InitiativeState,
    KeyResult,
    KeyResultKind,
    Objective,
    ObjectiveTeam,
)
from cairn.okrs.services.common import _same_org
from cairn.orgs import history
from cairn.orgs.access import can_edit_objective
from cairn.orgs.models import Member, Period, PeriodState, Team, TeamClosure

UNFINISHED_INITIATIVES = (InitiativeState.PLANNED, InitiativeState.IN_PROGRESS)


class NoNextPeriod(ValidationError):
    """Carry-over has nowhere to go yet: the page offers to create the next period."""


def can_close(member: Member, team: Team | None = None) -> bool:
    """Admins close a whole period or any team's part of it; a team lead closes the
    period for the team's own OKRs."""
    if not member.can_write:
        return False
    if member.is_admin:
        return True
    return team is not None and team.lead_id == member.pk


def _refresh_closed(
    period: Period, *, now: dt.datetime, objective_ids: set[int] | None = None
) -> None:
    """Bring `Objective.closed_at` of the period's objectives in line with the closures:
    all of them when the period is closed, otherwise those whose owning teams have all
    closed it (personal objectives close with the period only)."""
    objectives = Objective.objects.filter(period=period)
    if objective_ids is not None:
        objectives = objectives.filter(pk__in=objective_ids)
    if period.state == PeriodState.CLOSED:
        objectives.filter(closed_at__isnull=True).update(closed_at=period.closed_at or now)
        return
    closed_at = dict(TeamClosure.objects.filter(period=period).values_list("team_id", "closed_at"))
    teams_of: dict[int, set[int]] = defaultdict(set)
    for objective_id, team_id in ObjectiveTeam.objects.filter(
        objective__in=objectives.values("pk")
    ).values_list("objective_id", "team_id"):
        teams_of[objective_id].add(team_id)
    closed: dict[dt.datetime, list[int]] = defaultdict(list)
    for objective_id, teams in teams_of.items():
        if teams and all(team_id in closed_at for team_id in teams):
            closed[max(closed_at[team_id] for team_id in teams)].append(objective_id)
    closed_ids = [pk for ids in closed.values() for pk in ids]
    objectives.exclude(pk__in=closed_ids).exclude(closed_at__isnull=True).update(closed_at=None)
    for when, ids in closed.items():
        Objective.objects.filter(pk__in=ids, closed_at__isnull=True).update(closed_at=when)


def _lock_fresh(period: Period) -> None:
    """Lock the period's row and bring the caller's copy up to date with it, so that the
    checks below see a close or reopen that committed since the caller read it (and the
    caller's copy shows this one afterwards)."""
    locked = Period.objects.select_for_update().get(pk=period.pk)
    period.state, period.closed_at, period.closed_by_id = (
        locked.state,
        locked.closed_at,
        locked.closed_by_id,
    )


def _record_period(actor: Member, period: Period, changes: dict, note: str = "") -> None:
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.UPDATED,
        target_kind="period",
        target_uid=period.uid,
        target_label=period.name,
        changes=changes,
        note=note,
    )


@transaction.atomic
def close_period(*, period: Period, actor: Member, note: str = "") -> Period:
    """Close the whole period: every objective of it becomes read-only."""
    _same_org(actor, period)
    if not can_close(actor):
        raise PermissionDenied(
            _("Only admins close a whole period; a team lead closes it for the team.")
        )
    _lock_fresh(period)
    if period.state == PeriodState.CLOSED:
        raise ValidationError(_("%(period)s is already closed.") % {"period": period.name})
    now = timezone.now()
    before = period.state
    period.state, period.closed_at, period.closed_by = PeriodState.CLOSED, now, actor
    period.save(update_fields=["state", "closed_at", "closed_by"])
    _refresh_closed(period, now=now)
    _record_period(actor, period, {"state": [before, PeriodState.CLOSED]}, note.strip())
    webhooks.emit(
        organization=actor.organization, event="period.closed", subject=period, actor=actor
    )
    return period


@transaction.atomic
def close_for_team(*, period: Period, team: Team, actor: Member, note: str = "") -> TeamClosure:
    """A team closes the period for its own OKRs: the objectives all of whose owning teams
    have closed become read-only (a shared OKR waits for its last owning team)."""
    _same_org(actor, period, team)
    if not can_close(actor, team):
        raise PermissionDenied(_("Only an admin or the team's lead closes the period for it."))
    _lock_fresh(period)
    if period.state == PeriodState.CLOSED:
        raise ValidationError(_("%(period)s is already closed.") % {"period": period.name})
    if TeamClosure.objects.filter(period=period, team=team).exists():
        raise ValidationError(
            _("%(team)s has already closed %(period)s.")
            % {"team": team.name, "period": period.name}
        )
    now = timezone.now()
    closure = TeamClosure.objects.create(
        organization_id=actor.organization_id,
        period=period,
        team=team,
        closed_at=now,
        closed_by=actor,
    )
    _refresh_closed(
        period,
        now=now,
        objective_ids=set(
            ObjectiveTeam.objects.filter(team=team, objective__period=period).values_list(
                "objective_id", flat=True
            )
        ),
    )
    _record_period(actor, period, {"closed_for": [None, team.name]}, note.strip())
    return closure


def _require_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why it is reopened: the history keeps it.")})
    return reason


@transaction.atomic
def reopen_period(*, period: Period, actor: Member, reason: str) -> Period:
    """An admin reopens a closed period, saying why; its OKRs become writable again (except
    those of teams that closed it for themselves)."""
    _same_org(actor, period)
    if not actor.is_admin:
        raise PermissionDenied(_("Only admins reopen a period."))
    reason = _require_reason(reason)
    _lock_fresh(period)
    if period.state != PeriodState.CLOSED:
        raise ValidationError(_("%(period)s is not closed.") % {"period": period.name})
    overlapping_active = (
        Period.objects.filter(
            organization_id=period.organization_id,
            kind=period.kind,
            state=PeriodState.ACTIVE,
            start__lte=period.end,
            end__gte=period.start,
        )
        .exclude(pk=period.pk)
        .exists()
    )
    # Two active periods of one kind may not overlap (orgs.services._check_period).
    period.state = PeriodState.PLANNING if overlapping_active else PeriodState.ACTIVE
    period.closed_at, period.closed_by = None, None
    period.save(update_fields=["state", "closed_at", "closed_by"])
    _refresh_closed(period, now=timezone.now())
    _record_period(actor, period, {"state": [PeriodState.CLOSED, period.state]}, reason)
    return period


@transaction.atomic
def reopen_for_team(*, period: Period, team: Team, actor: Member, reason: str) -> None:
    _same_org(actor, period, team)
    if not actor.is_admin:
        raise PermissionDenied(_("Only admins reopen a period."))
    reason = _require_reason(reason)
    _lock_fresh(period)
    if period.state == PeriodState.CLOSED:
        raise ValidationError(
            _("%(period)s is closed as a whole: reopen the period first.") % {"period": period.name}
        )
    closure = TeamClosure.objects.filter(period=period, team=team).first()
    if closure is None:
        raise ValidationError(
            _("%(team)s has not closed %(period)s.") % {"team": team.name, "period": period.name}
        )
    closure.delete()
    _refresh_closed(
        period,
        now=timezone.now(),
        objective_ids=set(
            ObjectiveTeam.objects.filter(team=team, objective__period=period).values_list(
                "objective_id", flat=True
            )
        ),
    )
    _record_period(actor, period, {"closed_for": [team.name, None]}, reason)


# Carry-over ---------------------------------------------------------------------------------


def is_achieved(key_result: KeyResult, threshold: Decimal) -> bool:
    """Done with: scored at or above the organization's threshold, or (without a score yet)
    at its target."""
    if key_result.score is not None:
        return key_result.score >= threshold
    return key_result.progress >= 1


def unfinished_key_results(objective: Objective) -> list[KeyResult]:
    """Those to continue by default: not achieved, and not at their target either (a key
    result that reached it needs a new target, which carry-over does not invent)."""
    threshold = objective.organization.achieved_threshold
    return [kr for kr in objective.key_results.all() if is_unfinished(kr, threshold)]


def is_unfinished(key_result: KeyResult, threshold: Decimal) -> bool:
    return not is_achieved(key_result, threshold) and continuable(key_result)


def continuable(key_result: KeyResult) -> bool:
    if key_result.kind == KeyResultKind.MILESTONE:
        return not key_result.is_done
    return not _reached_target(key_result)


def carry_over_target(objective: Objective) -> Period:
    """The period after the objective's, or NoNextPeriod saying it does not exist yet."""
    following = objective.period.following()
    if following is None:
        raise NoNextPeriod(
            _("There is no period after %(period)s yet: create it first, then carry over.")
            % {"period": objective.period.name}
        )
    return following


def _reached_target(key_result: KeyResult) -> bool:
    if key_result.direction == Direction.DOWN:
        return key_result.current_value <= key_result.target_value
    return key_result.current_value >= key_result.target_value


def _note(actor: Member, kind: str, item: Objective | KeyResult, into: str) -> None:
    history.record(
        organization=actor.organization,
        actor=actor,
        action=history.Action.ADDED,
        target_kind=kind,
        target_uid=item.uid,
        target_label=str(item),
        changes={"continued_into": [None, into]},
    )


def _continue_alignments(actor: Member, old: Objective, new: Objective) -> None:
    """The continuation contributes where the original did: to parents whose period
    encloses the new one (a yearly objective), or to the parents' own continuations."""
    for link in Alignment.objects.filter(child=old).select_related(
        "parent_objective__period", "parent_key_result__objective__period"
    ):
        parent_objective, parent_key_result = link.parent_objective, link.parent_key_result
        parent_period = (parent_objective or parent_key_result.objective).period  # type: ignore[union-attr]
        if not parent_period.encloses(new.period):
            if parent_objective is not None:
                parent_objective = parent_objective.continued_into.filter(period=new.period).first()
            else:
                parent_key_result = parent_key_result.continued_into.filter(  # type: ignore[union-attr,misc]
                    objective__period=new.period
                ).first()
            if parent_objective is None and parent_key_result is None:
                continue
        try:
            with transaction.atomic():
                okrs.align(
                    actor=actor,
                    child=new,
                    parent_objective=parent_objective,
                    parent_key_result=parent_key_result,
                )
        except ValidationError:
            # A parent that is closed for writing is still a parent; a cycle or a duplicate
            # is simply not repeated.
            continue


@transaction.atomic
def carry_over(
    *,
    actor: Member,
    objective: Objective,
    key_results: Iterable[KeyResult] | None = None,
    to: Period | None = None,
) -> Objective:
    """Continue `objective` into the next period (or `to`) with the chosen key results
    (default: those not achieved). Each continued key result starts where the old one ended
    (start = last value); unfinished initiatives are copied into the next period's planning
    and initiatives already deferred there follow the continuation. Carrying over again adds
    the key results not continued yet to the same continuation."""
    _same_org(actor, objective, to)
    if not can_edit_objective(actor, objective):
        raise PermissionDenied(_("Only the objective's owners carry it over."))
    target = to if to is not None else carry_over_target(objective)
    if target.start <= objective.period.end or target.kind != objective.period.kind:
        raise ValidationError({"period": _("Carry over into a later period of the same kind.")})
    teams = list(objective.owner_teams.all())
    closing.ensure_period_open(target, teams or None)
    chosen = list(key_results) if key_results is not None else unfinished_key_results(objective)
    for key_result in chosen:
        if key_result.objective_id != objective.pk:
            raise ValidationError({"key_results": _("Choose key results of this objective.")})
        if key_result.kind != KeyResultKind.MILESTONE and _reached_target(key_result):
            raise ValidationError(
                {
                    "key_results": _(
                        "“%(title)s” ended at or beyond its target: continuing it needs a new "
                        "target, so create that key result by hand."
                    )
                    % {"title": key_result.title}
                }
            )
        if key_result.kind == KeyResultKind.MILESTONE and key_result.is_done:
            raise ValidationError(
                {"key_results": _("“%(title)s” is done.") % {"title": key_result.title}}
            )
    label = f"{target.name}"
    new = objective.continued_into.filter(period=target).first()
    if new is None:
        new = okrs.create_objective(
            actor=actor,
            period=target,
            title=objective.title,
            description=objective.description,
            owner_person=objective.owner_person,
            owner_teams=teams,
            visibility=objective.visibility,
            shared_with=objective.shared_with.all(),
            continued_from=objective,
        )
        if new.sync_cadence_days != objective.sync_cadence_days:
            new.sync_cadence_days = objective.sync_cadence_days
            new.save(update_fields=["sync_cadence_days"])
        _continue_alignments(actor, objective, new)
        _note(actor, "objective", objective, f"{new.title} ({label})")

    continued: dict[int, KeyResult] = {
        kr.continued_from_id: kr
        for kr in new.key_results.filter(continued_from__isnull=False)
        if kr.continued_from_id is not None
    }
    for key_result in chosen:
        if key_result.pk in continued:
            continue
        continued[key_result.pk] = okrs.create_key_result(
            actor=actor,
            objective=new,
            title=key_result.title,
            kind=key_result.kind,
            start_value=key_result.current_value,
            target_value=key_result.target_value,
            unit=key_result.unit,
            weight=key_result.weight,
            owner=key_result.owner,
            description=key_result.description,
            visibility=key_result.visibility,
            shared_with=key_result.shared_with.all(),
            context_why=key_result.context_why,
            context_baseline=_("Carried over from %(period)s, where it ended at %(value)s.")
            % {"period": objective.period.name, "value": numbers.tidy(key_result.current_value)},
            context_tactic=key_result.context_tactic,
            continued_from=key_result,
        )
        _note(actor, "key_result", key_result, f"{key_result.title} ({label})")

    _carry_initiatives(actor, objective, new, continued)
    return new


def _carry_initiatives(
    actor: Member, old: Objective, new: Objective, continued: dict[int, KeyResult]
) -> None:
    def key_result_for(initiative: Initiative) -> KeyResult | None:
        return continued.get(initiative.key_result_id) if initiative.key_result_id else None

    def follows(initiative: Initiative) -> bool:
        # Work on a key result that was not continued stays with it: hung on the objective
        # alone it would become as visible as the objective (a private key result's work
        # made public). Carrying that key result over later brings it along.
        return initiative.key_result_id is None or initiative.key_result_id in continued

    already = set(
        Initiative.objects.filter(objective=new, continued_from__isnull=False).values_list(
            "continued_from_id", flat=True
        )
    )
    for initiative in old.initiatives.filter(
        period_id=old.period_id, state__in=UNFINISHED_INITIATIVES
    ).select_related("team"):
        if initiative.pk in already or not follows(initiative):
            continue
        copy = Initiative.objects.create(
            organization_id=initiative.organization_id,
            period=new.period,
            objective=new,
            key_result=key_result_for(initiative),
            team=initiative.team,
            owner=initiative.owner,
            title=initiative.title,
            description=initiative.description,
            state=initiative.state,
            continued_from=initiative,
        )
        history.record(
            organization=actor.organization,
            actor=actor,
            action=history.Action.CREATED,
            target_kind="initiative",
            target_uid=copy.uid,
            target_label=copy.title,
            changes={"continued_from": [None, f"{initiative.title} ({old.period.name})"]},
        )
    # Initiatives deferred into this period still hang on the old objective: they follow
    # the continuation (they are in an open period, so this is no write to a closed one).
    for initiative in old.initiatives.filter(period_id=new.period_id):
        if not follows(initiative):
            continue
        before = history.snapshot(initiative, ("key_result",))
        initiative.objective = new
        initiative.key_result = key_result_for(initiative)
        initiative.updated_at = timezone.now()
        initiative.save(update_fields=["objective", "key_result", "updated_at"])
        history.record(
            organization=actor.organization,
            actor=actor,
            action=history.Action.UPDATED,
            target_kind="initiative",
            target_uid=initiative.uid,
            target_label=initiative.title,
            changes={
                "continued_into": [None, f"{new.title} ({new.period.name})"],
                **history.diff(before, history.snapshot(initiative, ("key_result",))),
            },
        )
