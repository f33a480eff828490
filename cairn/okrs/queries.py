"""Reads for the OKR pages. Everything goes through the `visible_to` QuerySets, so a private
item a member may not see never reaches a page; the number of queries does not grow with the
number of objectives or key results (prefetches over the visible querysets)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cairn.lib import rhythm
from cairn.okrs import progress as progress_maths
from cairn.okrs.models import (
    Alignment,
    Direction,
    Initiative,
    InitiativeState,
    KeyResult,
    KeyResultKind,
    Objective,
    ObjectiveTeam,
    Visibility,
)
from cairn.orgs.access import can_edit_initiative, can_edit_key_result, can_edit_objective
from cairn.orgs.history import HistoryLine, describe, history_of
from cairn.orgs.models import Member, Organization, Period, PeriodState, Team, TeamMembership

PACE_LABELS = {
    progress_maths.Pace.AHEAD: gettext_lazy("Ahead"),
    progress_maths.Pace.ON_PACE: gettext_lazy("On pace"),
    progress_maths.Pace.BEHIND: gettext_lazy("Behind"),
    progress_maths.Pace.NOT_STARTED: gettext_lazy("Not started"),
}


def today_for(organization: Organization) -> dt.date:
    """Today in the organization's own time zone: a period ends at its midnight, not UTC's."""
    try:
        zone = ZoneInfo(organization.time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return timezone.localdate(timezone=zone)


# Periods ------------------------------------------------------------------------------------


def periods_of(member: Member) -> list[Period]:
    return list(Period.objects.in_org(member.organization).order_by("-start", "-end"))


def current_period(periods: Iterable[Period], today: dt.date) -> Period | None:
    """The active period containing today, else the latest active or planning one, else the
    latest of all. `periods` is the organization's list (see `periods_of`)."""
    periods = list(periods)
    active = [p for p in periods if p.state == PeriodState.ACTIVE and p.contains_day(today)]
    if active:
        # The shortest containing period: a quarter before the year around it.
        return min(active, key=lambda p: (p.end - p.start, p.start))
    open_ = [p for p in periods if p.state in (PeriodState.ACTIVE, PeriodState.PLANNING)]
    if open_:
        return max(open_, key=lambda p: (p.start, p.end))
    return max(periods, key=lambda p: (p.start, p.end)) if periods else None


# Progress -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressView:
    """Progress, expected progress and pace, with the integer percentages the bars draw."""

    value: float | None
    expected: float
    pace: progress_maths.Pace | None

    @classmethod
    def of(cls, value: float | None, period: Period, today: dt.date) -> ProgressView:
        expected = progress_maths.expected_progress(start=period.start, end=period.end, today=today)
        pace = None if value is None else progress_maths.pace(progress=value, expected=expected)
        return cls(value=value, expected=expected, pace=pace)

    @property
    def pct(self) -> int | None:
        return None if self.value is None else round(self.value * 100)

    @property
    def bar_pct(self) -> int:
        return 0 if self.value is None else round(progress_maths.clamp_unit(self.value) * 100)

    @property
    def expected_pct(self) -> int:
        return round(self.expected * 100)

    @property
    def pace_label(self) -> str:
        return str(PACE_LABELS[self.pace]) if self.pace else ""


# Objective cards ----------------------------------------------------------------------------


# Signals: confidence, staleness, open blockers -------------------------------------------

STALENESS_LABELS = {
    rhythm.Staleness.FRESH: gettext_lazy("Fresh"),
    rhythm.Staleness.DUE: gettext_lazy("Due"),
    rhythm.Staleness.STALE: gettext_lazy("Stale"),
    rhythm.Staleness.STILL: gettext_lazy("Still"),
    rhythm.Staleness.DEAD: gettext_lazy("Dead"),
}
STALENESS_HELP = {
    rhythm.Staleness.FRESH: gettext_lazy("Checked in this cadence."),
    rhythm.Staleness.DUE: gettext_lazy("A check-in is due this cadence."),
    rhythm.Staleness.STALE: gettext_lazy("No check-in for more than a cadence."),
    rhythm.Staleness.STILL: gettext_lazy("No current Next Up, or the Next Up is overdue."),
    rhythm.Staleness.DEAD: gettext_lazy("Still for two cadences or more."),
}
# The order counts and filters are shown in: the worst first, where a team lead looks.
STALENESS_ORDER = (
    rhythm.Staleness.DEAD,
    rhythm.Staleness.STALE,
    rhythm.Staleness.STILL,
    rhythm.Staleness.DUE,
    rhythm.Staleness.FRESH,
)
BAND_LABELS = {
    rhythm.Band.ON_TRACK: gettext_lazy("On track"),
    rhythm.Band.AT_RISK: gettext_lazy("At risk"),
    rhythm.Band.OFF_TRACK: gettext_lazy("Off track"),
}


