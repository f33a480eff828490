"""Reads for check-in pages, always through the gate (`CheckIn.objects.visible_to`,
`KeyResult.objects.visible_to`). Every list here is a fixed number of queries, whatever the
number of key results or check-ins."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, DateField, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy

from cairn.alignment.models import Dependency, DependencyState
from cairn.checkins import services
from cairn.checkins.models import CheckIn, Sync
from cairn.lib import charts, rhythm
from cairn.okrs.models import KeyResult, Objective, ObjectiveTeam
from cairn.okrs.queries import Signals, team_key_results
from cairn.orgs.access import team_ids_of
from cairn.orgs.models import Member, Organization, Period, PeriodState, Team

RESOLVED_LIMIT = 20
INSIGHTS_PER_PAGE = 50

# A check-in's words, in the order a reader of a blocker or an insight wants them.
TEXT_SECTIONS = (
    ("confidence_needs", gettext_lazy("Needed or in the way")),
    ("confidence_mitigation", gettext_lazy("To reduce the risk")),
    ("progress_comment", gettext_lazy("Progress")),
    ("reflection_learned", gettext_lazy("Learned")),
    ("next_up_plan", gettext_lazy("Next Up")),
    ("context_why", gettext_lazy("Why it matters")),
    ("context_baseline", gettext_lazy("Baseline")),
    ("context_tactic", gettext_lazy("Tactic")),
    ("result_worked", gettext_lazy("What worked")),
    ("result_did_not_work", gettext_lazy("What did not work")),
    ("result_learned", gettext_lazy("What we learned")),
    ("result_override_reason", gettext_lazy("Why the score was overridden")),
)


def check_in_texts(check_in: CheckIn) -> list[tuple[str, str]]:
    """The check-in's non-empty text sections as (label, text)."""
    return [
        (str(label), text) for name, label in TEXT_SECTIONS if (text := getattr(check_in, name))
    ]


def staleness_of(
    key_result: KeyResult, organization: Organization, today: dt.date
) -> rhythm.Staleness:
    """The one staleness rule, fed from the key result's roll-ups (no query)."""
    return rhythm.staleness_for(key_result, organization, today)


# Inbox ("My week") --------------------------------------------------------------------------


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


def missing_results(member: Member, today: dt.date) -> list[MissingResult]:
    """My key results (the same one-person rule as `my_key_results`) that ask for a Result
    and have none: their period's results are open (`services.results_are_open`: from two
    weeks before its end until it closes), their objective is not closed, and they have no
    score yet. Periods that ended but are not closed yet are in: that is when results are
    written. Ending soonest first; one query."""
    organization = member.organization
    # results_open_on(end) <= today, i.e. end <= today + the window: one filter in SQL.
    last_end = today + services.RESULT_WINDOW
    key_results = (
        KeyResult.objects.visible_to(member)
        .filter(_due_from(member))
        .filter(
            score__isnull=True,
            objective__closed_at__isnull=True,
            objective__period__end__lte=last_end,
        )
        .exclude(objective__period__state=PeriodState.CLOSED)
        .select_related("objective__period", "owner__user")
        .order_by("objective__period__end", "objective__created_at", "position", "id")
    )
    return [
        MissingResult(key_result=kr, signals=Signals.of(kr, organization, today), today=today)
        for kr in key_results
    ]


def _blockers(member: Member) -> QuerySet[CheckIn]:
    return (
        CheckIn.objects.visible_to(member)
        .open_blockers()
        # A closed period's blockers stay on its record, not in anyone's inbox.
        .filter(key_result__objective__closed_at__isnull=True)
        .select_related("key_result__objective", "key_result__owner__user", "author__user")
    )


def my_teams_key_results_q(member: Member) -> Q:
    """Q over CheckIn: its key result belongs to an objective one of my teams owns, or I own
    the key result."""
    owned_by_my_team = ObjectiveTeam.objects.filter(
        objective=OuterRef("key_result__objective_id"), team_id__in=team_ids_of(member)
    )
    return Q(Exists(owned_by_my_team)) | Q(key_result__owner=member)


