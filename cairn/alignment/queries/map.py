"""The alignment map of a period (and, re-exported for its callers, a team's own view of its
alignment: `team_alignment`).

The map reads the period's structure (`structure.load_structure`: ids, a fixed number of
queries) and then only the objectives it draws (`graph.hydrate`). A page at 10,000
objectives does not draw 10,000 rows: the map shows the whole team tree's counts, draws the
objectives of the top levels while they fit in `OPEN_ROWS`, and the teams below (and the
personal objectives, a page at a time) load when they are opened — each through the same
gate and the same structure, scoped to that team (`team_part`, `people_part`).

Privacy: see `graph`. Every fragment works out its own private chains and numbers its
redacted nodes with its own prefix, never an id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cairn.alignment.models import Dependency
from cairn.alignment.queries.graph import (
    AlignmentGraph,
    KeyResultRow,
    MapEdge,
    MapNode,
    alignment_graph,
    hydrate,
)
from cairn.alignment.queries.structure import Structure, TeamRow, load_structure
from cairn.alignment.queries.team_alignment import TeamAlignment, TeamLink, team_alignment
from cairn.orgs.models import Member, Period, Team, TeamMembership

__all__ = [
    "AlignmentGraph",
    "AlignmentMap",
    "KeyResultRow",
    "MapEdge",
    "MapNode",
    "TeamAlignment",
    "TeamLink",
    "alignment_graph",
    "alignment_map",
    "people_part",
    "team_alignment",
    "team_part",
]

# A map page (or an opened team) draws the rows of whole levels of the team tree while they
# fit in this many; the teams of the next level show their counts and load when opened.
OPEN_ROWS = 200
# Personal objectives that do not fit load this many at a time.
PEOPLE_PAGE = 100
# The team filter lists whole levels of the tree while they fit in this many (and the team
# chosen, with the teams above it); deeper teams are reached through the tree.
TEAM_CHOICES = 300


@dataclass(frozen=True, eq=False)
class MapRow:
    """A node under a team. A shared OKR has its full row (with the anchor) under the first
    of its teams drawn; its other teams get a cross-reference row to it."""

    node: MapNode
    home: TeamRow | None
    is_home: bool


@dataclass(frozen=True, eq=False)
class Asked:
    """A request another team makes of a team, and the node it is raised from."""

    dependency: Dependency
    node: MapNode


@dataclass(eq=False)
class TeamGroup:
    team: TeamRow
    depth: int
    # Counts over what the member may see: the team's own objectives (a shared OKR counts in
    # each of its teams), those aligned up, requests it makes and requests made of it.
    count: int = 0
    aligned: int = 0
    asks: int = 0
    asked_count: int = 0
    # The teams below it with something to show, and their objectives.
    teams_below: int = 0
    below: int = 0
    # Drawn: its rows, requests and sub-teams are on the page; else they load when opened.
    open: bool = False
    rows: list[MapRow] = field(default_factory=list)
    children: list[TeamGroup] = field(default_factory=list)
    # Requests other teams make of this team.
    asked: list[Asked] = field(default_factory=list)


@dataclass(frozen=True)
class TeamChoice:
    team: TeamRow
    depth: int

    @property
    def indent(self) -> str:
        return "\u2003" * self.depth


@dataclass
class AlignmentMap:
    period: Period
    team: Team | None
    groups: list[TeamGroup]
    # Personal objectives: how many, and the rows drawn (all of them, or one page).
    people: list[MapNode]
    people_count: int
    people_open: bool
    redacted: list[MapNode]
    team_choices: list[TeamChoice]
    objective_count: int
    link_count: int
    dependency_count: int
    # A fragment's page of personal objectives, and the next one when there is more.
    page: int = 1
    next_page: int | None = None
    # A fragment of the map page (an opened team, a page of personal objectives).
    part: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.people_count and not self.redacted

    @property
    def has_closed_teams(self) -> bool:
        stack = list(self.groups)
        while stack:
            group = stack.pop()
            if not group.open:
                return True
            stack.extend(group.children)
        return False


@dataclass
class _Tree:
    """Teams depth-first, by name, as two parallel lists (a tree of 2,000 teams is read on
    every map page: no object per team)."""

    pks: list[int]
    depths: list[int]

    @classmethod
    def of(cls, teams: list[TeamRow]) -> _Tree:
        """The whole tree from its roots; each team once even if the data had a cycle (a team
        in a cycle with no root above it is in no tree)."""
        ids = {team.pk for team in teams}
        below: dict[int, list[int]] = {}
        roots: list[int] = []
        for team in teams:
            if team.parent_id is None or team.parent_id not in ids:
                roots.append(team.pk)
            else:
                below.setdefault(team.parent_id, []).append(team.pk)
        tree = cls([], [])
        seen: set[int] = set()
        stack = [(root, 0) for root in reversed(roots)]
        while stack:
            pk, depth = stack.pop()
            if pk in seen:
                continue
            seen.add(pk)
            tree.pks.append(pk)
            tree.depths.append(depth)
            stack.extend((child, depth + 1) for child in reversed(below.get(pk, [])))
        return tree

    def below(self, team: int) -> _Tree:
        """`team` and the teams below it, with depths counted from it."""
        try:
            start = self.pks.index(team)
        except ValueError:
            return _Tree([team], [0])
        top = self.depths[start]
        end = start + 1
        while end < len(self.pks) and self.depths[end] > top:
            end += 1
        return _Tree(self.pks[start:end], [depth - top for depth in self.depths[start:end]])


def _choices(tree: _Tree, teams: dict[int, TeamRow], team: Team | None) -> list[TeamChoice]:
    """The teams the filter lists (see `TEAM_CHOICES`), in tree order."""
    per_level: dict[int, int] = {}
    for depth in tree.depths:
        per_level[depth] = per_level.get(depth, 0) + 1
    deepest, total = 0, 0
    for depth in sorted(per_level):
        total += per_level[depth]
        if total > TEAM_CHOICES and depth > 0:
            break
        deepest = depth
    chosen: set[int] = set()
    current = team.pk if team is not None else None
    while current is not None and current in teams and current not in chosen:
        chosen.add(current)
        current = teams[current].parent_id
    return [
        TeamChoice(teams[pk], depth)
        for pk, depth in zip(tree.pks, tree.depths, strict=True)
        if depth <= deepest or pk in chosen
    ]


def _people_of(team_ids: list[int], teams: dict[int, TeamRow]) -> set[int]:
    """Members and leads of the given teams: their personal objectives belong to the filter."""
    people = set(
        TeamMembership.objects.filter(team_id__in=team_ids).values_list("member_id", flat=True)
    )
    people |= {teams[pk].lead_id for pk in team_ids if teams[pk].lead_id}  # type: ignore[misc]
    return people


def _owner_key(node: MapNode) -> str:
    owner = node.objective.owner_person if node.objective else None
    return owner.name.lower() if owner else ""


@dataclass
class _Scope:
    """The teams of a map (the whole tree, or one team and those below it) with their counts,
    worked out on the structure alone, in plain maps by team id; `TeamGroup`s are made only
    for the teams a page draws (`groups`)."""

    structure: Structure
    count: dict[int, int]
    aligned: dict[int, int]
    asks: dict[int, int]
    asked: dict[int, int]
    # The teams kept (with something to show in or below them): the top ones, the kept
    # teams below each, and what is below each.
    tops: list[int]
    children: dict[int, list[int]]
    teams_below: dict[int, int]
    below: dict[int, int]
    # Objectives drawn per level of the tree (0: the top).
    rows_at: dict[int, int]
    # The period's visible objectives owned by the scope's teams, and its personal ones.
    owned: list[int]
    personal: list[int]

    def groups(self, deepest: int) -> list[TeamGroup]:
        """The top groups, open (with their sub-teams) down to level `deepest`, and closed
        ones (counts only) on the level after it."""

        def group(pk: int, depth: int) -> TeamGroup:
            made = TeamGroup(
                team=self.structure.team_by_id[pk],
                depth=depth,
                count=self.count.get(pk, 0),
                aligned=self.aligned.get(pk, 0),
                asks=self.asks.get(pk, 0),
                asked_count=self.asked.get(pk, 0),
                teams_below=self.teams_below.get(pk, 0),
                below=self.below.get(pk, 0),
                open=depth <= deepest,
            )
            if made.open:
                made.children = [group(child, depth + 1) for child in self.children.get(pk, ())]
            return made

        return [group(pk, 0) for pk in self.tops]


def _scope(structure: Structure, tree: _Tree, *, one_team: bool, people: bool) -> _Scope:
    in_scope = set(tree.pks)
    people_ids: set[int] | None = None
    if people and one_team:
        people_ids = _people_of(tree.pks, structure.team_by_id)
    count: dict[int, int] = {}
    aligned: dict[int, int] = {}
    owned: list[int] = []
    personal: list[int] = []
    up, team_of, co_teams = structure.up, structure.team_of, structure.co_teams
    for pk, owner in structure.owners.items():
        first = team_of.get(pk)
        if first is None:
            if people and (people_ids is None or owner in people_ids):
                personal.append(pk)
            continue
        mine = False
        for team in (first, *co_teams[pk]) if pk in co_teams else (first,):
            if team in in_scope:
                count[team] = count.get(team, 0) + 1
                if pk in up:
                    aligned[team] = aligned.get(team, 0) + 1
                mine = True
        if mine:
            owned.append(pk)
    asks: dict[int, int] = {}
    asked: dict[int, int] = {}
    for dependency in structure.dependencies:
        if dependency.providing_team_id in in_scope:
            asked[dependency.providing_team_id] = asked.get(dependency.providing_team_id, 0) + 1
        if dependency.requesting_team_id in in_scope:
            asks[dependency.requesting_team_id] = asks.get(dependency.requesting_team_id, 0) + 1

    # Bottom-up (a team comes after its parent in the tree): drop the teams with nothing to
    # show below them, and add up what is below the others.
    children: dict[int, list[int]] = {}
    teams_below: dict[int, int] = {}
    below: dict[int, int] = {}
    rows_at: dict[int, int] = {}
    tops: list[int] = []
    for pk, depth in zip(reversed(tree.pks), reversed(tree.depths), strict=True):
        kids = children.get(pk)
        if kids:
            kids.reverse()
            teams_below[pk] = sum(1 + teams_below.get(kid, 0) for kid in kids)
            below[pk] = sum(count.get(kid, 0) + below.get(kid, 0) for kid in kids)
        if not (count.get(pk) or asks.get(pk) or asked.get(pk) or kids or (one_team and not depth)):
            continue
        rows_at[depth] = rows_at.get(depth, 0) + count.get(pk, 0)
        if depth == 0:
            tops.append(pk)
        else:
            parent = structure.team_by_id[pk].parent_id
            children.setdefault(parent or 0, []).append(pk)
    tops.reverse()
    return _Scope(
        structure=structure,
        count=count,
        aligned=aligned,
        asks=asks,
        asked=asked,
        tops=tops,
        children=children,
        teams_below=teams_below,
        below=below,
        rows_at=rows_at,
        owned=owned,
        personal=personal,
    )


def _open_levels(scope: _Scope, *, one_team: bool) -> int:
    """The deepest level of the tree whose rows, with those of every level above, fit in
    `OPEN_ROWS` (-1: none; one team's own level is always open)."""
    deepest, total = -1, 0
    for depth in sorted(scope.rows_at):
        total += scope.rows_at[depth]
        if total > OPEN_ROWS and not (depth == 0 and one_team):
            break
        deepest = depth
    return deepest


def _number(redacted: list[MapNode], prefix: str) -> None:
    for number, node in enumerate(redacted, start=1):
        node.on_page, node.anchor = True, f"{prefix}{number}"


def _build(
    member: Member,
    period: Period,
    team: Team | None,
    *,
    people: bool,
    part: bool = False,
    prefix: str = "p-",
) -> AlignmentMap:
    structure = load_structure(member, period)
    tree = _Tree.of(structure.teams)
    scoped = tree.below(team.pk) if team is not None else tree
    scope = _scope(structure, scoped, one_team=team is not None, people=people)
    groups = scope.groups(_open_levels(scope, one_team=team is not None))

    # The groups drawn open, in page order, and the rows they draw.
    opened: list[TeamGroup] = []
    stack = list(reversed(groups))
    while stack:
        group = stack.pop()
        if group.open:
            opened.append(group)
            stack.extend(reversed(group.children))
    drawn = sum(group.count for group in opened)
    people_open = people and not part and drawn + len(scope.personal) <= OPEN_ROWS
    position = {group.team.pk: index for index, group in enumerate(opened)}
    rows: dict[int, list[int]] = {}
    for pk in scope.owned:
        here = [t for t in structure.team_ids(pk) if t in position]
        if here:
            rows[pk] = sorted(here, key=position.__getitem__)
    on_page = [*rows, *(scope.personal if people_open else ())]
    hidden = structure.chain(on_page)
    asked = [d for d in structure.dependencies if d.providing_team_id in position]
    hydrated = hydrate(
        structure,
        [*on_page, *hidden],
        named=[d.objective_id for d in asked],
        dependencies=[d.pk for d in asked],
    )
    nodes = hydrated.nodes
    for pk in on_page:
        node = nodes[pk]
        if node.objective is not None:
            node.on_page, node.anchor = True, f"o-{node.objective.uid}"
    redacted = [nodes[pk] for pk in hidden]
    _number(redacted, prefix)
    by_team = {group.team.pk: group for group in opened}
    for pk, team_ids in rows.items():
        home = structure.team_by_id[team_ids[0]]
        for team_id in team_ids:
            by_team[team_id].rows.append(MapRow(nodes[pk], home, team_id == team_ids[0]))
    for link in asked:
        dependency = hydrated.dependencies.get(link.pk)
        if dependency is not None:
            by_team[link.providing_team_id].asked.append(
                Asked(dependency, nodes[link.objective_id])
            )
    people_rows = [nodes[pk] for pk in scope.personal] if people_open else []
    people_rows.sort(key=_owner_key)

    in_scope = set(scope.owned) | set(scope.personal)
    link_count = sum(
        1
        for child, links in structure.up.items()
        for parent in links[::2]
        if child in in_scope or parent in in_scope
    )
    teams = set(scoped.pks)
    dependency_count = sum(
        1
        for d in structure.dependencies
        if d.providing_team_id in teams or d.requesting_team_id in teams
    )
    return AlignmentMap(
        period=period,
        team=team,
        groups=groups,
        people=people_rows,
        people_count=len(scope.personal),
        people_open=people_open,
        redacted=redacted,
        team_choices=[] if part else _choices(tree, structure.team_by_id, team),
        objective_count=len(in_scope),
        link_count=link_count,
        dependency_count=dependency_count,
        part=part,
    )


def alignment_map(member: Member, period: Period, team: Team | None = None) -> AlignmentMap:
    """The period's objectives along the team tree with their links up, down and sideways.

    With `team`, only that team and the teams below it (and their people's personal
    objectives); links leading elsewhere still show, pointing to the objective's page.
    """
    return _build(member, period, team, people=True)


def team_part(member: Member, period: Period, team: Team) -> AlignmentMap:
    """What an opened team of the map draws: the map of that team and the teams below it,
    without personal objectives (the map has their own group); its redacted nodes are
    numbered apart from the page's."""
    return _build(member, period, team, people=False, part=True, prefix=f"p-{team.uid.hex[:8]}-")


def people_part(member: Member, period: Period, team: Team | None, page: int) -> AlignmentMap:
    """One page of the map's personal objectives (of the whole organization, or of the
    people of `team` and the teams below it), by owner."""
    structure = load_structure(member, period)
    tree = _Tree.of(structure.teams)
    scoped = tree.below(team.pk) if team is not None else tree
    scope = _scope(structure, scoped, one_team=team is not None, people=True)
    owners = _owner_names(structure, scope.personal)
    ordered = sorted(scope.personal, key=lambda pk: owners.get(structure.owners[pk] or 0, ""))
    pages = max(1, -(-len(ordered) // PEOPLE_PAGE))
    page = min(max(page, 1), pages)
    mine = ordered[(page - 1) * PEOPLE_PAGE : page * PEOPLE_PAGE]
    hidden = structure.chain(mine)
    nodes = hydrate(structure, [*mine, *hidden]).nodes
    for pk in mine:
        node = nodes[pk]
        if node.objective is not None:
            node.on_page, node.anchor = True, f"o-{node.objective.uid}"
    redacted = [nodes[pk] for pk in hidden]
    _number(redacted, f"p-people{page}-")
    return AlignmentMap(
        period=period,
        team=team,
        groups=[],
        people=[nodes[pk] for pk in mine],
        people_count=len(ordered),
        people_open=True,
        redacted=redacted,
        team_choices=[],
        objective_count=len(mine),
        link_count=0,
        dependency_count=0,
        page=page,
        next_page=page + 1 if page < pages else None,
        part=True,
    )


def _owner_names(structure: Structure, objective_ids: list[int]) -> dict[int, str]:
    """The sort key of each owner of these objectives (their shown name, lower case)."""
    ids = {structure.owners[pk] for pk in objective_ids} - {None}
    if not ids:
        return {}
    return {
        pk: (name or email.split("@")[0]).lower()
        for pk, name, email in Member.objects.filter(
            organization_id=structure.member.organization_id, pk__in=ids
        ).values_list("pk", "user__name", "user__email")
    }
