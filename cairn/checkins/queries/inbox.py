"""The inbox ("My week"): what needs a person's attention, in a fixed number of queries
whatever the size of the organization, every read through the gate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import DateField, F, OuterRef, Q, QuerySet, Subquery

from cairn.alignment.models import Dependency, DependencyState
from cairn.checkins import services
from cairn.checkins.models import CheckIn, Sync
from cairn.checkins.queries.boards import BlockerRow
from cairn.lib import rhythm
from cairn.okrs.models import KeyResult, Objective, ObjectiveTeam
from cairn.okrs.queries import Signals
from cairn.orgs.access import team_ids_of
from cairn.orgs.models import Member, PeriodState


@dataclass
class InboxRow:
    key_result: KeyResult
    signals: Signals
    due: bool
    without_next_up: bool
    next_up_overdue: bool

    @property
    def needs_attention(self) -> bool:
        return self.due or self.without_next_up or self.next_up_overdue


@dataclass
class MissingResult:
    """A key result of mine whose period's results are open and that has no score yet."""

    key_result: KeyResult
    signals: Signals
    today: dt.date

    @property
    def period_end(self) -> dt.date:
        return self.key_result.objective.period.end

    @property
    def period_ended(self) -> bool:
        return self.today > self.period_end


@dataclass(frozen=True)
class NextSync:
    """A shared OKR of one of my teams and its next sync (None: no sync recorded yet)."""

    objective: Objective
    next_sync_on: dt.date | None
    last_held_on: dt.date | None
    today: dt.date

    @property
    def overdue(self) -> bool:
        return self.next_sync_on is not None and self.next_sync_on < self.today

    @property
    def is_today(self) -> bool:
        return self.next_sync_on == self.today


@dataclass
class Inbox:
    rows: list[InboxRow]
    my_blockers: list[BlockerRow]
    team_blockers: list[BlockerRow]
    window: tuple[dt.date, dt.date]
    requests: list[Dependency] = field(default_factory=list)
    next_syncs: list[NextSync] = field(default_factory=list)
    missing_results: list[MissingResult] = field(default_factory=list)

    @property
    def attention(self) -> list[InboxRow]:
        return [row for row in self.rows if row.needs_attention]

    @property
    def caught_up(self) -> list[InboxRow]:
        return [row for row in self.rows if not row.needs_attention]

    @property
    def due(self) -> list[KeyResult]:
        return [row.key_result for row in self.rows if row.due]

    @property
    def without_next_up(self) -> list[KeyResult]:
        return [row.key_result for row in self.rows if row.without_next_up]

    @property
    def overdue_next_ups(self) -> list[KeyResult]:
        return [row.key_result for row in self.rows if row.next_up_overdue]

    @property
    def is_empty(self) -> bool:
        return not (
            self.rows
            or self.my_blockers
            or self.team_blockers
            or self.requests
            or self.next_syncs
            or self.missing_results
        )


def _due_from(member: Member) -> Q:
    """Key results whose check-ins and results are this person's job (see `my_key_results`)."""
    return Q(owner=member) | Q(owner__isnull=True, objective__owner_person=member)


def my_key_results(member: Member) -> QuerySet[KeyResult]:
    """The key results whose check-ins are this person's job: those they own, and those with
    no owner on an objective they own personally. Not every key result of their teams'
    objectives: each key result then has one person it is due from, so a reminder or an inbox
    never asks five people for the same check-in. Only active periods: a period in planning
    has not started its rhythm, and a closed one is done; so is a key result closed with its
    team's OKRs, or one whose Result is in. The inbox and the reminder e-mails both use this
    one rule."""
    return (
        KeyResult.objects.visible_to(member)
        .filter(_due_from(member))
        .filter(
            objective__period__state=PeriodState.ACTIVE,
            objective__closed_at__isnull=True,
            score__isnull=True,
        )
        .select_related("objective__period", "owner__user")
        .order_by("objective__period__start", "objective__created_at", "position", "id")
    )


