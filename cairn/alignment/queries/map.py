"""The alignment map of a period, and one team's own view of its alignment.

Both are read in a fixed number of set-based queries, whatever the number of objectives,
links and dependencies: the teams, the period's visible objectives, their owning teams and
visible key results, every alignment link touching the period, the linked objectives (and
parent key results) of other periods, and the visible dependencies. The graph is assembled
here in Python.

Privacy (PRODUCT.md, "Transparency"): what a member may see is decided by the `visible_to`
gate alone. An objective they may not see but which sits in an alignment chain of one they
can see becomes a *redacted node*: it keeps its place in the structure (its links) and
nothing else — no title, owner, team, numbers or uid. A private key result used as a parent
inside a visible objective is redacted the same way. Hidden objectives outside every visible
chain are not on the page at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from cairn.alignment.models import Dependency, DependencyState
from cairn.okrs.models import Alignment, KeyResult, Objective, ObjectiveTeam
from cairn.okrs.queries.common import ProgressView, objective_progress
from cairn.orgs.models import Member, Period, Team, TeamMembership

# Long texts no map row shows: left in the database so 500 rows stay light.
OBJECTIVE_TEXTS = ("description",)
KEY_RESULT_TEXTS = ("description", "context_why", "context_baseline", "context_tactic")


@dataclass(eq=False)
class MapNode:
    """One objective on the map; `objective` is None for a redacted node."""

    objective: Objective | None
    teams: list[Team] = field(default_factory=list)
    key_results: list[KeyResult] = field(default_factory=list)
    progress: ProgressView | None = None
    in_period: bool = False
    up: list[MapEdge] = field(default_factory=list)
    down: list[MapEdge] = field(default_factory=list)
    dependencies: list[Dependency] = field(default_factory=list)
    # Drawn wherever it is linked: every visible node; a redacted one only when it is in a
    # chain the page shows (`AlignmentGraph.redacted_in_chains`).
    shown: bool = True
    # Set per page: the node has a row carrying `anchor` on this page. A redacted node's
    # anchor is a counter ("p-1", "p-2", ...), never an id, so that nothing about the hidden
    # objective reaches the page.
    on_page: bool = False
    anchor: str = ""

    @property
    def is_redacted(self) -> bool:
        return self.objective is None

    @property
    def is_shared(self) -> bool:
        return len(self.teams) > 1

    @property
    def team_names(self) -> str:
        return ", ".join(team.name for team in self.teams)

    @property
    def over_optimistic(self) -> int:
        return sum(1 for kr in self.key_results if kr.is_over_optimistic)

    @property
    def links_up(self) -> list[MapEdge]:
        return [edge for edge in self.up if edge.node.shown]

    @property
    def links_down(self) -> list[MapEdge]:
        return [edge for edge in self.down if edge.node.shown]


@dataclass(frozen=True, eq=False)
class MapEdge:
    """A link from a node to `node`. `key_result` is the parent key result the alignment goes
    through (the other end's for an up link, this node's own for a down link) when visible;
    `via_private_key_result` when it goes through one the member may not see."""

    node: MapNode
    key_result: KeyResult | None = None
    via_private_key_result: bool = False


@dataclass
class AlignmentGraph:
    period: Period
    teams: list[Team]
    # The period's visible objectives, oldest first.
    nodes: list[MapNode]
    dependencies: list[Dependency]
    # Hidden objectives in a chain of some visible objective of the period.
    hidden: list[MapNode]

    def redacted_in_chains(
        self, starts: Iterable[MapNode], *, on_page: bool = True
    ) -> list[MapNode]:
        """The hidden objectives in the alignment chains of `starts` — above them going up
        and below them going down, through hidden objectives only — in the order they are
        met, marked shown (and, `on_page`, given a numbered anchor for this page's list)."""
        found: list[MapNode] = []
        seen: set[int] = set()

        def visit(node: MapNode, upward: bool) -> None:
            stack = [node]
            while stack:
                current = stack.pop()
                edges = current.up if upward else current.down
                for edge in reversed(edges):
                    other = edge.node
                    if other.is_redacted and id(other) not in seen:
                        seen.add(id(other))
                        found.append(other)
                        stack.append(other)

        for start in starts:
            visit(start, upward=True)
            visit(start, upward=False)
        for number, node in enumerate(found, start=1):
            node.shown = True
            if on_page:
                node.on_page, node.anchor = True, f"p-{number}"
        return found


def _key_results(member: Member, q: Q) -> list[KeyResult]:
    return list(
        KeyResult.objects.visible_to(member)
        .filter(q)
        .defer(*KEY_RESULT_TEXTS)
        .order_by("position", "created_at", "id")
    )


def alignment_graph(member: Member, period: Period) -> AlignmentGraph:
    """The period's alignment graph as `member` may see it (see the module docstring)."""
    org_id = member.organization_id
    today = member.organization.today()
    teams = list(Team.objects.filter(organization_id=org_id).order_by("name"))
    team_by_id = {team.pk: team for team in teams}

    visible = Objective.objects.visible_to(member)
    in_period = visible.filter(period=period)
    objectives = list(
        in_period.select_related("owner_person__user")
        .defer(*OBJECTIVE_TEXTS)
        .order_by("created_at", "id")
    )
    nodes: dict[int, MapNode] = {
        objective.pk: MapNode(objective=objective, in_period=True) for objective in objectives
    }
    for objective_id, team_id in ObjectiveTeam.objects.filter(
        objective__in=in_period.values("pk")
    ).values_list("objective_id", "team_id"):
        nodes[objective_id].teams.append(team_by_id[team_id])
    key_results = {kr.pk: kr for kr in _key_results(member, Q(objective__period=period))}
    for kr in key_results.values():
        nodes[kr.objective_id].key_results.append(kr)
    for node in nodes.values():
        node.teams.sort(key=lambda team: team.name.lower())
        node.progress = ProgressView.of(objective_progress(node.key_results), period, today)

    # Every link with an end in the period, whoever may see either end: the gate is applied
    # below, end by end.
    links = list(
        Alignment.objects.filter(organization_id=org_id)
        .filter(
            Q(child__period=period)
            | Q(parent_objective__period=period)
            | Q(parent_key_result__objective__period=period)
        )
        .order_by("created_at", "id")
        .values_list(
            "child_id",
            "parent_objective_id",
            "parent_key_result_id",
            "parent_key_result__objective_id",
        )
    )
    edges = [(child, parent or kr_parent, kr) for child, parent, kr, kr_parent in links]
    elsewhere = {end for child, parent, _ in edges for end in (child, parent)} - nodes.keys()
    if elsewhere:
        for objective in (
            visible.filter(pk__in=elsewhere).select_related("period").defer(*OBJECTIVE_TEXTS)
        ):
            nodes[objective.pk] = MapNode(objective=objective)
    hidden_ids = elsewhere - nodes.keys()
    # Parent key results in objectives of other periods (those of this period are loaded).
    wanted_krs = {
        kr for _, parent, kr in edges if kr and parent in nodes and not nodes[parent].in_period
    }
    if wanted_krs:
        key_results.update((kr.pk, kr) for kr in _key_results(member, Q(pk__in=wanted_krs)))

    # Hidden objectives join the graph only where they sit in a chain of a visible objective
    # of the period; `redacted_in_chains` decides what each page shows of them.
    parents: dict[int, list[int]] = {}
    children: dict[int, list[int]] = {}
    for child, parent, _ in edges:
        parents.setdefault(child, []).append(parent)
        children.setdefault(parent, []).append(child)
    hidden: dict[int, MapNode] = {}
    for objective in objectives:
        for step in (parents, children):
            stack = [objective.pk]
            while stack:
                for other in step.get(stack.pop(), ()):
                    if other in hidden_ids and other not in hidden:
                        hidden[other] = MapNode(objective=None, shown=False)
                        stack.append(other)

    def node_of(objective_id: int) -> MapNode | None:
        return nodes.get(objective_id) or hidden.get(objective_id)

    for child_id, parent_id, kr_id in edges:
        below, above = node_of(child_id), node_of(parent_id)
        if below is None or above is None:
            continue
        through = key_results.get(kr_id) if kr_id else None
        # A parent key result the member may not see, inside an objective they may see; in
        # a hidden objective the key result is simply part of the redacted node.
        private_kr = bool(kr_id) and through is None and not above.is_redacted
        below.up.append(MapEdge(above, through, private_kr))
        above.down.append(MapEdge(below, through, private_kr))

    dependencies = list(
        Dependency.objects.visible_to(member)
        .filter(objective__period=period)
        # A request made shared became co-ownership, a withdrawn one is gone: neither is a
        # sideways link any more (the thread keeps them).
        .exclude(state__in=(DependencyState.MADE_SHARED, DependencyState.WITHDRAWN))
        .order_by("created_at", "id")
    )
    for dependency in dependencies:
        # Everything a row shows is already loaded: no query per dependency.
        owner = nodes[dependency.objective_id]
        assert owner.objective is not None
        dependency.objective = owner.objective
        dependency.requesting_team = team_by_id[dependency.requesting_team_id]
        dependency.providing_team = team_by_id[dependency.providing_team_id]
        if dependency.key_result_id in key_results:
            dependency.key_result = key_results[dependency.key_result_id]
        owner.dependencies.append(dependency)

    return AlignmentGraph(
        period=period,
        teams=teams,
        nodes=[nodes[objective.pk] for objective in objectives],
        dependencies=dependencies,
        hidden=list(hidden.values()),
    )


# The map ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MapRow:
    """A node under a team. A shared OKR has its full row (with the anchor) under the first
    of its teams on the page; its other teams get a cross-reference row to it."""

    node: MapNode
    home: Team | None
    is_home: bool


@dataclass(frozen=True, eq=False)
class Asked:
    """A request another team makes of a team, and the node it is raised from."""

    dependency: Dependency
    node: MapNode


@dataclass(eq=False)
class TeamGroup:
    team: Team
    depth: int
    rows: list[MapRow] = field(default_factory=list)
    children: list[TeamGroup] = field(default_factory=list)
    # Requests other teams make of this team.
    asked: list[Asked] = field(default_factory=list)
    asks: int = 0

    @property
    def aligned(self) -> int:
        return sum(1 for row in self.rows if row.node.up)

    def prune(self, keep: bool = False) -> bool:
        """Drop branches with nothing to show; True when this group still has something."""
        self.children = [child for child in self.children if child.prune()]
        return keep or bool(self.rows or self.asked or self.asks or self.children)


@dataclass(frozen=True)
class TeamChoice:
    team: Team
    depth: int

    @property
    def indent(self) -> str:
        return "\u2003" * self.depth


@dataclass
class AlignmentMap:
    period: Period
    team: Team | None
    groups: list[TeamGroup]
    people: list[MapNode]
    redacted: list[MapNode]
    team_choices: list[TeamChoice]
    objective_count: int
    link_count: int
    dependency_count: int

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.people and not self.redacted


def _team_order(teams: list[Team], roots: list[Team]) -> list[TeamChoice]:
    """Teams depth-first from `roots`, by name; each team once even if the data had a cycle."""
    below: dict[int, list[Team]] = {}
    for team in teams:
        if team.parent_id is not None:
            below.setdefault(team.parent_id, []).append(team)
    order: list[TeamChoice] = []
    seen: set[int] = set()
    stack = [(root, 0) for root in reversed(roots)]
    while stack:
        team, depth = stack.pop()
        if team.pk in seen:
            continue
        seen.add(team.pk)
        order.append(TeamChoice(team, depth))
        stack.extend((child, depth + 1) for child in reversed(below.get(team.pk, [])))
    return order


def _roots(teams: list[Team]) -> list[Team]:
    ids = {team.pk for team in teams}
    return [team for team in teams if team.parent_id is None or team.parent_id not in ids]


def _people_of(team_ids: set[int], teams: list[Team]) -> set[int]:
    """Members and leads of the given teams: their personal objectives belong to the filter."""
    people = set(
        TeamMembership.objects.filter(team_id__in=team_ids).values_list("member_id", flat=True)
    )
    people |= {team.lead_id for team in teams if team.pk in team_ids and team.lead_id}
    return people


def _owner_name(node: MapNode) -> str:
    owner = node.objective.owner_person if node.objective else None
    return owner.name.lower() if owner else ""


def alignment_map(member: Member, period: Period, team: Team | None = None) -> AlignmentMap:
    """The period's objectives along the team tree with their links up, down and sideways.

    With `team`, only that team and the teams below it (and their people's personal
    objectives); links leading elsewhere still show, pointing to the objective's page.
    """
    graph = alignment_graph(member, period)
    choices = _team_order(graph.teams, _roots(graph.teams))
    if team is not None:
        start = next(choice.team for choice in choices if choice.team.pk == team.pk)
        order = _team_order(graph.teams, [start])
    else:
        order = choices
    groups = {choice.team.pk: TeamGroup(choice.team, choice.depth) for choice in order}
    position = {choice.team.pk: index for index, choice in enumerate(order)}
    people_ids = _people_of(set(groups), graph.teams) if team is not None else None

    people: list[MapNode] = []
    for node in graph.nodes:
        objective = node.objective
        assert objective is not None
        here = sorted((t for t in node.teams if t.pk in groups), key=lambda t: position[t.pk])
        for owner in here:
            groups[owner.pk].rows.append(MapRow(node, here[0], owner is here[0]))
        personal = not node.teams and (
            people_ids is None or objective.owner_person_id in people_ids
        )
        if personal:
            people.append(node)
        if here or personal:
            node.on_page, node.anchor = True, f"o-{objective.uid}"

    node_of = {node.objective.pk: node for node in graph.nodes if node.objective}
    dependency_count = 0
    for dependency in graph.dependencies:
        asked = groups.get(dependency.providing_team_id)
        asking = groups.get(dependency.requesting_team_id)
        if asked is not None:
            asked.asked.append(Asked(dependency, node_of[dependency.objective_id]))
        if asking is not None:
            asking.asks += 1
        dependency_count += asked is not None or asking is not None

    shown = [node for node in graph.nodes if node.on_page]
    redacted = graph.redacted_in_chains(shown)
    # Each link once: from its child when the child has a row here, else from its parent.
    on_page = [*shown, *redacted]
    link_count = sum(len(node.links_up) for node in on_page) + sum(
        1 for node in on_page for edge in node.links_down if not edge.node.on_page
    )

    tops: list[TeamGroup] = []
    for choice in order:
        group = groups[choice.team.pk]
        if choice.depth and choice.team.parent_id in groups:
            groups[choice.team.parent_id].children.append(group)  # type: ignore[index]
        else:
            tops.append(group)
    tops = [group for group in tops if group.prune(keep=team is not None)]
    people.sort(key=_owner_name)
    return AlignmentMap(
        period=period,
        team=team,
        groups=tops,
        people=people,
        redacted=redacted,
        team_choices=choices,
        objective_count=len(shown),
        link_count=link_count,
        dependency_count=dependency_count,
    )


# A team's own view --------------------------------------------------------------------------


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
    other teams' (they contribute to it); links go to the objectives' pages."""
    graph = alignment_graph(member, period)
    own = [node for node in graph.nodes if any(t.pk == team.pk for t in node.teams)]
    # No list of private items on this page: a redacted node is text, not a link.
    graph.redacted_in_chains(own, on_page=False)
    return TeamAlignment(
        team=team,
        period=period,
        objectives=own,
        contributes_to=[TeamLink(node, edge) for node in own for edge in node.links_up],
        contributed_by=[TeamLink(node, edge) for node in own for edge in node.links_down],
        depends_on=[d for d in graph.dependencies if d.requesting_team_id == team.pk],
        depended_on_by=[d for d in graph.dependencies if d.providing_team_id == team.pk],
    )
