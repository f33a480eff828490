"""The period report: one period's OKRs as they ended, for the organization or one team.

`period_report` builds everything the page, the CSV, XLSX and JSON exports and the API show,
so that they cannot drift apart. Every read goes through the gate (`visible_to`): a member's
report (and export) holds no private item they may not see, and every roll-up (an objective's
progress and score, coverage, counts) is over what they may see.

- Scope: the period's objectives the member may see; with a team, those the team owns (a
  shared OKR is in the report of each owning team).
- An objective's progress and score are the weighted means of its visible key results'
  (`okrs.progress`); a key result's final confidence is its latest confidence check-in.
- Check-in coverage: for each week of the period (weeks start on the organization's week
  start; the first and last are cut at the period's ends; weeks after today are not
  reported), the share of the scope's key results with a live check-in that week. A key
  result counts from the week it was created (or first checked in, if earlier; one created
  after the period counts in its last week). Overall: checked-in weeks over counted weeks.
- Blockers: the live blockers on the scope's key results, with how many were raised and
  resolved during the period and how many are still open.
- Insights: the live check-ins flagged as insights on them, newest first.
- Calibration: `queries.calibration` over the same period and team.

A fixed number of queries whatever the number of objectives, key results and check-ins.
The page asks for one `page` of objectives (PAGE_SIZE) and the latest LIST_LIMIT blockers
and insights; its facts, coverage and counts are still over the whole scope, read as bare
columns. The exports and the API ask for everything (`page=None`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, F, Min, Prefetch, QuerySet, Value, When

from cairn.checkins.models import CheckIn
from cairn.checkins.queries import check_in_texts
from cairn.lib import rhythm
from cairn.okrs import progress as progress_maths
from cairn.okrs.models import KeyResult, Objective, ObjectiveTeam
from cairn.orgs.models import Member, Organization, Period, PeriodState, Team, TeamClosure
from cairn.reporting.queries.calibration import CalibrationReport, calibration_report

PAGE_SIZE = 50  # objectives on one page of the report
LIST_LIMIT = 50  # blockers and insights the page lists (the exports hold them all)


@dataclass(frozen=True)
class Closure:
    """Who closed the period (for the whole organization when `team` is None) and when."""

    team: Team | None
    closed_at: dt.datetime
    closed_by: Member | None


@dataclass(frozen=True)
class Retrospective:
    """The Result section of a key result's latest result check-in."""

    worked: str
    did_not_work: str
    learned: str
    override_reason: str
    overridden: bool
    author: Member | None
    at: dt.datetime

    @property
    def has_words(self) -> bool:
        return bool(self.worked or self.did_not_work or self.learned or self.override_reason)


@dataclass
class KeyResultLine:
    key_result: KeyResult
    # Raw progress (beyond 1.0 when overachieved) at the final value.
    progress: float
    score: Decimal | None
    achieved: bool | None
    confidence: int | None
    check_ins: int
    retrospective: Retrospective | None = None

    @property
    def progress_pct(self) -> int:
        return round(self.progress * 100)

    @property
    def band(self) -> str:
        return "" if self.confidence is None else rhythm.band(self.confidence).value


@dataclass
class ObjectiveLine:
    objective: Objective
    owner_teams: list[Team]
    progress: float | None
    score: float | None
    key_results: list[KeyResultLine] = field(default_factory=list)

    @property
    def owner_person(self) -> Member | None:
        return self.objective.owner_person

    @property
    def is_shared(self) -> bool:
        return len(self.owner_teams) > 1

    @property
    def progress_pct(self) -> int | None:
        return None if self.progress is None else round(self.progress * 100)


@dataclass(frozen=True)
class CoverageWeek:
    start: dt.date
    end: dt.date
    key_results: int
    checked_in: int

    @property
    def share(self) -> float | None:
        return None if not self.key_results else self.checked_in / self.key_results

    @property
    def pct(self) -> int | None:
        share = self.share
        return None if share is None else round(share * 100)


@dataclass(frozen=True)
class Coverage:
    weeks: list[CoverageWeek]

    @property
    def counted(self) -> int:
        return sum(week.key_results for week in self.weeks)

    @property
    def checked_in(self) -> int:
        return sum(week.checked_in for week in self.weeks)

    @property
    def overall(self) -> float | None:
        return None if not self.counted else self.checked_in / self.counted

    @property
    def pct(self) -> int | None:
        overall = self.overall
        return None if overall is None else round(overall * 100)


@dataclass(frozen=True)
class BlockerLine:
    check_in: CheckIn
    raised_on: dt.date
    resolved_on: dt.date | None

    @property
    def texts(self) -> list[tuple[str, str]]:
        return check_in_texts(self.check_in)

    @property
    def is_open(self) -> bool:
        return self.resolved_on is None


