"""The alignment graph of a period, read in two steps so that a page pays only for what it shows.

1. The *structure* (`structure.load_structure`): which objectives of the period the member
   may see, their owners and owning teams, every alignment link touching them and which far
   ends the member may see, and the visible dependencies — ids only, a fixed number of queries.
   Counts, the team tree and the private chains are worked out on it in Python.
2. The *nodes* (`hydrate`): titles, owners, key results, progress and dependencies of just the
   objectives a page draws (and the ends of their links), again in a fixed number of queries.

Privacy (PRODUCT.md, "Transparency"): what a member may see is decided by the `visible_to`
gate alone. An objective they may not see but which sits in an alignment chain of one they
can see becomes a *redacted node*: it keeps its place in the structure (its links) and
nothing else — no title, owner, team, numbers or uid. A private key result used as a parent
inside a visible objective is redacted the same way. Hidden objectives outside every chain a
page shows are not on it at all.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.urls import reverse

from cairn.alignment.models import Dependency
from cairn.alignment.queries.structure import Structure, load_structure, pairs
from cairn.okrs import progress as progress_maths
from cairn.okrs.models import KeyResult, Objective
from cairn.okrs.queries.common import ProgressView
from cairn.orgs.models import Member, Period, Team

# Long texts no map row shows: left in the database.
OBJECTIVE_TEXTS = ("description",)
KEY_RESULT_TEXTS = ("description", "context_why", "context_baseline", "context_tactic")


@dataclass(frozen=True, eq=False)
class KeyResultRow:
    """What the map uses of a key result the member may see: its progress and flag for the
    objective's roll-up, its title where an alignment link goes through it."""

    pk: int
    uid: uuid.UUID
    title: str
    objective_id: int
    progress: float
    weight: float
    unaccepted_dependencies: int

    @property
    def is_over_optimistic(self) -> bool:
        return self.unaccepted_dependencies > 0


@dataclass(eq=False)
class MapNode:
    """One objective on the map; `objective` is None for a redacted node."""

    objective: Objective | None
    teams: list[Team] = field(default_factory=list)
    key_results: list[KeyResultRow] = field(default_factory=list)
    progress: ProgressView | None = None
    in_period: bool = False
    up: list[MapEdge] = field(default_factory=list)
    down: list[MapEdge] = field(default_factory=list)
    dependencies: list[Dependency] = field(default_factory=list)
    # Drawn wherever it is linked: every visible node; a redacted one only when it is in a
    # chain the page shows.
    shown: bool = True
    # Set per page: the node has a row carrying `anchor` on this page. A redacted node's
    # anchor is a counter ("p-1", "p-2", ...), never an id, so that nothing about the hidden
    # objective reaches the page.
    on_page: bool = False
    anchor: str = ""
    # The objective's page (a visible node).
    href: str = ""

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
    key_result: KeyResultRow | None = None
    via_private_key_result: bool = False


def url_maker(name: str, slug: str) -> Callable[[uuid.UUID], str]:
    """`reverse(name, args=[slug, uid])` for many uids at the cost of one: a map draws
    hundreds of links."""
    marker = str(uuid.UUID(int=0))
    head, tail = reverse(name, args=[slug, marker]).split(marker)
    return lambda uid: f"{head}{uid}{tail}"


def _key_result_rows(member: Member, q: Q) -> list[KeyResultRow]:
    rows = []
    for pk, uid, title, objective_id, start, target, current, weight, unaccepted in (
        KeyResult.objects.visible_to(member)
        .filter(q)
        .order_by("position", "created_at", "id")
        .values_list(
            "id",
            "uid",
            "title",
            "objective_id",
            "start_value",
            "target_value",
            "current_value",
            "weight",
            "unaccepted_dependencies",
        )
    ):
        progress = progress_maths.key_result_progress(
            start=float(start), target=float(target), current=float(current)
        )
        rows.append(KeyResultRow(pk, uid, title, objective_id, progress, float(weight), unaccepted))
    return rows


def _objectives(member: Member, ids: Collection[int]) -> QuerySet[Objective]:
    return (
        Objective.objects.visible_to(member)
        .filter(pk__in=ids)
        .select_related("owner_person__user", "period")
        .defer(*OBJECTIVE_TEXTS)
    )


@dataclass
class Hydrated:
    nodes: dict[int, MapNode]
    dependencies: dict[int, Dependency]