def _open_for_me(member: Member, today: dt.date) -> list[KeyResult]:
    """In one query, the key results of `my_key_results` (active periods) and those
    `missing_results` asks a Result of (periods not closed, ending by `today` plus the result
    window), in `my_key_results`' order: the gate's SQL is long to build, so the inbox builds
    it once for both."""
    last_end = today + services.RESULT_WINDOW
    return list(
        KeyResult.objects.visible_to(member)
        .filter(_due_from(member))
        .filter(score__isnull=True, objective__closed_at__isnull=True)
        .filter(
            Q(objective__period__state=PeriodState.ACTIVE) | Q(objective__period__end__lte=last_end)
        )
        .exclude(objective__period__state=PeriodState.CLOSED)
        .select_related("objective__period", "owner__user")
        .order_by("objective__period__start", "objective__created_at", "position", "id")
    )


def missing_results(
    member: Member, today: dt.date, key_results: list[KeyResult] | None = None
) -> list[MissingResult]:
    """My key results (the same one-person rule as `my_key_results`) that ask for a Result
    and have none: their period's results are open (`services.results_are_open`: from two
    weeks before its end until it closes), their objective is not closed, and they have no
    score yet. Periods that ended but are not closed yet are in: that is when results are
    written. Ending soonest first; one query (none when `key_results`, read by
    `_open_for_me`, are given)."""
    organization = member.organization
    # results_open_on(end) <= today, i.e. end <= today + the window.
    last_end = today + services.RESULT_WINDOW
    candidates = _open_for_me(member, today) if key_results is None else key_results
    waiting = sorted(
        (kr for kr in candidates if kr.objective.period.end <= last_end),
        key=lambda kr: (kr.objective.period.end, kr.objective.created_at, kr.position, kr.pk),
    )
    return [
        MissingResult(key_result=kr, signals=Signals.of(kr, organization, today), today=today)
        for kr in waiting
    ]


def _blockers(member: Member) -> QuerySet[CheckIn]:
    return (
        CheckIn.objects.visible_to(member)
        .open_blockers()
        # A closed period's blockers stay on its record, not in anyone's inbox.
        .filter(key_result__objective__closed_at__isnull=True)
        .select_related("key_result__objective", "key_result__owner__user", "author__user")
    )


def _my_teams_objectives(member: Member) -> dict[int, int]:
    """The objectives still open (not closed with their period) that one of my teams owns,
    each with its number of owning teams (two or more: a shared OKR), in one small query
    whose ids the inbox's other reads take as literal lists: with subqueries inside an OR,
    PostgreSQL scans every key result (or every open blocker) of the organization."""
    my_teams = team_ids_of(member)
    if not my_teams:
        return {}
    mine = ObjectiveTeam.objects.filter(
        team_id__in=my_teams, objective__closed_at__isnull=True
    ).values("objective_id")
    owning: dict[int, int] = {}
    for objective_id in ObjectiveTeam.objects.filter(objective_id__in=mine).values_list(
        "objective_id", flat=True
    ):
        owning[objective_id] = owning.get(objective_id, 0) + 1
    return owning


def _my_teams_blocked_key_results(member: Member, my_objectives: Iterable[int]) -> list[int]:
    """The ids of the key results whose open blockers my teams should hear of (those of
    `my_objectives`, the objectives one of my teams owns, and my own) that have any: the
    `open_blockers` roll-up, kept in the blocker's own transaction, picks them without
    reading the organization's blockers."""
    return list(
        KeyResult.objects.filter(
            Q(objective_id__in=list(my_objectives)) | Q(owner=member),
            organization_id=member.organization_id,
            open_blockers__gt=0,
        ).values_list("pk", flat=True)
    )


def _rows(member: Member, today: dt.date, mine_open: list[KeyResult]) -> list[InboxRow]:
    """`my_key_results` among `mine_open` (`_open_for_me`): the active periods' ones, and not
    those already done, each with what makes it need attention."""
    organization = member.organization
    rows = []
    for kr in mine_open:
        if kr.objective.period.state != PeriodState.ACTIVE or kr.is_done:
            continue
        rows.append(
            InboxRow(
                key_result=kr,
                signals=Signals.of(kr, organization, today),
                due=not rhythm.checked_in_this_window(kr, organization, today),
                without_next_up=kr.next_up_due is None,
                next_up_overdue=kr.next_up_due is not None and kr.next_up_due < today,
            )
        )
    return rows


