"""What the objective and key result pages say about closing and carry-over: where an item
continues from and into (only the sides the reader may see), and why a closed one is
read-only. A few queries per page, whatever the size of the period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cairn.okrs.models import KeyResult, Objective
from cairn.orgs.models import Member, Period, PeriodState, Team, TeamClosure


@dataclass(frozen=True)
class ReadOnly:
    """Why an objective (and its key results) no longer takes writes."""

    period: Period
    closed_at: dt.datetime
    closed_by: Member | None
    # The owning teams that closed the period for their own OKRs; empty when the whole
    # period is closed.
    teams: list[Team] = field(default_factory=list)

    @property
    def team_names(self) -> str:
        return ", ".join(team.name for team in self.teams)


def read_only(objective: Objective) -> ReadOnly | None:
    if objective.closed_at is None:
        return None
    period = objective.period
    if period.state == PeriodState.CLOSED:
        closed_by = (
            Member.objects.select_related("user").filter(pk=period.closed_by_id).first()
            if period.closed_by_id
            else None
        )
        return ReadOnly(period, period.closed_at or objective.closed_at, closed_by)
    closures = list(
        TeamClosure.objects.filter(period=period, team__in=objective.team_links.values("team_id"))
        .select_related("team", "closed_by__user")
        .order_by("closed_at", "id")
    )
    last = closures[-1] if closures else None
    return ReadOnly(
        period,
        objective.closed_at,
        last.closed_by if last else None,
        [closure.team for closure in closures],
    )


@dataclass(frozen=True)
class Continuity:
    continued_from: Objective | KeyResult | None
    continued_into: list[Objective] | list[KeyResult]


def of_objective(member: Member, objective: Objective) -> Continuity:
    visible = Objective.objects.visible_to(member).select_related("period")
    earlier = (
        visible.filter(pk=objective.continued_from_id).first()
        if objective.continued_from_id
        else None
    )
    later = list(visible.filter(continued_from=objective).order_by("period__start", "id"))
    return Continuity(earlier, later)


def of_key_result(member: Member, key_result: KeyResult) -> Continuity:
    visible = KeyResult.objects.visible_to(member).select_related("objective__period")
    earlier = (
        visible.filter(pk=key_result.continued_from_id).first()
        if key_result.continued_from_id
        else None
    )
    later = list(visible.filter(continued_from=key_result).order_by("objective__period__start"))
    return Continuity(earlier, later)