def hydrate(
    structure: Structure,
    detailed: Iterable[int],
    *,
    named: Iterable[int] = (),
    dependencies: Iterable[int] = (),
    today: dt.date | None = None,
) -> Hydrated:
    """Nodes for the objectives a page draws in full (`detailed`: visible ones with their key
    results, progress, links and dependencies; hidden ones redacted, with their links), for
    every objective they link to, and plain ones (title, owner, teams) for `named`; and the
    requests drawn: those of the detailed objectives and `dependencies` (whose objectives
    must be named). Four queries whatever their number."""
    member, period = structure.member, structure.period
    detailed = list(dict.fromkeys(detailed))
    wanted: set[int] = set(detailed) | set(named)
    via: set[int] = set()
    for pk in detailed:
        for step in (structure.up, structure.down):
            for other, kr in pairs(step.get(pk, [])):
                wanted.add(other)
                if kr is not None:
                    via.add(kr)
    visible_ids = {pk for pk in wanted if structure.is_visible(pk)}
    nodes: dict[int, MapNode] = {}
    if visible_ids:
        page_of = url_maker("okrs:objective", member.organization.slug)
        for objective in _objectives(member, visible_ids):
            nodes[objective.pk] = MapNode(
                objective=objective,
                in_period=objective.period_id == period.pk,
                teams=structure.teams_of(objective.pk),
                href=page_of(objective.uid),
            )
    for pk in wanted - nodes.keys():
        # Hidden (or gone since the structure was read: shown the same way).
        nodes[pk] = MapNode(objective=None)

    with_key_results = [pk for pk in detailed if pk in structure.owners]
    key_results: dict[int, KeyResultRow] = {}
    if with_key_results or via:
        for row in _key_result_rows(member, Q(objective_id__in=with_key_results) | Q(pk__in=via)):
            key_results[row.pk] = row
            if row.objective_id in nodes:
                nodes[row.objective_id].key_results.append(row)
    today = today or member.organization.today()
    for pk in with_key_results:
        node = nodes[pk]
        value = progress_maths.objective_progress(
            (kr.progress, kr.weight) for kr in node.key_results
        )
        node.progress = ProgressView.of(value, period, today)

    for pk in detailed:
        node = nodes[pk]
        for other, kr in pairs(structure.up.get(pk, [])):
            above = nodes[other]
            node.up.append(_edge(above, key_results, kr, above))
        for other, kr in pairs(structure.down.get(pk, [])):
            node.down.append(_edge(nodes[other], key_results, kr, node))

    drawn = set(detailed)
    wanted_requests = set(dependencies) | {
        d.pk for d in structure.dependencies if d.objective_id in drawn
    }
    requests: dict[int, Dependency] = {}
    if wanted_requests:
        # Ids the gate gave in `load_structure`.
        requests = Dependency.objects.filter(
            organization_id=member.organization_id, pk__in=wanted_requests
        ).in_bulk()
    for link in structure.dependencies:
        dependency = requests.get(link.pk)
        owner = nodes.get(link.objective_id)
        if dependency is None or owner is None or owner.objective is None:
            continue
        # Everything its row shows is loaded: no query per dependency.
        dependency.objective = owner.objective
        dependency.requesting_team = structure.team(link.requesting_team_id)
        dependency.providing_team = structure.team(link.providing_team_id)
        owner.dependencies.append(dependency)
    return Hydrated(nodes, requests)


def _edge(
    other: MapNode, key_results: dict[int, KeyResultRow], kr: int | None, above: MapNode
) -> MapEdge:
    through = key_results.get(kr) if kr is not None else None
    # A parent key result the member may not see, inside an objective they may see; in a
    # hidden objective the key result is simply part of the redacted node.
    private_kr = kr is not None and through is None and not above.is_redacted
    return MapEdge(other, through, private_kr)


# The whole graph (the API's) --------------------------------------------------------------


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


def alignment_graph(member: Member, period: Period) -> AlignmentGraph:
    """The period's whole alignment graph as `member` may see it (see the module docstring):
    every visible objective of the period in full, the hidden ones of their chains redacted
    (not yet shown: `redacted_in_chains` decides what each page shows of them)."""
    structure = load_structure(member, period)
    hidden = structure.chain(structure.owners)
    hydrated = hydrate(structure, [*structure.owners, *hidden])
    nodes = hydrated.nodes
    for pk in hidden:
        nodes[pk].shown = False
    return AlignmentGraph(
        period=period,
        teams=[structure.team(row.pk) for row in structure.teams],
        nodes=[nodes[pk] for pk in structure.owners],
        dependencies=[
            hydrated.dependencies[d.pk]
            for d in structure.dependencies
            if d.pk in hydrated.dependencies
        ],
        hidden=[nodes[pk] for pk in hidden],
    )