def inbox_for(member: Member, today: dt.date) -> Inbox:
    organization = member.organization
    rows = []
    for kr in my_key_results(member):
        if kr.is_done:
            continue
        signals = Signals.of(kr, organization, today)
        rows.append(
            InboxRow(
                key_result=kr,
                signals=signals,
                due=not rhythm.checked_in_this_window(kr, organization, today),
                without_next_up=kr.next_up_due is None,
                next_up_overdue=kr.next_up_due is not None and kr.next_up_due < today,
            )
        )
    mine = [
        BlockerRow(check_in)
        for check_in in _blockers(member).filter(author=member).order_by("at", "id")
    ]
    teams = [
        BlockerRow(check_in)
        for check_in in _blockers(member)
        .filter(my_teams_key_results_q(member))
        .exclude(author=member)
        .order_by("at", "id")
    ]
    window = rhythm.window(
        cadence=organization.checkin_cadence, week_start=organization.week_start, today=today
    )
    return Inbox(
        rows=rows,
        my_blockers=mine,
        team_blockers=teams,
        window=window,
        requests=requests_to_my_teams(member),
        next_syncs=next_syncs(member, today),
        missing_results=missing_results(member, today),
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


def next_syncs(member: Member, today: dt.date) -> list[NextSync]:
    """The shared OKRs (two or more owning teams) one of my teams owns, in periods not yet
    closed, with the next sync their latest recorded sync set; those with none yet first (an
    invitation to record the first), then the soonest. One query."""
    my_teams = team_ids_of(member)
    if not my_teams:
        return []
    owning_count = (
        ObjectiveTeam.objects.filter(objective=OuterRef("pk"))
        .order_by()
        .values("objective")
        .annotate(n=Count("pk"))
        .values("n")
    )
    latest = Sync.objects.filter(objective=OuterRef("pk")).order_by(
        "-held_on", "-created_at", "-id"
    )
    objectives = (
        Objective.objects.visible_to(member)
        .exclude(period__state=PeriodState.CLOSED)
        .filter(closed_at__isnull=True)
        .filter(
            Exists(ObjectiveTeam.objects.filter(objective=OuterRef("pk"), team_id__in=my_teams))
        )
        .annotate(
            owning_teams=Subquery(owning_count),
            next_sync_on=Subquery(latest.values("next_sync_on")[:1], output_field=DateField()),
            last_held_on=Subquery(latest.values("held_on")[:1], output_field=DateField()),
        )
        .filter(owning_teams__gte=2)
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


# Blockers -----------------------------------------------------------------------------------


def can_resolve(member: Member, check_in: CheckIn) -> bool:
    """Who may resolve a blocker: any writer who can see it. Blockers are often cleared by
    someone outside the owning team (the platform team fixes the thing in the way), so the
    rule is no narrower than visibility; `check_in` must come through the gate."""
    return member.can_write and check_in.is_open_blocker


@dataclass
class BlockerRow:
    """An open or resolved blocker, with the people a reader should ask to resolve it: the
    key result's owner, the one who raised it, the owning teams' members (named by team) and
    the admins. Anyone else who can write and see it may resolve it too (`can_resolve`)."""

    check_in: CheckIn
    owning_teams: list[Team] = field(default_factory=list)

    @property
    def key_result(self) -> KeyResult:
        return self.check_in.key_result

    @property
    def objective(self) -> Objective:
        return self.check_in.key_result.objective

    @property
    def texts(self) -> list[tuple[str, str]]:
        return check_in_texts(self.check_in)

    @property
    def resolvers(self) -> list[str]:
        names: list[str] = []
        owner = self.key_result.owner
        if owner is not None:
            names.append(owner.name)
        author = self.check_in.author
        if author is not None and author.name not in names:
            names.append(author.name)
        return names


def _blocker_rows(qs: QuerySet[CheckIn]) -> list[BlockerRow]:
    links = ObjectiveTeam.objects.select_related("team").order_by("team__name")
    qs = qs.select_related(
        "key_result__objective__period",
        "key_result__owner__user",
        "author__user",
        "blocker_resolved_by__user",
    ).prefetch_related(Prefetch("key_result__objective__team_links", queryset=links))
    return [
        BlockerRow(
            check_in=check_in,
            owning_teams=[link.team for link in check_in.key_result.objective.team_links.all()],
        )
        for check_in in qs
    ]


def blockers_in_view(member: Member, team: Team | None = None) -> QuerySet[CheckIn]:
    """Every live blocker `member` may see; of the team's key results (`team_key_results`, its
    sub-teams and people included) when `team` is given."""
    qs = CheckIn.objects.visible_to(member).live().filter(is_blocker=True)
    if team is not None:
        qs = qs.filter(key_result__in=team_key_results(member, team).values("pk"))
    return qs


@dataclass
class BlockersBoard:
    open: list[BlockerRow]
    resolved: list[BlockerRow]


def blockers_board(member: Member, team: Team | None = None) -> BlockersBoard:
    """Open blockers oldest first (the longest in the way on top); the latest resolved ones
    below, newest first."""
    qs = blockers_in_view(member, team)
    open_ = _blocker_rows(qs.filter(blocker_resolved_at__isnull=True).order_by("at", "id"))
    resolved = _blocker_rows(
        qs.filter(blocker_resolved_at__isnull=False).order_by("-blocker_resolved_at", "-id")[
            :RESOLVED_LIMIT
        ]
    )
    return BlockersBoard(open=open_, resolved=resolved)


def blocker_row(member: Member, check_in: CheckIn) -> BlockerRow:
    [row] = _blocker_rows(CheckIn.objects.visible_to(member).filter(pk=check_in.pk))
    return row


# Insights -----------------------------------------------------------------------------------


def insights(
    member: Member,
    period: Period | None,
    *,
    team: Team | None = None,
    objective: Objective | None = None,
) -> QuerySet[CheckIn]:
    """Live check-ins flagged as insights in the period, newest first."""
    if period is None:
        return CheckIn.objects.none()
    qs = (
        CheckIn.objects.visible_to(member)
        .live()
        .filter(is_insight=True, key_result__objective__period=period)
    )
    if team is not None:
        qs = qs.filter(key_result__in=team_key_results(member, team).values("pk"))
    if objective is not None:
        qs = qs.filter(key_result__objective=objective)
    return qs.select_related(
        "key_result__objective", "key_result__owner__user", "author__user"
    ).order_by("-at", "-id")


@dataclass(frozen=True)
class InsightRow:
    check_in: CheckIn

    @property
    def texts(self) -> list[tuple[str, str]]:
        return check_in_texts(self.check_in)


def objectives_for_filter(member: Member, period: Period | None) -> list[Objective]:
    if period is None:
        return []
    return list(Objective.objects.visible_to(member).filter(period=period).order_by("title"))


# The objective's check-in stream ------------------------------------------------------------

STREAM_PAGE_SIZE = 20


@dataclass(frozen=True)
class StreamItem:
    check_in: CheckIn

    @property
    def band(self) -> str:
        level = self.check_in.confidence
        return "" if level is None else rhythm.band(level).value

    @property
    def band_label(self) -> str:
        level = self.check_in.confidence
        return "" if level is None else charts.band_label(level)


@dataclass(frozen=True)
class StreamPage:
    items: list[StreamItem]
    number: int
    has_more: bool


def check_in_stream(member: Member, objective: Objective, page: int = 1) -> StreamPage:
    """The objective's live check-ins on the key results `member` may see, from everyone (all
    owning teams' members and anyone else who checked in), newest first, one page at a time.
    One query: a page is read with one extra row to tell whether there is more."""
    page = max(page, 1)
    start = (page - 1) * STREAM_PAGE_SIZE
    rows = list(
        CheckIn.objects.visible_to(member)
        .live()
        .filter(key_result__objective=objective)
        .select_related("key_result", "author__user")
        .order_by("-at", "-id")[start : start + STREAM_PAGE_SIZE + 1]
    )
    return StreamPage(
        items=[StreamItem(check_in) for check_in in rows[:STREAM_PAGE_SIZE]],
        number=page,
        has_more=len(rows) > STREAM_PAGE_SIZE,
    )
