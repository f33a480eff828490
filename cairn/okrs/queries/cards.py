"""Objective cards and the home page's team tree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from cairn.lib import rhythm
from cairn.okrs.models import (
    KeyResult,
    Objective,
    ObjectiveTeam,
)
from cairn.okrs.queries.common import (
    ProgressView,
    Signals,
    objective_progress,
    objective_score,
    visible_key_results,
)
from cairn.orgs.models import Member, Organization, Team


@dataclass
class ObjectiveCard:
    objective: Objective
    owner_teams: list[Team]
    key_results: list[KeyResult]
    progress: ProgressView
    # One per visible key result, when the card was built with its organization.
    signals: list[Signals] = field(default_factory=list)
    # Set by `filter_cards`: only these key results are listed on the card.
    shown: rhythm.Staleness | None = None
    # The weighted mean of the visible key results' scores (None before any is scored).
    score: float | None = None

    @property
    def open_blockers(self) -> int:
        return sum(s.open_blockers for s in self.signals)

    @property
    def is_shared(self) -> bool:
        return len(self.owner_teams) > 1

    @property
    def owner_person(self) -> Member | None:
        return self.objective.owner_person

    @property
    def team_names(self) -> str:
        return ", ".join(team.name for team in self.owner_teams)


def card_for(
    objective: Objective,
    key_results: list[KeyResult],
    today: dt.date,
    organization: Organization | None = None,
) -> ObjectiveCard:
    teams = [link.team for link in objective.team_links.all()]
    teams.sort(key=lambda team: team.name.lower())
    return ObjectiveCard(
        objective=objective,
        owner_teams=teams,
        key_results=key_results,
        progress=ProgressView.of(objective_progress(key_results), objective.period, today),
        score=objective_score(key_results),
        signals=(
            [Signals.of(kr, organization, today) for kr in key_results] if organization else []
        ),
    )


def filter_cards(cards: list[ObjectiveCard], state: rhythm.Staleness | None) -> list[ObjectiveCard]:
    """The cards with a key result in `state`, each listing only those key results. The
    progress roll-up stays that of every visible key result: filtering is about what to look
    at, not a different objective."""
    if state is None:
        return cards
    kept = []
    for card in cards:
        matching = [s for s in card.signals if s.staleness == state]
        if matching:
            kept.append(
                ObjectiveCard(
                    objective=card.objective,
                    owner_teams=card.owner_teams,
                    key_results=card.key_results,
                    progress=card.progress,
                    signals=matching,
                    shown=state,
                    score=card.score,
                )
            )
    return kept


def card_signals(cards: Iterable[ObjectiveCard]) -> list[Signals]:
    return [s for card in cards for s in card.signals]


def objective_cards(
    member: Member, objectives: QuerySet[Objective], today: dt.date
) -> list[ObjectiveCard]:
    """Cards for the objectives in `objectives` that `member` may see, in three queries."""
    qs = (
        (Objective.objects.visible_to(member) & objectives)
        .select_related("period", "owner_person__user")
        .prefetch_related(
            Prefetch("team_links", queryset=ObjectiveTeam.objects.select_related("team")),
            Prefetch("key_results", queryset=visible_key_results(member), to_attr="visible_krs"),
        )
        .order_by("created_at", "id")
    )
    # `visible_krs` is the Prefetch's to_attr: only the key results this member may see.
    return [
        card_for(objective, objective.visible_krs, today, member.organization)  # type: ignore[attr-defined]
        for objective in qs
    ]


# Home: the team tree ------------------------------------------------------------------------


@dataclass
class TeamNode:
    team: Team
    cards: list[ObjectiveCard] = field(default_factory=list)
    children: list[TeamNode] = field(default_factory=list)

    def prune(self) -> bool:
        """Drop branches with nothing to show; True when this node still has something."""
        self.children = [child for child in self.children if child.prune()]
        return bool(self.cards or self.children)


@dataclass
class HomeGroups:
    roots: list[TeamNode]
    people: list[ObjectiveCard]

    @property
    def is_empty(self) -> bool:
        return not self.roots and not self.people


def group_by_team_tree(organization: Organization, cards: list[ObjectiveCard]) -> HomeGroups:
    """Each team's objectives under it, nested by the team parent; a shared objective under
    every owning team; personal objectives in their own group."""
    teams = list(Team.objects.in_org(organization).order_by("name"))
    nodes = {team.pk: TeamNode(team) for team in teams}
    roots: list[TeamNode] = []
    for team in teams:
        parent = nodes.get(team.parent_id) if team.parent_id else None
        (parent.children if parent else roots).append(nodes[team.pk])
    people: list[ObjectiveCard] = []
    for card in cards:
        if not card.owner_teams:
            people.append(card)
        for team in card.owner_teams:
            if team.pk in nodes:
                nodes[team.pk].cards.append(card)
    roots = [root for root in roots if root.prune()]
    people.sort(key=lambda c: c.owner_person.name.lower() if c.owner_person else "")
    return HomeGroups(roots=roots, people=people)
