"""One team's own view of its alignment in a period: what its objectives contribute to, what
contributes to them, who it depends on and who depends on it.

Read around the team alone (`structure.load_team_structure`, then `graph.hydrate` of its own
objectives): a fixed number of queries, whatever the size of the period.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from cairn.alignment.models import Dependency, DependencyState
from cairn.alignment.queries.graph import KEY_RESULT_TEXTS, MapEdge, MapNode, hydrate
from cairn.alignment.queries.structure import load_team_structure
from cairn.orgs.models import Member, Period, Team


@dataclass(frozen=True, eq=False)
class TeamLink:
    """One of the team's objectives (`own`) and the other end of a link (`edge`)."""

    own: MapNode
    edge: MapEdge


@dataclass
class TeamAlignment:
    team: Team
    period: Period
    objectives: list[MapNode]
    contributes_to: list[TeamLink]
    contributed_by: list[TeamLink]
    depends_on: list[Dependency]
    depended_on_by: list[Dependency]

    @property
    def partner_teams(self) -> list[Team]:
        """The teams this one has a sideways link with, by name."""
        teams = {d.providing_team_id: d.providing_team for d in self.depends_on}
        teams |= {d.requesting_team_id: d.requesting_team for d in self.depended_on_by}
        return sorted(teams.values(), key=lambda t: t.name.lower())


def team_alignment(member: Member, period: Period, team: Team) -> TeamAlignment:
    """What the team's own objectives of the period contribute to, what contributes to them,
    who the team depends on and who depends on it. Objectives of the teams below it count as
    other teams' (they contribute to it); links go to the objectives' pages, and a redacted
    node is text, not a link (this page has no list of private items)."""
    structure = load_team_structure(member, period, team)
    own_ids = [pk for pk in structure.owners if team.pk in structure.team_ids(pk)]
    nodes = hydrate(structure, own_ids).nodes
    own = [nodes[pk] for pk in own_ids]
    dependencies = list(
        Dependency.objects.visible_to(member)
        .filter(objective__period=period)
        .filter(Q(requesting_team=team) | Q(providing_team=team))
        .exclude(state__in=(DependencyState.MADE_SHARED, DependencyState.WITHDRAWN))
        # The objective and key result it is raised from are visible, as the request is.
        .select_related("objective", "key_result", "requesting_team", "providing_team")
        .defer("objective__description", *(f"key_result__{text}" for text in KEY_RESULT_TEXTS))
        .order_by("created_at", "id")
    )
    return TeamAlignment(
        team=team,
        period=period,
        objectives=own,
        contributes_to=[TeamLink(node, edge) for node in own for edge in node.links_up],
        contributed_by=[TeamLink(node, edge) for node in own for edge in node.links_down],
        depends_on=[d for d in dependencies if d.requesting_team_id == team.pk],
        depended_on_by=[d for d in dependencies if d.providing_team_id == team.pk],
    )
