"""The sub-teams on a team's page: a line each with the numbers of its own objectives.

A team high in the organization has hundreds of teams and thousands of objectives below it;
its page cannot draw them. Each direct sub-team gets a line (its objectives, key results,
progress, staleness and open blockers, over what the reader may see) and a link to its own
page, which does the same one level down. The numbers are read as plain values in two
queries through the gate, not as objects: the page draws none of them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from cairn.lib import rhythm
from cairn.okrs import progress as progress_maths
from cairn.okrs.models import KeyResult, Objective
from cairn.okrs.queries.common import STALENESS_ORDER, ProgressView, StalenessCount
from cairn.okrs.queries.teams import TeamTree
from cairn.orgs.models import Member, Period, Team


class _Rollups(NamedTuple):
    """What the staleness rule reads of a key result (`rhythm.KeyResultLike`)."""

    last_check_in_at: dt.datetime | None
    created_at: dt.datetime
    next_up_due: dt.date | None


@dataclass
class SubTeam:
    team: Team
    # How many teams are below it (its own page lists them the same way).
    teams_below: int
    objectives: int = 0
    # Each visible key result of its own objectives, by id: its staleness.
    states: dict[int, rhythm.Staleness] = field(default_factory=dict)
    open_blockers: int = 0
    # The mean of its objectives' progress (each objective counts once).
    progress: ProgressView | None = None
    # The staleness the page is filtered on, if any.
    shown: rhythm.Staleness | None = None

    @property
    def key_results(self) -> int:
        return len(self.states)

    @property
    def staleness_counts(self) -> list[StalenessCount]:
        return [
            StalenessCount(state, sum(1 for value in self.states.values() if value == state))
            for state in STALENESS_ORDER
        ]

    @property
    def shown_count(self) -> int:
        return sum(1 for value in self.states.values() if value == self.shown)


def sub_teams(member: Member, tree: TeamTree, period: Period, today: dt.date) -> list[SubTeam]:
    """A line per direct sub-team of `tree.team`, by name, over the objectives of `period`
    each owns (a shared objective counts for each owning sub-team) that `member` may see,
    and their key results `member` may see."""
    below = tree.below_counts()
    lines = {child.pk: SubTeam(child, below.get(child.pk, 0)) for child in tree.children}
    if not lines:
        return []
    owned = (
        Objective.objects.visible_to(member)
        .filter(period=period, team_links__team_id__in=list(lines))
        .values_list("id", "team_links__team_id")
    )
    teams_of: dict[int, list[int]] = defaultdict(list)
    for objective_id, team_id in owned:
        teams_of[objective_id].append(team_id)
    key_results = (
        KeyResult.objects.visible_to(member)
        # A subquery on the objectives, not a list on the key results (see `objective_cards`).
        .filter(objective__in=Objective.objects.filter(pk__in=list(teams_of)).values("pk"))
        .values_list(
            "id",
            "objective_id",
            "start_value",
            "target_value",
            "current_value",
            "weight",
            "open_blockers",
            "last_check_in_at",
            "created_at",
            "next_up_due",
        )
        if teams_of
        else []
    )
    # Per objective: (progress, weight) of each key result, as `objective_progress` reads them.
    progress_of: dict[int, list[tuple[float, float]]] = defaultdict(list)
    organization = member.organization
    for row in key_results:
        kr_id, objective_id, start, target, current, weight, blockers, last, created, due = row
        progress_of[objective_id].append((_progress(start, target, current), float(weight)))
        state = rhythm.staleness_for(_Rollups(last, created, due), organization, today)
        for team_id in teams_of[objective_id]:
            line = lines[team_id]
            line.states[kr_id] = state
            line.open_blockers += blockers
    values_of: dict[int, list[float]] = defaultdict(list)
    for objective_id, team_ids in teams_of.items():
        value = progress_maths.objective_progress(progress_of.get(objective_id, []))
        for team_id in team_ids:
            lines[team_id].objectives += 1
            if value is not None:
                values_of[team_id].append(value)
    for team_id, line in lines.items():
        if line.objectives:
            mean = progress_maths.objective_progress((v, 1.0) for v in values_of[team_id])
            line.progress = ProgressView.of(mean, period, today)
    return list(lines.values())


def _progress(start: Decimal, target: Decimal, current: Decimal) -> float:
    return progress_maths.key_result_progress(
        start=float(start), target=float(target), current=float(current)
    )
