"""Team and person pages, and the one rule for "a team's key results"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Exists, OuterRef, Q, QuerySet

from cairn.okrs.models import (
    Initiative,
    KeyResult,
    Objective,
    ObjectiveTeam,
)
from cairn.okrs.queries.common import Signals, visible_key_results
from cairn.orgs.access import can_edit_objective
from cairn.orgs.models import Member, Period, Team, TeamMembership

# Team and person pages ----------------------------------------------------------------------


@dataclass(frozen=True)
class TeamTree:
    """A team and every team below it (children, their children, ...), read in one query."""

    team: Team
    # The whole tree, the team itself included.
    ids: frozenset[int]
    # Each team of the tree's parent (the team itself: None).
    parents: dict[int, int | None] = field(default_factory=dict)

    @cached_property
    def children(self) -> list[Team]:
        """The direct sub-teams, by name (one query, when asked)."""
        return list(Team.objects.filter(parent_id=self.team.pk).order_by("name"))

    def below_counts(self) -> dict[int, int]:
        """How many teams are below each team of the tree."""
        counts = dict.fromkeys(self.ids, 0)
        for pk in self.ids:
            parent = self.parents.get(pk)
            seen = {pk}
            while parent is not None and parent not in seen:
                counts[parent] += 1
                seen.add(parent)
                parent = self.parents.get(parent)
        return counts


def team_tree(team: Team) -> TeamTree:
    """The team tree below `team`: the organization's teams' ids and parents in one query,
    walked here, so that the number of queries does not grow with the depth. A cycle (which
    the forms prevent) cannot loop: a team is visited once."""
    below: dict[int, list[int]] = {}
    rows = Team.objects.filter(organization_id=team.organization_id).order_by()
    for pk, parent_id in rows.values_list("id", "parent_id"):
        if parent_id is not None:
            below.setdefault(parent_id, []).append(pk)
    ids = {team.pk}
    parents: dict[int, int | None] = {team.pk: None}
    todo = [team.pk]
    while todo:
        above = todo.pop()
        for child in below.get(above, []):
            if child not in ids:
                ids.add(child)
                parents[child] = above
                todo.append(child)
    return TeamTree(team=team, ids=frozenset(ids), parents=parents)


def own_objectives(team: Team, period: Period) -> QuerySet[Objective]:
    """The period's objectives the team itself owns (not a gate: `objective_cards` is)."""
    return Objective.objects.filter(
        period=period, pk__in=ObjectiveTeam.objects.filter(team=team).values("objective_id")
    )


def team_key_results_q(tree: TeamTree) -> Q:
    """Q over KeyResult: the one rule for "a team's key results", used by the team page, the
    blockers board and insights filters and the team lead's digest. Those of objectives owned
    by the team or any team below it, and those its people own (members and leads of those
    teams; a key result without an owner is its personal objective owner's). Not a gate:
    always combined with `KeyResult.objects.visible_to`."""
    owning = ObjectiveTeam.objects.filter(team_id__in=tree.ids).values("objective_id")
    people_ids = Member.objects.filter(
        Q(pk__in=TeamMembership.objects.filter(team_id__in=tree.ids).values("member_id"))
        | Q(pk__in=Team.objects.filter(pk__in=tree.ids).values("lead_id"))
    ).values("pk")
    return (
        Q(objective__in=owning)
        | Q(owner__in=people_ids)
        | Q(owner__isnull=True, objective__owner_person__in=people_ids)
    )


def team_key_results(member: Member, team: Team | TeamTree) -> QuerySet[KeyResult]:
    """A team's key results (`team_key_results_q`) that `member` may see."""
    tree = team if isinstance(team, TeamTree) else team_tree(team)
    return KeyResult.objects.visible_to(member).filter(team_key_results_q(tree))


def team_people_signals(
    member: Member, tree: TeamTree, period: Period | None, today: dt.date
) -> list[Signals]:
    """Key results the team's own people (its members and lead) own on objectives no team of
    the tree owns (personal objectives, other teams' objectives), with their signals. The
    people of the teams below show on their own teams' pages."""
    if period is None:
        return []
    # Asked per key result: the tree's objectives (of every period) are thousands high in
    # the organization, its people's few key results a handful.
    owned_by_tree = ObjectiveTeam.objects.filter(
        objective=OuterRef("objective_id"), team_id__in=sorted(tree.ids)
    )
    # As a list: "owner in (a few ids)" is an index lookup for every planner, where a
    # subquery with an OR made PostgreSQL read every key result.
    people_ids = {
        *TeamMembership.objects.filter(team=tree.team).values_list("member_id", flat=True),
        *([tree.team.lead_id] if tree.team.lead_id else []),
    }
    key_results = (
        KeyResult.objects.visible_to(member)
        .filter(objective__period=period)
        .filter(
            Q(owner__in=people_ids) | Q(owner__isnull=True, objective__owner_person__in=people_ids)
        )
        .exclude(Exists(owned_by_tree))
        .select_related("objective__owner_person__user", "owner__user")
        .order_by("objective__created_at", "objective_id", "position", "id")
    )
    return [Signals.of(kr, member.organization, today) for kr in key_results]


def team_initiatives(member: Member, team: Team, period: Period | None) -> list[Initiative]:
    """The team's initiatives in the period, and those on the period's objectives that were
    deferred out of it (shown with where they went)."""
    if period is None:
        return []
    return list(
        Initiative.objects.visible_to(member)
        .filter(team=team)
        .filter(Q(period=period) | Q(objective__period=period))
        .select_related("objective", "period", "key_result", "owner__user")
        .order_by("objective__created_at", "created_at", "id")
    )


def team_members(team: Team) -> list[Member]:
    return [
        m
        for m in Member.objects.filter(team_memberships__team=team, is_active=True)
        .select_related("user")
        .order_by("user__name", "user__email")
    ]


def person_key_results(member: Member, person: Member, period: Period | None) -> list[KeyResult]:
    if period is None:
        return []
    return list(
        visible_key_results(member)
        .filter(owner=person, objective__period=period)
        .select_related("objective__period")
        .order_by("objective__created_at", "position", "id")
    )


def person_initiatives(member: Member, person: Member, period: Period | None) -> list[Initiative]:
    if period is None:
        return []
    return list(
        Initiative.objects.visible_to(member)
        .filter(owner=person)
        .filter(Q(period=period) | Q(objective__period=period))
        .select_related("objective__period", "period", "key_result", "team")
        .order_by("created_at", "id")
    )


def objective_is_editable(member: Member, objective: Objective) -> bool:
    return can_edit_objective(member, objective)
