"""Calibration data through the gate: which confidence check-ins forecast which outcome.

For every key result of a closed scope (its objective's `closed_at` is set: the period
closed, or every owning team closed it for its own OKRs) that the member may see and that
has a score, its live confidence check-ins made during the period (the check-in's day in
the organization's time zone between the period's first and last day) are forecasts of
"score >= the organization's achieved threshold". A key result with fewer than two such
forecasts says little about a forecaster: it is left out, and counted.

Per person (the check-in's author), per team (key results of the objectives it owns; a
shared OKR counts for each owning team) and for the whole scope; the trend is the Brier
score of each period over time. A fixed number of queries whatever the number of periods,
key results or check-ins.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cairn.checkins.models import CheckIn
from cairn.lib import charts, rhythm
from cairn.okrs.models import KeyResult, ObjectiveTeam
from cairn.orgs.models import Member, Period, Team
from cairn.reporting import calibration as maths

# Fewer confidence forecasts than this leave a key result out of the calibration.
MIN_FORECASTS_PER_KEY_RESULT = 2

VERDICT_LABELS = {
    maths.Verdict.OVER_CONFIDENT: gettext_lazy("Over-confident"),
    maths.Verdict.UNDER_CONFIDENT: gettext_lazy("Under-confident"),
    maths.Verdict.CALIBRATED: gettext_lazy("Well calibrated"),
    maths.Verdict.NOT_ENOUGH_DATA: gettext_lazy("Not enough data"),
}
VERDICT_HELP = {
    maths.Verdict.OVER_CONFIDENT: gettext_lazy(
        "Confidence was higher than what came true, by more than ten percentage points."
    ),
    maths.Verdict.UNDER_CONFIDENT: gettext_lazy(
        "More came true than confidence said, by more than ten percentage points."
    ),
    maths.Verdict.CALIBRATED: gettext_lazy(
        "Confidence and what came true were within ten percentage points of each other."
    ),
    maths.Verdict.NOT_ENOUGH_DATA: gettext_lazy(
        "Fewer than %(count)s forecasts: too few to judge."
    ),
}


@dataclass(frozen=True)
class Row:
    """One forecast with what it is about."""

    key_result_id: int
    objective_id: int
    period_id: int
    author_id: int | None
    at: dt.datetime
    forecast: maths.Forecast


@dataclass(frozen=True)
class Scored:
    """A summary with what the page shows about it."""

    summary: maths.Summary

    @property
    def verdict_label(self) -> str:
        return str(VERDICT_LABELS[self.summary.verdict])

    @property
    def verdict_help(self) -> str:
        text = str(VERDICT_HELP[self.summary.verdict])
        return text % {"count": maths.MIN_FORECASTS} if "%(count)s" in text else text

    @property
    def brier(self) -> float | None:
        return self.summary.brier

    @property
    def count(self) -> int:
        return self.summary.count


@dataclass(frozen=True)
class TeamCalibration(Scored):
    team: Team = field(kw_only=True)


@dataclass(frozen=True)
class PersonCalibration(Scored):
    person: Member = field(kw_only=True)


@dataclass(frozen=True)
class TrendPoint(Scored):
    period: Period = field(kw_only=True)


@dataclass
class CalibrationReport:
    threshold: Decimal
    period: Period | None
    team: Team | None
    person: Member | None
    overall: Scored
    # Key results whose forecasts count, and those left out with fewer than two.
    included: int
    left_out: int
    teams: list[TeamCalibration]
    people: list[PersonCalibration]
    trend: list[TrendPoint]
    chart: charts.Chart
    trend_chart: charts.Chart | None

    @property
    def bands(self) -> tuple[maths.Band, ...]:
        return self.overall.summary.bands


def forecast_rows(
    member: Member,
    periods: list[Period],
    *,
    team: Team | None = None,
) -> tuple[list[Row], dict[int, int]]:
    """The forecasts of the closed, scored key results of `periods` that `member` may see
    (of the objectives `team` owns, when given), and per period how many key results were
    left out for having fewer than two. Two queries."""
    organization = member.organization
    threshold = float(organization.achieved_threshold)
    by_id = {period.pk: period for period in periods}
    key_results: QuerySet[KeyResult] = KeyResult.objects.visible_to(member).filter(
        objective__period__in=list(by_id),
        objective__closed_at__isnull=False,
        score__isnull=False,
    )
    if team is not None:
        key_results = key_results.filter(
            objective__in=ObjectiveTeam.objects.filter(team=team).values("objective_id")
        )
    outcomes: dict[int, tuple[int, int, bool]] = {
        pk: (objective_id, period_id, maths.achieved(float(score or 0), threshold))
        for pk, objective_id, period_id, score in key_results.values_list(
            "pk", "objective_id", "objective__period_id", "score"
        )
    }
    if not outcomes:
        return [], {}
    check_ins = (
        CheckIn.objects.visible_to(member)
        .live()
        .filter(key_result_id__in=list(outcomes), confidence__isnull=False)
        .order_by("at", "id")
        .values_list("key_result_id", "author_id", "confidence", "at")
    )
    per_key_result: dict[int, list[Row]] = defaultdict(list)
    for key_result_id, author_id, confidence, at in check_ins:
        objective_id, period_id, outcome = outcomes[key_result_id]
        period = by_id[period_id]
        day = rhythm.local_date(at, organization.time_zone)
        if confidence is None or not period.start <= day <= period.end:
            continue
        per_key_result[key_result_id].append(
            Row(
                key_result_id=key_result_id,
                objective_id=objective_id,
                period_id=period_id,
                author_id=author_id,
                at=at,
                forecast=maths.Forecast.of(confidence, outcome),
            )
        )
    rows: list[Row] = []
    left_out: dict[int, int] = defaultdict(int)
    for key_result_id, (_objective_id, period_id, _outcome) in outcomes.items():
        forecasts = per_key_result.get(key_result_id, [])
        if len(forecasts) < MIN_FORECASTS_PER_KEY_RESULT:
            left_out[period_id] += 1
        else:
            rows.extend(forecasts)
    return rows, dict(left_out)


def calibration_report(
    member: Member,
    *,
    period: Period | None = None,
    team: Team | None = None,
    person: Member | None = None,
    trend: bool = True,
    uid: str = "calibration-chart",
) -> CalibrationReport:
    """The calibration of `period` (all periods when None), of the objectives `team` owns
    and of the forecasts `person` made, when given. The trend covers every period with the
    same team and person."""
    organization = member.organization
    periods = list(Period.objects.in_org(organization).order_by("start", "end", "id"))
    wanted = periods if trend or period is None else [p for p in periods if p.pk == period.pk]
    rows, left_out_per_period = forecast_rows(member, wanted, team=team)
    if person is not None:
        rows = [row for row in rows if row.author_id == person.pk]
    in_scope = [row for row in rows if period is None or row.period_id == period.pk]
    # Left out counts the scope's key results, whoever made their forecasts.
    left_out = sum(
        count
        for period_id, count in left_out_per_period.items()
        if period is None or period_id == period.pk
    )
    included = len({row.key_result_id for row in in_scope})

    owners: dict[int, list[int]] = defaultdict(list)
    objective_ids = {row.objective_id for row in in_scope}
    if objective_ids:
        for objective_id, team_id in ObjectiveTeam.objects.filter(
            objective_id__in=objective_ids
        ).values_list("objective_id", "team_id"):
            owners[objective_id].append(team_id)
    team_rows: dict[int, list[maths.Forecast]] = defaultdict(list)
    for row in in_scope:
        for team_id in owners.get(row.objective_id, ()):
            # One team's view: its shared OKRs say nothing about the other owners' whole.
            if team is None or team_id == team.pk:
                team_rows[team_id].append(row.forecast)
    teams = {t.pk: t for t in Team.objects.in_org(organization).filter(pk__in=list(team_rows))}
    team_lines = sorted(
        (
            TeamCalibration(maths.summarize(forecasts), team=teams[team_id])
            for team_id, forecasts in team_rows.items()
            if team_id in teams
        ),
        key=lambda line: line.team.name.lower(),
    )

    person_rows: dict[int, list[maths.Forecast]] = defaultdict(list)
    for row in in_scope:
        if row.author_id is not None:
            person_rows[row.author_id].append(row.forecast)
    people = {
        m.pk: m
        for m in Member.objects.in_org(organization)
        .filter(pk__in=list(person_rows))
        .select_related("user")
    }
    person_lines = sorted(
        (
            PersonCalibration(maths.summarize(forecasts), person=people[author_id])
            for author_id, forecasts in person_rows.items()
            if author_id in people
        ),
        key=lambda line: line.person.name.lower(),
    )

    trend_points: list[TrendPoint] = []
    if trend:
        per_period: dict[int, list[maths.Forecast]] = defaultdict(list)
        for row in rows:
            per_period[row.period_id].append(row.forecast)
        trend_points = [
            TrendPoint(maths.summarize(per_period[p.pk]), period=p)
            for p in periods
            if per_period.get(p.pk)
        ]

    overall = maths.summarize(row.forecast for row in in_scope)
    chart = charts.calibration_chart(
        [
            charts.CalibrationPoint(
                forecast=band.mean_forecast,
                observed=band.observed_rate,
                count=band.count,
                label=band.label,
            )
            for band in overall.bands
            if band.count and band.mean_forecast is not None and band.observed_rate is not None
        ],
        title=_("Calibration: forecast against what came true"),
        uid=uid,
    )
    trend_chart = None
    if trend and trend_points:
        trend_chart = charts.brier_trend_chart(
            [(p.period.end, p.summary.brier or 0.0) for p in trend_points],
            names={p.period.end: p.period.name for p in trend_points},
            uid=f"{uid}-trend",
        )
    return CalibrationReport(
        threshold=organization.achieved_threshold,
        period=period,
        team=team,
        person=person,
        overall=Scored(overall),
        included=included,
        left_out=left_out,
        teams=team_lines,
        people=person_lines,
        trend=trend_points,
        chart=chart,
        trend_chart=trend_chart,
    )