def staleness_for(
    key_result: KeyResult, organization: Organization, today: dt.date
) -> rhythm.Staleness:
    """The one staleness rule (`rhythm.staleness`), fed from the key result's roll-ups."""
    return rhythm.staleness_for(key_result, organization, today)


def parse_staleness(value: str | None) -> rhythm.Staleness | None:
    """A `?staleness=` filter value; anything unknown means no filter."""
    try:
        return rhythm.Staleness(value or "")
    except ValueError:
        return None


@dataclass(frozen=True)
class Signals:
    """What a list shows about a key result's rhythm, read from its roll-ups (no query)."""

    key_result: KeyResult
    staleness: rhythm.Staleness
    confidence: int | None
    open_blockers: int

    @classmethod
    def of(cls, key_result: KeyResult, organization: Organization, today: dt.date) -> Signals:
        return cls(
            key_result=key_result,
            staleness=staleness_for(key_result, organization, today),
            confidence=key_result.confidence,
            open_blockers=key_result.open_blockers,
        )

    @property
    def staleness_label(self) -> str:
        return str(STALENESS_LABELS[self.staleness])

    @property
    def staleness_help(self) -> str:
        return str(STALENESS_HELP[self.staleness])

    @property
    def band(self) -> rhythm.Band | None:
        return None if self.confidence is None else rhythm.band(self.confidence)

    @property
    def band_label(self) -> str:
        return str(BAND_LABELS[self.band]) if self.band else ""


@dataclass(frozen=True)
class StalenessCount:
    state: rhythm.Staleness
    count: int

    @property
    def label(self) -> str:
        return str(STALENESS_LABELS[self.state])


def staleness_counts(signals: Iterable[Signals]) -> list[StalenessCount]:
    """How many key results are in each state, worst first; each key result counted once."""
    seen: dict[int, rhythm.Staleness] = {s.key_result.pk: s.staleness for s in signals}
    return [
        StalenessCount(state, sum(1 for value in seen.values() if value == state))
        for state in STALENESS_ORDER
    ]


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


def visible_key_results(member: Member) -> QuerySet[KeyResult]:
    return KeyResult.objects.visible_to(member).select_related("owner__user")


def objective_progress(key_results: Iterable[KeyResult]) -> float | None:
    """The weighted mean over the key results given: callers pass only those the viewing
    member can see, so that a private key result cannot be inferred from the roll-up."""
    return progress_maths.objective_progress((kr.progress, float(kr.weight)) for kr in key_results)


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


# Objective page -----------------------------------------------------------------------------


@dataclass
class KeyResultRow:
    key_result: KeyResult
    progress: ProgressView
    can_edit: bool


@dataclass
class AlignmentLink:
    link: Alignment
    objective: Objective
    key_result: KeyResult | None


@dataclass
class InitiativeGroup:
    team: Team
    owning: bool
    items: list[tuple[Initiative, bool]]


def key_result_rows(member: Member, objective: Objective, today: dt.date) -> list[KeyResultRow]:
    rows = []
    for kr in visible_key_results(member).filter(objective=objective):
        kr.objective = objective  # the gate's checks read it; no query per row
        rows.append(
            KeyResultRow(
                key_result=kr,
                progress=ProgressView.of(kr.progress, objective.period, today),
                can_edit=can_edit_key_result(member, kr),
            )
        )
    return rows


def alignment_up(member: Member, objective: Objective) -> list[AlignmentLink]:
    """What this objective contributes to: only parents the member can see."""
    links = (
        Alignment.objects.in_org(member.organization)
        .filter(child=objective)
        .filter(
            Q(parent_objective__in=Objective.objects.visible_to(member).values("pk"))
            | Q(parent_key_result__in=KeyResult.objects.visible_to(member).values("pk"))
        )
        .select_related(
            "parent_objective__period",
            "parent_objective__owner_person__user",
            "parent_key_result__objective__period",
        )
        .order_by("created_at")
    )
    result = []
    for link in links:
        if link.parent_key_result is not None:
            result.append(
                AlignmentLink(link, link.parent_key_result.objective, link.parent_key_result)
            )
        elif link.parent_objective is not None:
            result.append(AlignmentLink(link, link.parent_objective, None))
    return result