@dataclass(frozen=True)
class Blockers:
    items: list[BlockerLine]
    raised: int
    resolved: int
    open: int
    total: int  # every blocker of the scope (`items` may be the page's part of them)


@dataclass(frozen=True)
class InsightLine:
    check_in: CheckIn
    on: dt.date

    @property
    def texts(self) -> list[tuple[str, str]]:
        return check_in_texts(self.check_in)


@dataclass(frozen=True)
class Totals:
    """The facts over the whole scope, whatever page of objectives is shown."""

    objectives: int
    key_results: int
    scored: int
    achieved: int
    # The mean of the objectives' scores: each objective weighs the same.
    score: float | None
    insights: int


@dataclass(frozen=True)
class Page:
    number: int
    count: int  # pages in all
    first: int  # 1-based position of the first objective shown
    last: int

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.count else None


@dataclass
class PeriodReport:
    organization: Organization
    period: Period
    team: Team | None
    today: dt.date
    closures: list[Closure]
    # Every objective of the scope, or one page of them (`page`).
    objectives: list[ObjectiveLine]
    coverage: Coverage
    # Every blocker and insight, or the page's LIST_LIMIT (counts are over all of them).
    blockers: Blockers
    insights: list[InsightLine]
    calibration: CalibrationReport
    totals: Totals
    page: Page | None = None

    @property
    def threshold(self) -> Decimal:
        return self.organization.achieved_threshold

    @property
    def key_results(self) -> list[KeyResultLine]:
        return [line for objective in self.objectives for line in objective.key_results]

    @property
    def is_closed(self) -> bool:
        return self.period.state == PeriodState.CLOSED

    @property
    def scored(self) -> int:
        return self.totals.scored

    @property
    def achieved(self) -> int:
        return self.totals.achieved

    @property
    def score(self) -> float | None:
        return self.totals.score


def scope_objectives(member: Member, period: Period, team: Team | None) -> QuerySet[Objective]:
    """The report's objectives: the period's that `member` may see, the team's when given."""
    qs = Objective.objects.visible_to(member).filter(period=period)
    if team is not None:
        qs = qs.filter(pk__in=ObjectiveTeam.objects.filter(team=team).values("objective_id"))
    return qs


def _closures(period: Period, team: Team | None) -> list[Closure]:
    """The whole period's closing, else the team closures (the report's team's alone when
    there is one)."""
    if period.closed_at is not None:
        closed_by = (
            Member.objects.select_related("user").filter(pk=period.closed_by_id).first()
            if period.closed_by_id
            else None
        )
        return [Closure(team=None, closed_at=period.closed_at, closed_by=closed_by)]
    closures = TeamClosure.objects.filter(period=period).select_related("team", "closed_by__user")
    if team is not None:
        closures = closures.filter(team=team)
    return [
        Closure(team=c.team, closed_at=c.closed_at, closed_by=c.closed_by)
        for c in closures.order_by("team__name", "id")
    ]


def _weeks(period: Period, week_start: int, last_day: dt.date) -> list[tuple[dt.date, dt.date]]:
    weeks = []
    day = period.start
    end = min(period.end, last_day)
    while day <= end:
        week_end = day + dt.timedelta(days=6 - (day.weekday() - week_start) % 7)
        weeks.append((day, min(week_end, period.end)))
        day = week_end + dt.timedelta(days=1)
    return weeks


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), zone)


class _Calendar:
    """The first instants of the reported weeks and the period in the organization's time
    zone: the bounds the database groups check-ins by."""

    def __init__(self, weeks: list[tuple[dt.date, dt.date]], period: Period, zone: str) -> None:
        tz = ZoneInfo(zone)
        self.starts = [_midnight(start, tz) for start, _end in weeks]
        self.stop = _midnight(weeks[-1][1] + dt.timedelta(days=1), tz) if weeks else None
        self.period_start = _midnight(period.start, tz)
        self.period_stop = _midnight(period.end + dt.timedelta(days=1), tz)


def _coverage(
    weeks: list[tuple[dt.date, dt.date]],
    counted_from: dict[int, dt.date],
    checked: dict[int, int],
) -> Coverage:
    """`checked[i]`: how many key results had a check-in in week i. A key result checked in
    during a week counts from that week at the latest, so it is among the week's existing."""
    lines = []
    for index, (start, end) in enumerate(weeks):
        existing = sum(1 for first in counted_from.values() if first <= end)
        lines.append(
            CoverageWeek(
                start=start, end=end, key_results=existing, checked_in=checked.get(index, 0)
            )
        )
    return Coverage(weeks=lines)


