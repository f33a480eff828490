"""The closing checklist of a period: what is still open before it closes, for the whole
organization or for one team's own OKRs, and what could be carried over into the next period.

It is advice, not a gate: a period closes with open items too. Everything is read through
the `visible_to` QuerySets, so a checklist lists (and counts) only what its reader may see,
and it is built from a fixed number of queries whatever the size of the period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet

from cairn.checkins.models import CheckIn
from cairn.lib import dates
from cairn.okrs.models import Initiative, KeyResult, Objective, ObjectiveTeam
from cairn.orgs.access import can_edit_objective
from cairn.orgs.models import Member, Period, PeriodKind, PeriodState, Team, TeamClosure
from cairn.reporting.services import UNFINISHED_INITIATIVES, is_unfinished


@dataclass(frozen=True)
class Closure:
    """Who closed the period (or the team's part of it), and when."""

    closed_at: dt.datetime
    closed_by: Member | None
    team: Team | None = None


@dataclass
class CarryKeyResult:
    key_result: KeyResult
    unfinished: bool
    # Its continuation in the next period, when it has been carried over already.
    continued: KeyResult | None = None
    # Shown ticked in the carry-over form (`tick`).
    ticked: bool = False

    @property
    def checked(self) -> bool:
        """Offered ticked: not achieved and not continued yet."""
        return self.unfinished and self.continued is None


@dataclass
class CarryObjective:
    objective: Objective
    key_results: list[CarryKeyResult]
    # Its continuation in the next period, when there is one the reader may see.
    continued: Objective | None
    can_carry: bool
    ticked: bool = False

    @property
    def unfinished_count(self) -> int:
        return sum(1 for item in self.key_results if item.unfinished)

    @property
    def open_choices(self) -> list[CarryKeyResult]:
        """The key results that may still be carried over (not continued yet)."""
        return [item for item in self.key_results if item.continued is None]


@dataclass
class Checklist:
    period: Period
    team: Team | None
    missing_results: list[KeyResult]
    open_blockers: list[CheckIn]
    open_initiatives: list[Initiative]
    unfinished: list[CarryObjective]
    next_period: Period | None
    # The whole period's closure, or in team scope the team's (the period's comes first).
    closure: Closure | None
    # Organization scope: the teams that have closed the period for their own OKRs.
    team_closures: list[TeamClosure] = field(default_factory=list)

    @property
    def is_closed(self) -> bool:
        return self.closure is not None

    @property
    def period_closed(self) -> bool:
        return self.period.state == PeriodState.CLOSED

    @property
    def open_items(self) -> int:
        return len(self.missing_results) + len(self.open_blockers) + len(self.open_initiatives)

    @property
    def closed_team_ids(self) -> set[int]:
        return {closure.team_id for closure in self.team_closures}

    @property
    def carriable(self) -> list[CarryObjective]:
        return [item for item in self.unfinished if item.can_carry]


def scoped_objectives(member: Member, period: Period, team: Team | None) -> QuerySet[Objective]:
    """The period's objectives the reader may see; in team scope the team's own (shared OKRs
    it owns included)."""
    objectives = Objective.objects.visible_to(member).filter(period=period)
    if team is not None:
        objectives = objectives.filter(
            pk__in=ObjectiveTeam.objects.filter(team=team).values("objective_id")
        )
    return objectives


def closure_of(period: Period, team: Team | None) -> Closure | None:
    """The period's own closure, else (team scope) the team's; one query at most."""
    if period.state == PeriodState.CLOSED and period.closed_at is not None:
        closed_by = (
            Member.objects.select_related("user").filter(pk=period.closed_by_id).first()
            if period.closed_by_id
            else None
        )
        return Closure(closed_at=period.closed_at, closed_by=closed_by)
    if team is None:
        return None
    found = (
        TeamClosure.objects.filter(period=period, team=team)
        .select_related("closed_by__user", "team")
        .first()
    )
    if found is None:
        return None
    return Closure(closed_at=found.closed_at, closed_by=found.closed_by, team=found.team)


def _unfinished(
    member: Member, objectives: QuerySet[Objective], next_period: Period | None
) -> list[CarryObjective]:
    """The objectives with a key result not achieved (by the organization's threshold), each
    with its visible key results and what of them was continued into the next period."""
    continuations_krs = (
        KeyResult.objects.visible_to(member)
        .filter(objective__period=next_period)
        .select_related("objective")
        if next_period is not None
        else KeyResult.objects.none()
    )
    continuations = (
        Objective.objects.visible_to(member).filter(period=next_period).select_related("period")
        if next_period is not None
        else Objective.objects.none()
    )
    rows = (
        objectives.select_related("period")
        .prefetch_related(
            "team_links",
            Prefetch(
                "key_results",
                queryset=KeyResult.objects.visible_to(member)
                .order_by("position", "id")
                .prefetch_related(
                    Prefetch("continued_into", queryset=continuations_krs, to_attr="continuations")
                ),
                to_attr="visible_krs",
            ),
            Prefetch("continued_into", queryset=continuations, to_attr="continuations"),
        )
        .order_by("title", "id")
    )
    threshold = member.organization.achieved_threshold
    result = []
    for objective in rows:
        # Read with the prefetches above (`visible_krs`, each with its `continuations`).
        key_results: list[Any] = objective.visible_krs  # type: ignore[attr-defined]
        items = [
            CarryKeyResult(
                key_result=kr,
                unfinished=is_unfinished(kr, threshold),
                continued=next(iter(kr.continuations), None),
            )
            for kr in key_results
        ]
        if not any(item.unfinished for item in items):
            continue
        result.append(
            CarryObjective(
                objective=objective,
                key_results=items,
                continued=next(iter(objective.continuations), None),  # type: ignore[attr-defined]
                can_carry=can_edit_objective(member, objective),
            )
        )
    return result


def checklist(member: Member, period: Period, team: Team | None = None) -> Checklist:
    """The checklist of `period` as `member` may see it, for the organization or (`team`)
    the team's own OKRs."""
    objectives = scoped_objectives(member, period, team)
    in_scope = objectives.values("pk")
    missing_results = list(
        KeyResult.objects.visible_to(member)
        .filter(objective__in=in_scope, score__isnull=True)
        .select_related("objective", "owner__user")
        .order_by("objective__title", "objective_id", "position", "id")
    )
    open_blockers = list(
        CheckIn.objects.visible_to(member)
        .open_blockers()
        .filter(key_result__objective__in=in_scope)
        .select_related("key_result__objective", "author__user")
        .order_by("at", "id")
    )
    # An initiative already carried over is being worked on in the next period.
    initiatives = Initiative.objects.visible_to(member).filter(
        period=period, state__in=UNFINISHED_INITIATIVES, continued_into__isnull=True
    )
    if team is not None:
        # The team's own work in the period: what its closure makes read-only.
        initiatives = initiatives.filter(team=team)
    open_initiatives = list(
        initiatives.select_related("objective", "key_result", "team", "owner__user").order_by(
            "objective__title", "objective_id", "created_at", "id"
        )
    )
    next_period = period.following()
    team_closures = (
        list(
            TeamClosure.objects.filter(period=period)
            .select_related("team", "closed_by__user")
            .order_by("team__name", "id")
        )
        if team is None
        else []
    )
    return Checklist(
        period=period,
        team=team,
        missing_results=missing_results,
        open_blockers=open_blockers,
        open_initiatives=open_initiatives,
        unfinished=_unfinished(member, objectives, next_period),
        next_period=next_period,
        closure=closure_of(period, team),
        team_closures=team_closures,
    )


def tick(checklist: Checklist, sent: dict[str, set[str]] | None) -> None:
    """Which boxes of the carry-over form show ticked: what was sent, when the form comes
    back with an error, else the defaults (unfinished key results not continued yet, and
    the objectives that have one)."""
    for item in checklist.unfinished:
        for choice in item.key_results:
            choice.ticked = (
                choice.checked
                if sent is None
                else str(choice.key_result.uid) in sent.get("key_results", set())
            )
        item.ticked = (
            any(choice.ticked for choice in item.key_results)
            if sent is None
            else str(item.objective.uid) in sent.get("objectives", set())
        )


def next_quarter_name(period: Period) -> str | None:
    """The name `orgs.services.create_next_quarter` gives the quarter after `period` (when
    it is the latest quarter, as it is when carry-over finds no next period)."""
    if period.kind != PeriodKind.QUARTER:
        return None
    return dates.quarter_name(*dates.next_quarter(*dates.quarter_of(period.start)))