def alignment_down(
    member: Member, *, objective: Objective | None = None, key_result: KeyResult | None = None
) -> list[AlignmentLink]:
    """What contributes to this objective (or to one of its key results), visible only; a
    link through a key result the member cannot see is left out with the key result."""
    links = Alignment.objects.in_org(member.organization).filter(
        child__in=Objective.objects.visible_to(member).values("pk")
    )
    if key_result is not None:
        links = links.filter(parent_key_result=key_result)
    else:
        links = links.filter(
            Q(parent_objective=objective)
            | Q(
                parent_key_result__objective=objective,
                parent_key_result__in=KeyResult.objects.visible_to(member).values("pk"),
            )
        )
    links = links.select_related(
        "child__period", "child__owner_person__user", "parent_key_result"
    ).order_by("created_at")
    return [AlignmentLink(link, link.child, link.parent_key_result) for link in links]


def initiative_groups(
    member: Member, objective: Objective, owner_teams: list[Team]
) -> list[InitiativeGroup]:
    """Initiatives grouped by team: every owning team first, side by side (even with none yet),
    then other teams that work towards this objective under their own name."""
    initiatives = (
        Initiative.objects.visible_to(member)
        .filter(objective=objective)
        .select_related("team", "owner__user", "key_result")
        .order_by("created_at", "id")
    )
    groups: dict[int, InitiativeGroup] = {
        team.pk: InitiativeGroup(team=team, owning=True, items=[]) for team in owner_teams
    }
    others: dict[int, InitiativeGroup] = {}
    for initiative in initiatives:
        initiative.objective = objective
        group = groups.get(initiative.team_id) or others.setdefault(
            initiative.team_id, InitiativeGroup(team=initiative.team, owning=False, items=[])
        )
        group.items.append((initiative, can_edit_initiative(member, initiative)))
    return [*groups.values(), *sorted(others.values(), key=lambda g: g.team.name.lower())]


# History ------------------------------------------------------------------------------------

# Added to the base labels of `cairn.orgs.history`; "<target_kind>.<field>" keys come first.
FIELD_LABELS: dict[str, Any] = {
    "period": gettext_lazy("period"),
    "owner_person": gettext_lazy("owner"),
    "owner_teams": gettext_lazy("owning teams"),
    "owner": gettext_lazy("owner"),
    "visibility": gettext_lazy("visibility"),
    "key_result.kind": gettext_lazy("kind"),
    "start_value": gettext_lazy("start"),
    "target_value": gettext_lazy("target"),
    "current_value": gettext_lazy("current value"),
    "unit": gettext_lazy("unit"),
    "direction": gettext_lazy("direction"),
    "weight": gettext_lazy("weight"),
    "team": gettext_lazy("team"),
    "key_result": gettext_lazy("key result"),
    "initiative.state": gettext_lazy("state"),
    "due": gettext_lazy("due"),
    "aligned_to": gettext_lazy("aligned to"),
}

CHOICE_LABELS: dict[str, dict[Any, Any]] = {
    "key_result.kind": dict(KeyResultKind.choices),
    "direction": dict(Direction.choices),
    "visibility": dict(Visibility.choices),
    "initiative.state": dict(InitiativeState.choices),
}

NUMBER_FIELDS = frozenset({"start_value", "target_value", "current_value", "weight"})


def history_lines(member: Member, target_kind: str, target_uid: uuid.UUID) -> list[HistoryLine]:
    """The item's history as sentences ("changed target from 500,000 to 250,000").

    An alignment entry names its parent; a parent the member cannot see (a private objective
    or key result) is not named.
    """
    events = list(history_of(member.organization, target_kind, target_uid)[:100])
    aligned_titles = {
        str(value)
        for event in events
        for value in (event.changes or {}).get("aligned_to", [])
        if value
    }
    visible_titles: set[str] = set()
    if aligned_titles and not member.is_admin:
        visible_titles |= set(
            Objective.objects.visible_to(member)
            .filter(title__in=aligned_titles)
            .values_list("title", flat=True)
        )
        visible_titles |= set(
            KeyResult.objects.visible_to(member)
            .filter(title__in=aligned_titles)
            .values_list("title", flat=True)
        )

    def hide(name: str, value: Any) -> Any:
        if name != "aligned_to" or member.is_admin or value is None or value in visible_titles:
            return value
        return _("a private item")

    return describe(
        events, labels=FIELD_LABELS, choices=CHOICE_LABELS, numbers=NUMBER_FIELDS, hide=hide
    )


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
    if period is None:
        return []
    return list(
        Initiative.objects.visible_to(member)
        .filter(team=team, period=period)
        .select_related("objective", "key_result", "owner__user")
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
        .filter(owner=person, period=period)
        .select_related("objective", "key_result", "team")
        .order_by("created_at", "id")
    )


def objective_is_editable(member: Member, objective: Objective) -> bool:
    return can_edit_objective(member, objective)
