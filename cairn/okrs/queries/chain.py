"""The objective page's alignment chain: everything it contributes to, up to the top, and
everything that contributes to it, all the way down.

The graph is read in at most three queries whatever its depth: the alignment links on the
chain (found by one recursive query) as plain values, then the objectives and the key results
drawn that the member may see. A node the member may not see stays in the tree as a redacted
node (no title, owner, period, numbers or uid), so the structure is true without leaking
content, and the walk goes on through it: what is visible beyond it shows as usual.

The page draws the way down one level deep (`PAGE_DOWN_DEPTH`): an objective high in the
organization has hundreds of objectives below it. Each node cut there says how many more are
below it, and the whole chain is one click away (`down_depth=None`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models.expressions import RawSQL

from cairn.okrs.models import Alignment, KeyResult, Objective
from cairn.orgs.models import Member

# A tree is cut here: a pathological organization should not make a page of thousands of
# nodes (each objective is expanded once anyway, so this is only reached by a huge graph).
MAX_NODES = 300
# How many levels of "contributing to this" the objective page draws before "show all".
PAGE_DOWN_DEPTH = 1


class Edge(NamedTuple):
    uid: uuid.UUID
    child_id: int
    # The objective the link points into: the parent objective, or the parent key result's.
    parent_id: int
    parent_key_result_id: int | None


@dataclass
class ChainNode:
    """One objective in the chain as the member may see it; `objective` is None when it is
    redacted, `key_result` None when the link does not go through one or it is redacted."""

    objective: Objective | None
    # Up: the parent key result this link points to. Down: the key result (of the objective
    # above this node) that this node's objective contributes to.
    key_result: KeyResult | None = None
    through_key_result: bool = False
    # Set on the page objective's own links up, which its editors may remove; never on a
    # redacted node, whose link is not the member's to see.
    link_uid: uuid.UUID | None = None
    children: list[ChainNode] = field(default_factory=list)
    # Already drawn elsewhere in this tree (or, in data that slipped past the cycle check, on
    # the path to it): shown, not expanded again.
    repeated: bool = False
    # Cut by the depth asked for: how many objectives are further down (redacted ones
    # included: the whole chain shows them as nodes too).
    below: int = 0
    # What the tree is built from, before the objectives and key results are read.
    objective_id: int = field(default=0, repr=False)
    parent_id: int = field(default=0, repr=False)
    key_result_id: int | None = field(default=None, repr=False)
    edge_uid: uuid.UUID | None = field(default=None, repr=False)
    is_direct_up: bool = field(default=False, repr=False)

    @property
    def redacted(self) -> bool:
        return self.objective is None

    @property
    def key_result_redacted(self) -> bool:
        return self.through_key_result and self.key_result is None


@dataclass
class AlignmentChain:
    up: list[ChainNode]
    down: list[ChainNode]
    # True when MAX_NODES cut a tree short.
    truncated: bool = False
    # True when the way down was cut at the depth asked for (`ChainNode.below`).
    cut: bool = False


class _Graph:
    def __init__(self, edges: Iterable[Edge]) -> None:
        self.up: dict[int, list[Edge]] = {}
        self.down: dict[int, list[Edge]] = {}
        for edge in edges:
            self.up.setdefault(edge.child_id, []).append(edge)
            self.down.setdefault(edge.parent_id, []).append(edge)

    def reach(self, start: int, *, upwards: bool) -> tuple[set[int], set[int]]:
        """Objective ids and key result ids reachable from `start` (itself excluded)."""
        objectives: set[int] = set()
        key_results: set[int] = set()
        todo = [start]
        seen = {start}
        while todo:
            node = todo.pop()
            edges = self.up.get(node, []) if upwards else self.down.get(node, [])
            for edge in edges:
                if edge.parent_key_result_id is not None:
                    key_results.add(edge.parent_key_result_id)
                nxt = edge.parent_id if upwards else edge.child_id
                objectives.add(nxt)
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        objectives.discard(start)
        return objectives, key_results


# The links on the chain through the objective, found by the database in one recursive query
# that follows indexes only: `up` holds the objectives above it (a link's parent objective, or
# its parent key result's objective); `down` the objectives below it ('o') and their key
# results ('k'), so that a link into a key result is followed too. Each step of `down` makes
# one of three moves (`step`: the objective's child links, its key results, the key result's
# child links), because PostgreSQL allows one recursive reference per step and an OR in the
# join would cost a scan of every link. Then the links out of every objective above and into
# every objective or key result below: those of the chain, not every link of the
# organization.
_OBJECTIVES = Objective._meta.db_table
_LINKS = Alignment._meta.db_table
_KEY_RESULTS = KeyResult._meta.db_table
_CHAIN_LINKS = f"""
WITH RECURSIVE
up (id) AS (
  SELECT o.id FROM {_OBJECTIVES} o WHERE o.id = %s
  UNION
  SELECT COALESCE(a.parent_objective_id, k.objective_id)
  FROM up JOIN {_LINKS} a ON a.child_id = up.id
  LEFT JOIN {_KEY_RESULTS} k ON k.id = a.parent_key_result_id
),
step (n) AS (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3),
down (kind, id) AS (
  SELECT 'o', o.id FROM {_OBJECTIVES} o WHERE o.id = %s
  UNION
  SELECT CASE s.n WHEN 2 THEN 'k' ELSE 'o' END,
         CASE s.n WHEN 1 THEN a1.child_id WHEN 2 THEN k.id ELSE a2.child_id END
  FROM down d CROSS JOIN step s
  LEFT JOIN {_LINKS} a1 ON s.n = 1 AND d.kind = 'o' AND a1.parent_objective_id = d.id
  LEFT JOIN {_KEY_RESULTS} k ON s.n = 2 AND d.kind = 'o' AND k.objective_id = d.id
  LEFT JOIN {_LINKS} a2 ON s.n = 3 AND d.kind = 'k' AND a2.parent_key_result_id = d.id
  WHERE a1.id IS NOT NULL OR k.id IS NOT NULL OR a2.id IS NOT NULL
)
SELECT a.id FROM {_LINKS} a WHERE a.child_id IN (SELECT id FROM up)
UNION
SELECT a.id FROM {_LINKS} a
WHERE a.parent_objective_id IN (SELECT id FROM down WHERE kind = 'o')
UNION
SELECT a.id FROM {_LINKS} a
WHERE a.parent_key_result_id IN (SELECT id FROM down WHERE kind = 'k')
"""


def _edges(member: Member, objective: Objective) -> list[Edge]:
    """The links of the chain through `objective` (see `_CHAIN_LINKS`), in link order."""
    rows = (
        Alignment.objects.in_org(member.organization)
        .filter(pk__in=RawSQL(_CHAIN_LINKS, [objective.pk, objective.pk]))
        .order_by("created_at", "id")
        .values_list(
            "uid",
            "child_id",
            "parent_objective_id",
            "parent_key_result_id",
            "parent_key_result__objective_id",
        )
    )
    return [
        Edge(uid, child_id, parent_objective_id or kr_objective_id, kr_id)
        for uid, child_id, parent_objective_id, kr_id, kr_objective_id in rows
    ]


class _Builder:
    """Builds the trees from the links alone, then fills in what the member may see."""

    def __init__(self, graph: _Graph) -> None:
        self.graph = graph
        self.count = 0
        self.truncated = False
        self.cut = False
        self.nodes: list[ChainNode] = []

    def tree(self, root: int, *, upwards: bool, depth: int | None = None) -> list[ChainNode]:
        """Depth first, each objective expanded once, at most `depth` levels; iterative, so
        that a long chain cannot reach Python's recursion limit."""
        expanded = {root}
        top: list[ChainNode] = []
        # (objective id to expand, the list its nodes go into, the ids on the path to it,
        # its level)
        todo: list[tuple[int, list[ChainNode], frozenset[int], int]] = [(root, top, frozenset(), 0)]
        while todo:
            node_id, into, path, level = todo.pop()
            path = path | {node_id}
            edges = self.graph.up.get(node_id, []) if upwards else self.graph.down.get(node_id, [])
            pending = []
            for edge in edges:
                if self.count >= MAX_NODES:
                    self.truncated = True
                    break
                self.count += 1
                target = edge.parent_id if upwards else edge.child_id
                node = ChainNode(
                    objective=None,
                    repeated=target in path or target in expanded,
                    objective_id=target,
                    parent_id=edge.parent_id,
                    key_result_id=edge.parent_key_result_id,
                    edge_uid=edge.uid,
                    is_direct_up=upwards and node_id == root,
                )
                self.nodes.append(node)
                into.append(node)
                if node.repeated:
                    continue
                expanded.add(target)
                if depth is not None and level + 1 >= depth:
                    node.below = len(self.graph.reach(target, upwards=upwards)[0] - {root})
                    self.cut = self.cut or node.below > 0
                else:
                    pending.append((target, node.children, path, level + 1))
            # Reversed onto the stack, so that siblings are expanded in link order.
            todo.extend(reversed(pending))
        return top

    def fill(self, objectives: dict[int, Objective], key_results: dict[int, KeyResult]) -> None:
        for node in self.nodes:
            node.objective = objectives.get(node.objective_id)
            if node.key_result_id is not None:
                node.key_result = key_results.get(node.key_result_id)
                # The key result belongs to the objective the link points into; under a
                # redacted objective not even that there is one is told.
                node.through_key_result = node.parent_id in objectives
            if node.is_direct_up and node.objective is not None:
                node.link_uid = node.edge_uid


def alignment_chain(
    member: Member, objective: Objective, *, down_depth: int | None = None
) -> AlignmentChain:
    """Up to the top and down to the leaves (or `down_depth` levels) from `objective`, in at
    most three queries; only the objectives and key results drawn are read."""
    builder = _Builder(_Graph(_edges(member, objective)))
    up = builder.tree(objective.pk, upwards=True)
    down = builder.tree(objective.pk, upwards=False, depth=down_depth)
    objective_ids = {n.objective_id for n in builder.nodes} | {n.parent_id for n in builder.nodes}
    objective_ids.discard(objective.pk)
    key_result_ids = {n.key_result_id for n in builder.nodes if n.key_result_id is not None}
    objectives = (
        Objective.objects.visible_to(member)
        .filter(pk__in=objective_ids)
        .select_related("period")
        .in_bulk()
        if objective_ids
        else {}
    )
    key_results = (
        KeyResult.objects.visible_to(member).filter(pk__in=key_result_ids).in_bulk()
        if key_result_ids
        else {}
    )
    objectives[objective.pk] = objective
    builder.fill(objectives, key_results)
    return AlignmentChain(up=up, down=down, truncated=builder.truncated, cut=builder.cut)
