"""The period report as CSV, XLSX and JSON: the same `PeriodReport` the page shows.

CSV and XLSX hold one row per key result with its objective's columns (an objective without
a key result the reader may see is one row with the key result columns empty); JSON nests
objectives and their key results and adds coverage, blockers, insights and calibration (the
shape of `GET /api/v1/periods/{id}/report`). Whatever is in the report passed the gate, so
an export holds nothing its reader may not see.

Spreadsheets run formulas: a text cell that starts like one (=, +, -, @) is exported with a
leading apostrophe in CSV and as a plain string in XLSX, so an objective titled
"=HYPERLINK(...)" is shown, never run.
"""

from __future__ import annotations

import csv
import enum
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cairn.checkins.queries import TEXT_SECTIONS
from cairn.orgs.models import Member, Team
from cairn.reporting import calibration as maths
from cairn.reporting.queries.calibration import CalibrationReport
from cairn.reporting.queries.report import KeyResultLine, ObjectiveLine, PeriodReport


class Format(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"


CONTENT_TYPES = {
    Format.CSV: "text/csv; charset=utf-8",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.JSON: "application/json",
}

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _number(value: Decimal | float | None, places: int = 4) -> float | None:
    return None if value is None else round(float(value), places)


def _ref(uid: Any, name: str) -> dict[str, str]:
    return {"id": str(uid), "name": name}


def _person(member: Member | None) -> dict[str, str] | None:
    return None if member is None else _ref(member.uid, member.name)


def _team(team: Team | None) -> dict[str, str] | None:
    return None if team is None else _ref(team.uid, team.name)


# Rows: CSV and XLSX ---------------------------------------------------------------------------

# (key, column heading): the key names the value in `rows`, the heading is what a reader sees.
COLUMNS: tuple[tuple[str, Any], ...] = (
    ("period", lambda: _("Period")),
    ("objective_id", lambda: _("Objective id")),
    ("objective", lambda: _("Objective")),
    ("objective_owners", lambda: _("Owners")),
    ("objective_visibility", lambda: _("Objective visibility")),
    ("objective_progress", lambda: _("Objective progress")),
    ("objective_score", lambda: _("Objective score")),
    ("key_result_id", lambda: _("Key result id")),
    ("key_result", lambda: _("Key result")),
    ("key_result_visibility", lambda: _("Key result visibility")),
    ("owner", lambda: _("Owner")),
    ("kind", lambda: _("Kind")),
    ("unit", lambda: _("Unit")),
    ("start", lambda: _("Start")),
    ("target", lambda: _("Target")),
    ("value", lambda: _("Final value")),
    ("progress", lambda: _("Progress")),
    ("score", lambda: _("Score")),
    ("score_overridden", lambda: _("Score overridden")),
    ("achieved", lambda: _("Achieved")),
    ("confidence", lambda: _("Final confidence")),
    ("check_ins", lambda: _("Check-ins in the period")),
    ("worked", lambda: _("What worked")),
    ("did_not_work", lambda: _("What did not work")),
    ("learned", lambda: _("What we learned")),
)


def _owners(line: ObjectiveLine) -> str:
    if line.owner_teams:
        return ", ".join(team.name for team in line.owner_teams)
    return line.owner_person.name if line.owner_person else ""


def _key_result_row(line: KeyResultLine) -> dict[str, Any]:
    kr = line.key_result
    retro = line.retrospective
    return {
        "key_result_id": str(kr.uid),
        "key_result": kr.title,
        "key_result_visibility": kr.visibility,
        "owner": kr.owner.name if kr.owner else "",
        "kind": kr.kind,
        "unit": kr.unit,
        "start": _number(kr.start_value),
        "target": _number(kr.target_value),
        "value": _number(kr.current_value),
        "progress": _number(line.progress),
        "score": _number(line.score, 2),
        "score_overridden": None if retro is None else retro.overridden,
        "achieved": line.achieved,
        "confidence": line.confidence,
        "check_ins": line.check_ins,
        "worked": retro.worked if retro else "",
        "did_not_work": retro.did_not_work if retro else "",
        "learned": retro.learned if retro else "",
    }


def rows(report: PeriodReport) -> list[dict[str, Any]]:
    """One dict per key result (keys: COLUMNS), its objective's columns repeated."""
    result = []
    for line in report.objectives:
        objective = {
            "period": report.period.name,
            "objective_id": str(line.objective.uid),
            "objective": line.objective.title,
            "objective_owners": _owners(line),
            "objective_visibility": line.objective.visibility,
            "objective_progress": _number(line.progress),
            "objective_score": _number(line.score, 2),
        }
        empty = dict.fromkeys(key for key, _heading in COLUMNS if key not in objective)
        if not line.key_results:
            result.append({**empty, **objective})
        for kr_line in line.key_results:
            result.append({**empty, **objective, **_key_result_row(kr_line)})
    return result


def _safe_text(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value


def to_csv(report: PeriodReport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([heading() for _key, heading in COLUMNS])
    for row in rows(report):
        writer.writerow([_safe_text(_cell(row[key])) for key, _heading in COLUMNS])
    # With a byte order mark: spreadsheet programs then read the file as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(report: PeriodReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Key results")[:31]
    sheet.append([heading() for _key, heading in COLUMNS])
    for row in rows(report):
        sheet.append([_cell(row[key]) for key, _heading in COLUMNS])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            # Text that looks like a formula stays text.
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    for index in range(1, len(COLUMNS) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 18
    sheet.freeze_panes = "A2"

    summary = workbook.create_sheet(_("Coverage")[:31])
    summary.append([_("Week from"), _("Week to"), _("Key results"), _("Checked in"), _("Share")])
    for week in report.coverage.weeks:
        summary.append(
            [week.start, week.end, week.key_results, week.checked_in, _number(week.share)]
        )
    summary.append(
        [
            _("Overall"),
            "",
            report.coverage.counted,
            report.coverage.checked_in,
            _number(report.coverage.overall),
        ]
    )

    calibration = workbook.create_sheet(_("Calibration")[:31])
    overall = report.calibration.overall.summary
    calibration.append([_("Forecasts"), overall.count])
    calibration.append([_("Brier score"), _number(overall.brier)])
    calibration.append([_("Verdict"), report.calibration.overall.verdict_label])
    calibration.append([_("Key results counted"), report.calibration.included])
    calibration.append([_("Key results left out"), report.calibration.left_out])
    calibration.append([])
    calibration.append([_("Confidence"), _("Forecasts"), _("Mean forecast"), _("Came true")])
    for band in overall.bands:
        calibration.append(
            [band.label, band.count, _number(band.mean_forecast), _number(band.observed_rate)]
        )

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# JSON (and the API) -----------------------------------------------------------------------


def _summary(summary: maths.Summary) -> dict[str, Any]:
    return {
        "forecasts": summary.count,
        "brier_score": _number(summary.brier),
        "mean_forecast": _number(summary.mean_forecast),
        "observed_rate": _number(summary.observed_rate),
        "verdict": summary.verdict.value,
        "bands": [
            {
                "low": band.low,
                "high": band.high,
                "forecasts": band.count,
                "mean_forecast": _number(band.mean_forecast),
                "observed_rate": _number(band.observed_rate),
            }
            for band in summary.bands
        ],
    }


def calibration_data(report: CalibrationReport) -> dict[str, Any]:
    return {
        "achieved_threshold": _number(report.threshold, 2),
        "period": None if report.period is None else _ref(report.period.uid, report.period.name),
        "team": _team(report.team),
        "person": _person(report.person),
        "key_results_counted": report.included,
        "key_results_left_out": report.left_out,
        **_summary(report.overall.summary),
        "teams": [{"team": _team(line.team), **_summary(line.summary)} for line in report.teams],
        "people": [
            {"person": _person(line.person), **_summary(line.summary)} for line in report.people
        ],
        "trend": [
            {"period": _ref(point.period.uid, point.period.name), **_summary(point.summary)}
            for point in report.trend
        ],
    }


def _texts(check_in: Any) -> list[dict[str, str]]:
    return [
        {"section": name, "text": text}
        for name, _label in TEXT_SECTIONS
        if (text := getattr(check_in, name))
    ]


def data(report: PeriodReport) -> dict[str, Any]:
    """The report as plain data: the JSON export and the API's answer."""
    period = report.period
    return {
        "organization": report.organization.slug,
        "period": {
            "id": str(period.uid),
            "name": period.name,
            "start": period.start,
            "end": period.end,
            "state": period.state,
        },
        "team": _team(report.team),
        "achieved_threshold": _number(report.threshold, 2),
        "closures": [
            {
                "team": _team(closure.team),
                "closed_at": closure.closed_at,
                "closed_by": _person(closure.closed_by),
            }
            for closure in report.closures
        ],
        "score": _number(report.score, 4),
        "objectives": [
            {
                "id": str(line.objective.uid),
                "title": line.objective.title,
                "visibility": line.objective.visibility,
                "owner_teams": [_team(team) for team in line.owner_teams],
                "owner_person": _person(line.owner_person),
                "closed_at": line.objective.closed_at,
                "progress": _number(line.progress),
                "score": _number(line.score, 4),
                "key_results": [
                    {
                        "id": str(kr.key_result.uid),
                        "title": kr.key_result.title,
                        "visibility": kr.key_result.visibility,
                        "kind": kr.key_result.kind,
                        "owner": _person(kr.key_result.owner),
                        "unit": kr.key_result.unit,
                        "start": _number(kr.key_result.start_value),
                        "target": _number(kr.key_result.target_value),
                        "value": _number(kr.key_result.current_value),
                        "weight": _number(kr.key_result.weight),
                        "progress": _number(kr.progress),
                        "score": _number(kr.score, 2),
                        "achieved": kr.achieved,
                        "confidence": kr.confidence,
                        "check_ins": kr.check_ins,
                        "result": None
                        if kr.retrospective is None
                        else {
                            "score_overridden": kr.retrospective.overridden,
                            "override_reason": kr.retrospective.override_reason,
                            "worked": kr.retrospective.worked,
                            "did_not_work": kr.retrospective.did_not_work,
                            "learned": kr.retrospective.learned,
                        },
                    }
                    for kr in line.key_results
                ],
            }
            for line in report.objectives
        ],
        "coverage": {
            "overall": _number(report.coverage.overall),
            "weeks": [
                {
                    "start": week.start,
                    "end": week.end,
                    "key_results": week.key_results,
                    "checked_in": week.checked_in,
                    "share": _number(week.share),
                }
                for week in report.coverage.weeks
            ],
        },
        "blockers": {
            "raised": report.blockers.raised,
            "resolved": report.blockers.resolved,
            "open": report.blockers.open,
            "items": [
                {
                    "id": str(line.check_in.uid),
                    "key_result": _ref(
                        line.check_in.key_result.uid, line.check_in.key_result.title
                    ),
                    "raised_on": line.raised_on,
                    "raised_by": _person(line.check_in.author),
                    "resolved_on": line.resolved_on,
                    "resolved_by": _person(line.check_in.blocker_resolved_by),
                    "resolution": line.check_in.blocker_resolution,
                    "texts": _texts(line.check_in),
                }
                for line in report.blockers.items
            ],
        },
        "insights": [
            {
                "id": str(line.check_in.uid),
                "key_result": _ref(line.check_in.key_result.uid, line.check_in.key_result.title),
                "on": line.on,
                "author": _person(line.check_in.author),
                "texts": _texts(line.check_in),
            }
            for line in report.insights
        ],
        "calibration": calibration_data(report.calibration),
    }


def to_json(report: PeriodReport) -> bytes:
    return json.dumps(data(report), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


# Files ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    content: bytes
    content_type: str
    filename: str


def filename(report: PeriodReport, fmt: Format) -> str:
    parts = ["cairn", report.organization.slug, slugify(report.period.name) or "period"]
    if report.team is not None:
        parts.append(slugify(report.team.name) or "team")
    return "-".join(parts) + f".{fmt.value}"


def export(report: PeriodReport, fmt: Format | str) -> Export:
    fmt = Format(fmt)
    writers = {Format.CSV: to_csv, Format.XLSX: to_xlsx, Format.JSON: to_json}
    return Export(
        content=writers[fmt](report),
        content_type=CONTENT_TYPES[fmt],
        filename=filename(report, fmt),
    )


def as_text(content: bytes, fmt: Format | str) -> str:
    """An export read back as text (an XLSX workbook's every cell): what a leak check reads."""
    if Format(fmt) != Format.XLSX:
        return content.decode("utf-8-sig")
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True)
    lines = []
    for sheet in workbook.worksheets:
        lines.append(sheet.title)
        for values in sheet.iter_rows(values_only=True):
            lines.append("\t".join("" if v is None else str(v) for v in values))
    return "\n".join(lines)


def read_xlsx_rows(content: bytes) -> list[list[Any]]:
    """The first sheet of an exported workbook, row by row (headings first)."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True)
    sheet = workbook.worksheets[0]
    return [list(values) for values in sheet.iter_rows(values_only=True)]
