"""Team and person pages, and the one rule for "a team's key results"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

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
    # Direct sub-teams, by name; `ids` holds the whole tree, the team itself included.
    children: list[Team]
    ids: frozenset[int]


def team_tree(team: Team) -> TeamTree:
    """The team tree below `team`: all the organization's teams in one query, walked here, so
    the number of queries does not grow with the depth. A cycle (which the forms prevent)
    cannot loop: a team is visited once."""
    teams = list(Team.objects.filter(organization_id=team.organization_id).order_by("name"))
    below: dict[int, list[Team]] = {}
    for other in teams:
        if other.parent_id is not None:
            below.setdefault(other.parent_id, []).append(other)
    ids = {team.pk}
    todo = [team.pk]
    while todo:
        for child in below.get(todo.pop(), []):
            if child.pk not in ids:
                ids.add(child.pk)
                todo.append(child.pk)
    return TeamTree(team=team, children=below.get(team.pk, []), ids=frozenset(ids))


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


def team_objectives(
    member: Member, team: Team | TeamTree, period: Period | None
) -> QuerySet[Objective]:
    """The period's objectives owned by the team or a team below it, as `member` sees them."""
    tree = team if isinstance(team, TeamTree) else team_tree(team)
    owning = ObjectiveTeam.objects.filter(team_id__in=tree.ids).values("objective_id")
    qs = Objective.objects.visible_to(member).filter(pk__in=owning)
    return qs.filter(period=period) if period else qs.none()


def team_people_signals(
    member: Member, tree: TeamTree, period: Period | None, today: dt.date
) -> list[Signals]:
    """The team's key results on objectives no team of the tree owns (personal objectives of
    its people, or other teams' objectives they own a key result of), with their signals."""
    if period is None:
        return []
    owning = ObjectiveTeam.objects.filter(team_id__in=tree.ids).values("objective_id")
    key_results = (
        team_key_results(member, tree)
        .filter(objective__period=period)
        .exclude(objective__in=owning)
        .select_related("objective__period", "objective__owner_person__user", "owner__user")
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
        .select_related("objective__period", "period", "key_result", "owner__user")
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
