"""API v1: the period report and confidence calibration.

The second face of `cairn.reporting.views.reports`: the same `period_report` and
`calibration_report`, read through the same gate; the report's answer is the JSON export
(`cairn.reporting.exports.data`), so page, files and API cannot drift apart. Ids are strings
so that a malformed id is the same 404 as an unknown, foreign or hidden one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from cairn.api.auth import member_of
from cairn.orgs.access import other_member_for, period_for, team_for
from cairn.reporting import exports
from cairn.reporting.queries.calibration import calibration_report
from cairn.reporting.queries.report import period_report

router = Router(tags=["reports"])

VerdictName = Literal["over_confident", "under_confident", "calibrated", "not_enough_data"]
UUID_EXAMPLE = "3f0c6a2e-8d1b-4d8e-9a51-2c7f4b1e9d10"


def _id_field(description: str) -> Any:
    return Field(None, description=description, json_schema_extra={"example": UUID_EXAMPLE})


class ReportRef(Schema):
    id: str
    name: str


class ReportPeriod(Schema):
    id: str
    name: str
    start: dt.date
    end: dt.date
    state: Literal["planning", "active", "closed"]


class ReportClosure(Schema):
    team: ReportRef | None = Field(
        description="The team that closed it for its own OKRs; null: the whole period."
    )
    closed_at: dt.datetime
    closed_by: ReportRef | None


class ReportResult(Schema):
    score_overridden: bool
    override_reason: str
    worked: str
    did_not_work: str
    learned: str


class ReportKeyResult(Schema):
    id: str
    title: str
    visibility: Literal["public", "private"]
    kind: Literal["metric", "percentage", "milestone"]
    owner: ReportRef | None
    unit: str
    start: float
    target: float
    value: float = Field(description="The final (current) value.")
    weight: float
    progress: float = Field(
        description="Share of the way from start to target, above 1 when overachieved."
    )
    score: float | None = Field(description="The Result's score, 0.0 to 1.0; null before a result.")
    achieved: bool | None = Field(description="Score at or above the organization's threshold.")
    confidence: int | None = Field(description="The latest confidence, 0 to 10.")
    check_ins: int = Field(description="Live check-ins during the period.")
    result: ReportResult | None


class ReportObjective(Schema):
    id: str
    title: str
    visibility: Literal["public", "private"]
    owner_teams: list[ReportRef]
    owner_person: ReportRef | None
    closed_at: dt.datetime | None
    progress: float | None = Field(description="Weighted mean over the key results you may see.")
    score: float | None = Field(
        description="Weighted mean of the scores of the key results you may see."
    )
    key_results: list[ReportKeyResult]


class ReportCoverageWeek(Schema):
    start: dt.date
    end: dt.date
    key_results: int
    checked_in: int
    share: float | None


class ReportCoverage(Schema):
    overall: float | None
    weeks: list[ReportCoverageWeek]


class ReportText(Schema):
    section: str
    text: str


class ReportBlocker(Schema):
    id: str = Field(description="The check-in that raised it.")
    key_result: ReportRef
    raised_on: dt.date
    raised_by: ReportRef | None
    resolved_on: dt.date | None
    resolved_by: ReportRef | None
    resolution: str
    texts: list[ReportText]


class ReportBlockers(Schema):
    raised: int = Field(description="Raised during the period.")
    resolved: int = Field(description="Resolved during the period.")
    open: int = Field(description="Still open.")
    items: list[ReportBlocker]


class ReportInsight(Schema):
    id: str
    key_result: ReportRef
    on: dt.date
    author: ReportRef | None
    texts: list[ReportText]


class CalibrationBand(Schema):
    low: int = Field(description="Lowest confidence level of the band (0-10).")
    high: int
    forecasts: int
    mean_forecast: float | None
    observed_rate: float | None = Field(description="Share of the band's forecasts that came true.")


class CalibrationSummary(Schema):
    forecasts: int
    brier_score: float | None = Field(
        description="Mean of (forecast - outcome)²: 0 is perfect, lower is better."
    )
    mean_forecast: float | None
    observed_rate: float | None
    verdict: VerdictName
    bands: list[CalibrationBand]


class CalibrationOfTeam(CalibrationSummary):
    team: ReportRef


class CalibrationOfPerson(CalibrationSummary):
    person: ReportRef


class CalibrationOfPeriod(CalibrationSummary):
    period: ReportRef


class CalibrationOut(CalibrationSummary):
    achieved_threshold: float = Field(
        description="A key result counts as achieved at this score or above."
    )
    period: ReportRef | None
    team: ReportRef | None
    person: ReportRef | None
    key_results_counted: int
    key_results_left_out: int = Field(
        description="Left out: fewer than two confidence check-ins in the period."
    )
    teams: list[CalibrationOfTeam]
    people: list[CalibrationOfPerson]
    trend: list[CalibrationOfPeriod] = Field(
        description="Per period over time (empty in a period report)."
    )


class PeriodReportOut(Schema):
    organization: str
    period: ReportPeriod
    team: ReportRef | None
    achieved_threshold: float
    closures: list[ReportClosure]
    score: float | None = Field(description="Mean of the objectives' scores.")
    objectives: list[ReportObjective]
    coverage: ReportCoverage
    blockers: ReportBlockers
    insights: list[ReportInsight]
    calibration: CalibrationOut


class PeriodReportParams(Schema):
    team: str | None = _id_field("Only the OKRs this team owns (its shared OKRs included).")


class CalibrationParams(Schema):
    period: str | None = _id_field("One period; without it, every period.")
    team: str | None = _id_field("Only key results of objectives this team owns.")
    person: str | None = _id_field("Only forecasts this member made.")


@router.get(
    "/periods/{period_id}/report",
    response=PeriodReportOut,
    summary="The period report",
    description=(
        "A period's objectives and key results with progress, score and final confidence, "
        "check-in coverage per week, blockers, insights and confidence calibration, as you "
        "may see them; the same data as the report page and its JSON export."
    ),
)
def get_report(
    request: HttpRequest, period_id: str, params: Query[PeriodReportParams]
) -> dict[str, Any]:
    member = member_of(request)
    period = period_for(member, period_id)
    team = team_for(member, params.team) if params.team else None
    return exports.data(period_report(member, period, team))


@router.get(
    "/calibration",
    response=CalibrationOut,
    summary="Confidence calibration",
    description=(
        "How well confidence check-ins forecast whether key results were achieved: the "
        "Brier score, the share of each confidence band that came true and whether the "
        "forecasts were over- or under-confident, per team and person, and the trend per "
        "period. Covers key results of closed objectives you may see that have a score."
    ),
)
def get_calibration(request: HttpRequest, params: Query[CalibrationParams]) -> dict[str, Any]:
    member = member_of(request)
    period = period_for(member, params.period) if params.period else None
    team = team_for(member, params.team) if params.team else None
    person = other_member_for(member, params.person) if params.person else None
    return exports.calibration_data(
        calibration_report(member, period=period, team=team, person=person)
    )