def _window(member: Member, today: dt.date) -> tuple[dt.date, dt.date]:
    organization = member.organization
    return rhythm.window(
        cadence=organization.checkin_cadence, week_start=organization.week_start, today=today
    )


def inbox_for(member: Member, today: dt.date) -> Inbox:
    mine_open = _open_for_me(member, today)
    owning = _my_teams_objectives(member)
    # The blockers I raised and those on my teams' key results, in one query.
    blocked = _my_teams_blocked_key_results(member, owning)
    blockers = list(
        _blockers(member)
        .filter(Q(author=member) | Q(key_result_id__in=blocked))
        .order_by("at", "id")
    )
    return Inbox(
        rows=_rows(member, today, mine_open),
        my_blockers=[BlockerRow(c) for c in blockers if c.author_id == member.pk],
        team_blockers=[BlockerRow(c) for c in blockers if c.author_id != member.pk],
        window=_window(member, today),
        requests=requests_to_my_teams(member),
        next_syncs=next_syncs(member, today, owning),
        missing_results=missing_results(member, today, mine_open),
    )


def inbox_rows(member: Member, today: dt.date) -> Inbox:
    """The inbox's key results only (`rows`; its other lists empty), in one query: what a
    row and the counts above the list show again after a check-in from the inbox."""
    return Inbox(
        rows=_rows(member, today, _open_for_me(member, today)),
        my_blockers=[],
        team_blockers=[],
        window=_window(member, today),
    )


def requests_to_my_teams(member: Member) -> list[Dependency]:
    """Requests other teams made of a team I am in (or lead) and nobody has answered yet,
    those needed soonest first. Only those I may see: a dependency is as visible as the
    objective and key result it is raised from."""
    my_teams = team_ids_of(member)
    if not my_teams:
        return []
    return list(
        Dependency.objects.visible_to(member)
        .filter(
            state=DependencyState.PROPOSED,
            providing_team_id__in=my_teams,
            objective__closed_at__isnull=True,
        )
        .select_related("objective", "key_result", "requesting_team", "providing_team")
        .order_by(F("due").asc(nulls_last=True), "created_at", "id")
    )


def next_syncs(
    member: Member, today: dt.date, owning: dict[int, int] | None = None
) -> list[NextSync]:
    """The shared OKRs (two or more owning teams) one of my teams owns, in periods not yet
    closed, with the next sync their latest recorded sync set; those with none yet first (an
    invitation to record the first), then the soonest. Two queries at most: which of my
    teams' objectives are shared (`owning`, none when the caller read it already), then
    those, through the gate, with their latest sync."""
    if owning is None:
        owning = _my_teams_objectives(member)
    shared = [objective_id for objective_id, teams in owning.items() if teams >= 2]
    if not shared:
        return []
    latest = Sync.objects.filter(objective=OuterRef("pk")).order_by(
        "-held_on", "-created_at", "-id"
    )
    objectives = (
        Objective.objects.visible_to(member)
        .exclude(period__state=PeriodState.CLOSED)
        .filter(closed_at__isnull=True, pk__in=shared)
        .annotate(
            next_sync_on=Subquery(latest.values("next_sync_on")[:1], output_field=DateField()),
            last_held_on=Subquery(latest.values("held_on")[:1], output_field=DateField()),
        )
        .select_related("period")
        .order_by(F("next_sync_on").asc(nulls_first=True), "period__start", "title", "id")
    )
    return [
        NextSync(
            objective=objective,
            next_sync_on=objective.next_sync_on,  # type: ignore[attr-defined]
            last_held_on=objective.last_held_on,  # type: ignore[attr-defined]
            today=today,
        )
        for objective in objectives
    ]
