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
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from cairn.checkins.models import CheckIn
from cairn.checkins.queries import check_in_texts
from cairn.lib import rhythm
from cairn.okrs import progress as progress_maths
from cairn.okrs.models import KeyResult, Objective, ObjectiveTeam
from cairn.orgs.models import Member, Organization, Period, PeriodState, Team, TeamClosure
from cairn.reporting.queries.calibration import CalibrationReport, calibration_report


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


@dataclass(frozen=True)
class InsightLine:
    check_in: CheckIn
    on: dt.date

    @property
    def texts(self) -> list[tuple[str, str]]:
        return check_in_texts(self.check_in)


@dataclass
class PeriodReport:
    organization: Organization
    period: Period
    team: Team | None
    today: dt.date
    closures: list[Closure]
    objectives: list[ObjectiveLine]
    coverage: Coverage
    blockers: Blockers
    insights: list[InsightLine]
    calibration: CalibrationReport

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
        return sum(1 for line in self.key_results if line.score is not None)

    @property
    def achieved(self) -> int:
        return sum(1 for line in self.key_results if line.achieved)

    @property
    def score(self) -> float | None:
        """The mean of the objectives' scores: each objective weighs the same."""
        scores = [line.score for line in self.objectives if line.score is not None]
        return sum(scores) / len(scores) if scores else None


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


def _coverage(
    period: Period,
    organization: Organization,
    today: dt.date,
    counted_from: dict[int, dt.date],
    days: dict[int, set[dt.date]],
) -> Coverage:
    weeks = []
    for start, end in _weeks(period, organization.week_start, today):
        existing = [pk for pk, first in counted_from.items() if first <= end]
        checked = sum(1 for pk in existing if any(start <= d <= end for d in days.get(pk, ())))
        weeks.append(
            CoverageWeek(start=start, end=end, key_results=len(existing), checked_in=checked)
        )
    return Coverage(weeks=weeks)


def period_report(
    member: Member,
    period: Period,
    team: Team | None = None,
    *,
    today: dt.date | None = None,
    chart_uid: str = "calibration-chart",
) -> PeriodReport:
    """The report of `period` (of `team`'s objectives, when given) as `member` may see it."""
    organization = member.organization
    zone = organization.time_zone
    today = today or organization.today()
    threshold = float(organization.achieved_threshold)
    objectives_qs = scope_objectives(member, period, team)
    objectives = list(
        objectives_qs.select_related("owner_person__user")
        .prefetch_related(
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
        .order_by("created_at", "id")
    )

    # The key results the gate let through: every check-in read below is on one of them.
    key_result_ids = [kr.pk for o in objectives for kr in o.visible_krs]  # type: ignore[attr-defined]
    check_ins = CheckIn.objects.visible_to(member).live().filter(key_result_id__in=key_result_ids)

    # Every live check-in of the scope, as (key result, day): coverage and counts.
    days: dict[int, set[dt.date]] = defaultdict(set)
    in_period: dict[int, int] = defaultdict(int)
    for key_result_id, at in check_ins.values_list("key_result_id", "at"):
        day = rhythm.local_date(at, zone)
        days[key_result_id].add(day)
        if period.contains_day(day):
            in_period[key_result_id] += 1

    retrospectives: dict[int, Retrospective] = {}
    for check_in in (
        check_ins.filter(result_score__isnull=False)
        .select_related("author__user")
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
    counted_from: dict[int, dt.date] = {}
    for objective in objectives:
        visible: list[KeyResult] = objective.visible_krs  # type: ignore[attr-defined]
        key_lines = []
        for kr in visible:
            key_lines.append(
                KeyResultLine(
                    key_result=kr,
                    progress=kr.progress,
                    score=kr.score,
                    achieved=None if kr.score is None else float(kr.score) >= threshold,
                    confidence=kr.confidence,
                    check_ins=in_period.get(kr.pk, 0),
                    retrospective=retrospectives.get(kr.pk),
                )
            )
            first = min(
                [rhythm.local_date(kr.created_at, zone), *days.get(kr.pk, ())],
            )
            counted_from[kr.pk] = min(max(first, period.start), period.end)
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

    blockers = []
    raised = resolved = still_open = 0
    for check_in in (
        check_ins.filter(is_blocker=True)
        .select_related("key_result__objective", "author__user", "blocker_resolved_by__user")
        .order_by("at", "id")
    ):
        raised_on = rhythm.local_date(check_in.at, zone)
        resolved_on = (
            rhythm.local_date(check_in.blocker_resolved_at, zone)
            if check_in.blocker_resolved_at
            else None
        )
        raised += period.contains_day(raised_on)
        resolved += resolved_on is not None and period.contains_day(resolved_on)
        still_open += resolved_on is None
        blockers.append(
            BlockerLine(check_in=check_in, raised_on=raised_on, resolved_on=resolved_on)
        )

    insights = [
        InsightLine(check_in=check_in, on=rhythm.local_date(check_in.at, zone))
        for check_in in check_ins.filter(is_insight=True)
        .select_related("key_result__objective", "author__user")
        .order_by("-at", "-id")
    ]

    return PeriodReport(
        organization=organization,
        period=period,
        team=team,
        today=today,
        closures=_closures(period, team),
        objectives=lines,
        coverage=_coverage(period, organization, today, counted_from, days),
        blockers=Blockers(items=blockers, raised=raised, resolved=resolved, open=still_open),
        insights=insights,
        calibration=calibration_report(
            member, period=period, team=team, trend=False, uid=chart_uid
        ),
    )