def period_report(
    member: Member,
    period: Period,
    team: Team | None = None,
    *,
    today: dt.date | None = None,
    chart_uid: str = "calibration-chart",
    page: int | None = None,
) -> PeriodReport:
    """The report of `period` (of `team`'s objectives, when given) as `member` may see it:
    every objective and list (`page=None`), or the page's part of them (see the docstring)."""
    organization = member.organization
    zone = organization.time_zone
    today = today or organization.today()
    threshold = float(organization.achieved_threshold)
    objectives_qs = scope_objectives(member, period, team).order_by("created_at", "id")
    # The key results the gate lets through: every check-in read below is on one of them.
    key_results_qs = KeyResult.objects.visible_to(member).filter(
        objective__in=objectives_qs.values("pk")
    )

    # Bare columns of every key result in scope: the facts are over all of them.
    light: dict[int, list[tuple[int, float, Decimal | None, Decimal]]] = defaultdict(list)
    created: dict[int, dt.datetime] = {}
    for (
        pk,
        objective_id,
        start,
        target,
        current,
        weight,
        score,
        created_at,
    ) in key_results_qs.values_list(
        "pk",
        "objective_id",
        "start_value",
        "target_value",
        "current_value",
        "weight",
        "score",
        "created_at",
    ):
        progress = progress_maths.key_result_progress(
            start=float(start), target=float(target), current=float(current)
        )
        light[objective_id].append((pk, progress, score, weight))
        created[pk] = created_at
    # Check-ins of those key results, by their ids: as a subquery PostgreSQL walked the
    # organization's check-ins newest first for the latest blockers (0.5 s for one team).
    check_ins = CheckIn.objects.in_org(organization).live().filter(key_result_id__in=list(created))
    objective_ids = list(objectives_qs.values_list("pk", flat=True))
    objective_scores = [
        mean
        for objective_id in objective_ids
        if (
            mean := progress_maths.objective_score(
                (float(s), float(w)) for _pk, _p, s, w in light[objective_id] if s is not None
            )
        )
        is not None
    ]
    all_scores = [s for rows in light.values() for _pk, _p, s, _w in rows if s is not None]

    # Coverage and counts, aggregated by the database: a quarter of a large organization has
    # hundreds of thousands of check-ins, and none of them needs to reach Python.
    weeks = _weeks(period, organization.week_start, today)
    calendar = _Calendar(weeks, period, zone)
    first_at = dict(
        check_ins.values("key_result_id")
        .annotate(first=Min("at"))
        .values_list("key_result_id", "first")
        .order_by()
    )
    checked: dict[int, int] = {}
    if weeks:
        week_of = Case(
            *(
                When(at__lt=calendar.starts[i + 1], then=Value(i))
                for i in range(len(calendar.starts) - 1)
            ),
            default=Value(len(calendar.starts) - 1),
        )
        checked = dict(
            check_ins.filter(at__gte=calendar.starts[0], at__lt=calendar.stop)
            .annotate(week=week_of)
            .values("week")
            .annotate(n=Count("key_result_id", distinct=True))
            .values_list("week", "n")
            .order_by()
        )
    counted_from = {}
    for pk, created_at in created.items():
        first = min(created_at, first_at.get(pk, created_at))
        day = rhythm.local_date(first, zone)
        counted_from[pk] = min(max(day, period.start), period.end)

    # The objectives shown: all of them, or one page.
    page_info = None
    shown_qs = objectives_qs
    if page is not None:
        count = max(1, -(-len(objective_ids) // PAGE_SIZE))
        number = min(max(page, 1), count)
        begin = (number - 1) * PAGE_SIZE
        page_ids = objective_ids[begin : begin + PAGE_SIZE]
        page_info = Page(number, count, begin + 1 if page_ids else 0, begin + len(page_ids))
        shown_qs = Objective.objects.filter(pk__in=page_ids).order_by("created_at", "id")
    objectives = list(
        shown_qs.select_related("owner_person__user").prefetch_related(
            Prefetch(
                "team_links",
                queryset=ObjectiveTeam.objects.select_related("team").order_by("team__name"),
            ),
            Prefetch(
                "key_results",
                queryset=KeyResult.objects.visible_to(member).select_related("owner__user"),
                to_attr="visible_krs",
            ),
        )
    )
    shown_kr_ids = [kr.pk for o in objectives for kr in o.visible_krs]  # type: ignore[attr-defined]
    in_period = dict(
        check_ins.filter(
            key_result_id__in=shown_kr_ids,
            at__gte=calendar.period_start,
            at__lt=calendar.period_stop,
        )
        .values("key_result_id")
        .annotate(n=Count("id"))
        .values_list("key_result_id", "n")
        .order_by()
    )

    retrospectives: dict[int, Retrospective] = {}
    for check_in in (
        check_ins.filter(result_score__isnull=False, key_result_id__in=shown_kr_ids)
        .select_related("author__user")
        .only(*RETROSPECTIVE_FIELDS)
        .order_by("at", "id")
    ):
        # Oldest first: the latest result of each key result is the one kept.
        retrospectives[check_in.key_result_id] = Retrospective(
            worked=check_in.result_worked,
            did_not_work=check_in.result_did_not_work,
            learned=check_in.result_learned,
            override_reason=check_in.result_override_reason,
            overridden=check_in.result_score_overridden,
            author=check_in.author,
            at=check_in.at,
        )

    lines: list[ObjectiveLine] = []
    for objective in objectives:
        visible: list[KeyResult] = objective.visible_krs  # type: ignore[attr-defined]
        key_lines = [
            KeyResultLine(
                key_result=kr,
                progress=kr.progress,
                score=kr.score,
                achieved=None if kr.score is None else float(kr.score) >= threshold,
                confidence=kr.confidence,
                check_ins=in_period.get(kr.pk, 0),
                retrospective=retrospectives.get(kr.pk),
            )
            for kr in visible
        ]
        lines.append(
            ObjectiveLine(
                objective=objective,
                owner_teams=[link.team for link in objective.team_links.all()],
                progress=progress_maths.objective_progress(
                    (kr.progress, float(kr.weight)) for kr in visible
                ),
                score=progress_maths.objective_score(
                    (float(kr.score), float(kr.weight)) for kr in visible if kr.score is not None
                ),
                key_results=key_lines,
            )
        )

    blockers, counts = _blockers(
        check_ins, period, zone, limit=None if page is None else LIST_LIMIT
    )
    insights_qs = check_ins.filter(is_insight=True)
    insight_rows = insights_qs.select_related("key_result__objective", "author__user").order_by(
        "-at", "-id"
    )
    if page is not None:
        insight_rows = insight_rows[:LIST_LIMIT]
    insights = [
        InsightLine(check_in=check_in, on=rhythm.local_date(check_in.at, zone))
        for check_in in insight_rows
    ]

    return PeriodReport(
        organization=organization,
        period=period,
        team=team,
        today=today,
        closures=_closures(period, team),
        objectives=lines,
        coverage=_coverage(weeks, counted_from, checked),
        blockers=Blockers(items=blockers, **counts),
        insights=insights,
        calibration=calibration_report(
            member, period=period, team=team, trend=False, uid=chart_uid
        ),
        totals=Totals(
            objectives=len(objective_ids),
            key_results=len(created),
            scored=len(all_scores),
            achieved=sum(1 for s in all_scores if float(s) >= threshold),
            score=sum(objective_scores) / len(objective_scores) if objective_scores else None,
            insights=insights_qs.count() if page is not None else len(insights),
        ),
        page=page_info,
    )


RETROSPECTIVE_FIELDS = (
    "key_result_id",
    "at",
    "result_worked",
    "result_did_not_work",
    "result_learned",
    "result_override_reason",
    "result_score_overridden",
    "author__user",
)


def _blockers(
    check_ins: QuerySet[CheckIn], period: Period, zone: str, *, limit: int | None
) -> tuple[list[BlockerLine], dict[str, int]]:
    """The blockers (open ones first and then the latest, `limit` of them when given) and
    how many were raised and resolved during the period and are still open (all of them)."""
    blockers = check_ins.filter(is_blocker=True)
    counts = {"raised": 0, "resolved": 0, "open": 0, "total": 0}
    tz = ZoneInfo(zone)
    period_start = _midnight(period.start, tz)
    period_stop = _midnight(period.end + dt.timedelta(days=1), tz)
    for at, resolved_at in blockers.values_list("at", "blocker_resolved_at").order_by():
        counts["total"] += 1
        counts["raised"] += period_start <= at < period_stop
        if resolved_at is None:
            counts["open"] += 1
        else:
            counts["resolved"] += period_start <= resolved_at < period_stop
    loaded = blockers.select_related(
        "key_result__objective", "author__user", "blocker_resolved_by__user"
    )
    if limit is None:
        rows = list(loaded.order_by("at", "id"))
    else:
        # The open ones first, then the latest: what a reader of a long report needs.
        first = loaded.order_by(F("blocker_resolved_at").asc(nulls_first=True), "-at", "-id")
        rows = sorted(first[:limit], key=lambda c: (c.at, c.pk))
    lines = []
    for check_in in rows:
        resolved_on = (
            rhythm.local_date(check_in.blocker_resolved_at, zone)
            if check_in.blocker_resolved_at
            else None
        )
        lines.append(
            BlockerLine(
                check_in=check_in,
                raised_on=rhythm.local_date(check_in.at, zone),
                resolved_on=resolved_on,
            )
        )
    return lines, counts
