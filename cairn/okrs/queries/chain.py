"""The objective page's alignment chain: everything it contributes to, up to the top, and
everything that contributes to it, all the way down.

The graph is read in at most three queries whatever its depth: every alignment link of the
organization as plain values, then the objectives and the key results on the chain that the
member may see. A node the member may not see stays in the tree as a redacted node (no title,
owner, period, numbers or uid), so the structure is true without leaking content, and the
walk goes on through it: what is visible beyond it shows as usual.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from cairn.okrs.models import Alignment, KeyResult, Objective
from cairn.orgs.models import Member

# A tree is cut here: a pathological organization should not make a page of thousands of
# nodes (each objective is expanded once anyway, so this is only reached by a huge graph).
MAX_NODES = 300


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


def _edges(member: Member) -> list[Edge]:
    rows = (
        Alignment.objects.in_org(member.organization)
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
    def __init__(
        self,
        graph: _Graph,
        objectives: dict[int, Objective],
        key_results: dict[int, KeyResult],
    ) -> None:
        self.graph = graph
        self.objectives = objectives
        self.key_results = key_results
        self.count = 0
        self.truncated = False

    def _key_result(self, key_result_id: int | None) -> KeyResult | None:
        return None if key_result_id is None else self.key_results.get(key_result_id)

    def tree(self, root: int, *, upwards: bool) -> list[ChainNode]:
        """Depth first, each objective expanded once; iterative, so that a long chain cannot
        reach Python's recursion limit."""
        expanded = {root}
        top: list[ChainNode] = []
        # (objective id to expand, the list its nodes go into, the ids on the path to it)
        todo: list[tuple[int, list[ChainNode], frozenset[int]]] = [(root, top, frozenset())]
        while todo:
            node_id, into, path = todo.pop()
            path = path | {node_id}
            edges = self.graph.up.get(node_id, []) if upwards else self.graph.down.get(node_id, [])
            pending = []
            for edge in edges:
                if self.count >= MAX_NODES:
                    self.truncated = True
                    break
                self.count += 1
                target = edge.parent_id if upwards else edge.child_id
                # The key result belongs to the objective the link points into; under a
                # redacted objective not even that there is one is told.
                shows_key_result = edge.parent_key_result_id is not None and (
                    edge.parent_id in self.objectives
                )
                node = ChainNode(
                    objective=self.objectives.get(target),
                    key_result=self._key_result(edge.parent_key_result_id),
                    through_key_result=shows_key_result,
                    repeated=target in path or target in expanded,
                )
                if upwards and node_id == root and node.objective is not None:
                    node.link_uid = edge.uid
                into.append(node)
                if not node.repeated:
                    expanded.add(target)
                    pending.append((target, node.children, path))
            # Reversed onto the stack, so that siblings are expanded in link order.
            todo.extend(reversed(pending))
        return top


def alignment_chain(member: Member, objective: Objective) -> AlignmentChain:
    """Up to the top and down to the leaves from `objective`, in at most three queries."""
    graph = _Graph(_edges(member))
    up_objectives, up_key_results = graph.reach(objective.pk, upwards=True)
    down_objectives, down_key_results = graph.reach(objective.pk, upwards=False)
    objective_ids = up_objectives | down_objectives
    key_result_ids = up_key_results | down_key_results
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
    builder = _Builder(graph, objectives, key_results)
    up = builder.tree(objective.pk, upwards=True)
    down = builder.tree(objective.pk, upwards=False)
    return AlignmentChain(up=up, down=down, truncated=builder.truncated)
