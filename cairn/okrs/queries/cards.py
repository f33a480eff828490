"""Objective cards: an objective with its owning teams, visible key results and signals."""

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
        """Those of the key results listed: the signals' (filtered ones), or without signals
        every visible key result's."""
        items: list[Signals] | list[KeyResult] = self.signals or self.key_results
        return sum(item.open_blockers for item in items)

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


# What a card does not read of a key result: its texts and the timestamps of its changes (a
# page of cards holds hundreds of key results; each field is a conversion per row).
CARD_SKIPS = (
    "description",
    "context_why",
    "context_baseline",
    "context_tactic",
    "scale_changed_at",
    "scored_at",
    "score_reset_at",
    "updated_at",
    "created_by",
    "continued_from",
)


def objective_cards(
    member: Member,
    objectives: QuerySet[Objective],
    today: dt.date,
    *,
    limit: tuple[int, int] | None = None,
    signals: bool = True,
) -> list[ObjectiveCard]:
    """Cards for the objectives in `objectives` that `member` may see, oldest first, in
    three queries; `limit` is a (start, stop) slice of them, for a page. Without `signals`
    the cards do not say each key result's staleness and confidence (a list that does not
    show them need not work them out)."""
    qs = (
        (Objective.objects.visible_to(member) & objectives)
        .select_related("period", "owner_person__user")
        .prefetch_related(
            Prefetch("team_links", queryset=ObjectiveTeam.objects.select_related("team"))
        )
        .order_by("created_at", "id")
    )
    if limit is not None:
        qs = qs[limit[0] : limit[1]]
    found = list(qs)
    key_results: dict[int, list[KeyResult]] = {objective.pk: [] for objective in found}
    if found:
        # Only the key results this member may see. "Of these objectives" is asked as a
        # subquery on the objectives, not as a list on the key results: with the list alone,
        # PostgreSQL joins the gate's objective side by reading every objective.
        of_these = Objective.objects.filter(pk__in=list(key_results)).values("pk")
        for kr in (
            KeyResult.objects.visible_to(member).defer(*CARD_SKIPS).filter(objective__in=of_these)
        ):
            key_results[kr.objective_id].append(kr)
    organization = member.organization if signals else None
    cards = []
    for objective in found:
        for kr in key_results[objective.pk]:
            kr.objective = objective  # read by some callers; no query per key result
        cards.append(card_for(objective, key_results[objective.pk], today, organization))
    return cards
