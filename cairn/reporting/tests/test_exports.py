"""Exports of the period report (issue 6, section 4): CSV, XLSX and JSON from the page and
from `cairn export`, read back and compared with the page; private items only for those who
may see them."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from cairn import cli
from cairn.conftest import World
from cairn.okrs import services as okrs
from cairn.orgs.models import Period
from cairn.reporting import exports
from cairn.reporting.tests.report_world import PRIVATE_WORDS, Quarter, closed_quarter

pytestmark = pytest.mark.django_db

FORMATS = ("csv", "xlsx", "json")


def export_url(period: Period, fmt: str, team: Any = None) -> str:
    url = reverse(f"reporting:period_report_{fmt}", args=["acme", period.uid])
    return f"{url}?team={team.uid}" if team is not None else url


def download(client: Client, period: Period, fmt: str, team: Any = None) -> bytes:
    response = client.get(export_url(period, fmt, team))
    assert response.status_code == 200
    assert response["Content-Type"] == exports.CONTENT_TYPES[exports.Format(fmt)]
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return response.content


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def page_rows(client: Client, period: Period, team: Any = None) -> dict[str, str]:
    """key result uid -> score, as the report page shows them."""
    url = reverse("reporting:period_report", args=["acme", period.uid])
    if team is not None:
        url += f"?team={team.uid}"
    page = client.get(url).content.decode()
    return dict(re.findall(r'data-key-result="([0-9a-f-]{36})".*?data-score="([^"]*)"', page, re.S))


def page_objectives(client: Client, period: Period) -> list[str]:
    page = client.get(reverse("reporting:period_report", args=["acme", period.uid]))
    return re.findall(r'data-objective="([0-9a-f-]{36})"', page.content.decode())


def _plain(value: Any) -> Any:
    """A cell as a comparable value: numbers as floats (a spreadsheet reads 80.0 back as
    80), nothing as the empty string."""
    if value is None:
        return ""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


@pytest.fixture
def quarter(world: World) -> Quarter:
    return closed_quarter(world)


def test_the_csv_export_holds_the_page_s_key_results_and_scores(
    world: World, quarter: Quarter, admin_client: Client
) -> None:
    rows = csv_rows(download(admin_client, quarter.period, "csv"))
    on_page = page_rows(admin_client, quarter.period)
    assert {row["Key result id"]: row["Score"] for row in rows} == {
        uid: str(float(score)) for uid, score in on_page.items()
    }
    assert list(dict.fromkeys(row["Objective id"] for row in rows)) == page_objectives(
        admin_client, quarter.period
    )
    signups = next(row for row in rows if row["Key result"] == "Signups")
    assert signups["Objective"] == "Grow the funnel"
    assert signups["Achieved"] == "yes"
    assert signups["Final confidence"] == "9"
    assert signups["What worked"] == "Referral emails"
    assert signups["Objective score"] == "0.6"


def test_the_xlsx_export_holds_the_same_rows_as_the_csv(
    world: World, quarter: Quarter, member_client: Client
) -> None:
    sheet = exports.read_xlsx_rows(download(member_client, quarter.period, "xlsx"))
    headings, *body = sheet
    from_csv = csv_rows(download(member_client, quarter.period, "csv"))
    assert headings == list(from_csv[0].keys())
    assert [[_plain(v) for v in row] for row in body] == [
        [_plain(v) for v in row.values()] for row in from_csv
    ]
    # And the page: the same key results, the same scores.
    scores = {row[headings.index("Key result id")]: row[headings.index("Score")] for row in body}
    assert scores == {
        uid: float(score) for uid, score in page_rows(member_client, quarter.period).items()
    }


def test_the_json_export_nests_objectives_and_adds_coverage_blockers_insights_calibration(
    world: World, quarter: Quarter, admin_client: Client
) -> None:
    data = json.loads(download(admin_client, quarter.period, "json"))
    assert data["period"]["name"] == "2026 Q3"
    assert data["period"]["state"] == "closed"
    assert [o["id"] for o in data["objectives"]] == page_objectives(admin_client, quarter.period)
    scores = {kr["id"]: kr["score"] for o in data["objectives"] for kr in o["key_results"]}
    assert scores == {
        uid: float(score) for uid, score in page_rows(admin_client, quarter.period).items()
    }
    assert data["blockers"]["raised"] == 2
    assert len(data["insights"]) == 2
    assert data["coverage"]["weeks"][1]["share"] == 1.0
    assert data["calibration"]["forecasts"] == 27
    assert data["calibration"]["key_results_left_out"] == 1
    assert data["closures"][0]["closed_by"]["name"] == "Ada Admin"


def test_a_team_s_export_holds_only_its_objectives(
    world: World, quarter: Quarter, admin_client: Client
) -> None:
    rows = csv_rows(download(admin_client, quarter.period, "csv", world.team))
    assert {row["Objective"] for row in rows} == {"Grow the funnel", "Shared launch"}
    data = json.loads(download(admin_client, quarter.period, "json", world.team))
    assert data["team"]["name"] == "Product"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_member_s_export_has_no_private_item_of_another_team_and_the_admin_s_has(
    world: World, quarter: Quarter, member_client: Client, admin_client: Client, fmt: str
) -> None:
    members = exports.as_text(download(member_client, quarter.period, fmt), fmt)
    admins = exports.as_text(download(admin_client, quarter.period, fmt), fmt)
    for word in PRIVATE_WORDS:
        assert word not in members, word
    assert "PRIVATE-MARKER secret plan" in admins
    assert "PRIVATE-KR-MARKER cost" in admins
    assert "PRIVATE-KR2-MARKER margin" in admins
    # Nor its numbers: the secret key result's target and final value, and the private
    # margin's target.
    for number in ("987654", "876543", "333333"):
        assert number not in members, number
        assert number in admins, number


def test_a_title_that_looks_like_a_formula_stays_text(world: World, admin_client: Client) -> None:
    q = closed_quarter(world, close=False)
    okrs.update_objective(
        objective=q.objectives["funnel"], actor=world.admin, title='=HYPERLINK("http://x")'
    )
    rows = csv_rows(download(admin_client, q.period, "csv"))
    assert {row["Objective"] for row in rows} >= {'\'=HYPERLINK("http://x")'}
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(download(admin_client, q.period, "xlsx")))
    cells = [c for row in workbook.worksheets[0].iter_rows() for c in row]
    formulas = [c for c in cells if str(c.value).startswith("=HYPERLINK")]
    assert len(formulas) == 2  # the objective's two key results
    assert all(cell.data_type == "s" for cell in formulas)


def test_the_report_page_links_its_three_exports(
    world: World, quarter: Quarter, viewer_client: Client
) -> None:
    url = reverse("reporting:period_report", args=["acme", quarter.period.uid])
    page = viewer_client.get(f"{url}?team={world.team.uid}").content.decode()
    for fmt in FORMATS:
        assert export_url(quarter.period, fmt, world.team).replace("&", "&amp;") in page


# cairn export ---------------------------------------------------------------------------------


def test_cairn_export_writes_the_admin_view_of_the_whole_organization(
    world: World, quarter: Quarter, tmp_path: Path, admin_client: Client
) -> None:
    out = tmp_path / "report.csv"
    call_command("export", "--org", "acme", "--period", "2026 Q3", "--output", str(out))
    from_command = csv_rows(out.read_bytes())
    assert from_command == csv_rows(download(admin_client, quarter.period, "csv"))
    assert any("PRIVATE-MARKER" in row["Objective"] for row in from_command)


@pytest.mark.parametrize("fmt", FORMATS)
def test_cairn_export_as_a_member_is_that_member_s_export(
    world: World, quarter: Quarter, tmp_path: Path, member_client: Client, fmt: str
) -> None:
    out = tmp_path / f"report.{fmt}"
    call_command(
        "export",
        "--org",
        "acme",
        "--period",
        "2026 q3",
        "--format",
        fmt,
        "--as",
        world.member.user.email,
        "--output",
        str(out),
    )
    text = exports.as_text(out.read_bytes(), fmt)
    for word in PRIVATE_WORDS:
        assert word not in text
    assert text == exports.as_text(download(member_client, quarter.period, fmt), fmt)


def test_cairn_export_prints_csv_and_json_and_filters_by_team(
    world: World, quarter: Quarter, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command(
        "export", "--org", "acme", "--period", "2026 Q3", "--format", "json", "--team", "platform"
    )
    data = json.loads(capsys.readouterr().out)
    assert data["team"]["name"] == "Platform"
    assert "Grow the funnel" not in {o["title"] for o in data["objectives"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nope", "--period", "2026 Q3"], "No organization with the slug 'nope'"),
        (["--org", "acme", "--period", "1999 Q1"], "No period '1999 Q1' in 'acme': one of"),
        (["--org", "acme", "--period", "2026 Q3", "--format", "pdf"], "Unknown format 'pdf'"),
        (["--org", "acme", "--period", "2026 Q3", "--team", "Sales"], "No team 'Sales'"),
        (
            ["--org", "acme", "--period", "2026 Q3", "--as", "otto@globex.test"],
            "not an active member",
        ),
        (["--period", "2026 Q3"], "Say which organization"),
        (["--org", "acme"], "Say which period"),
    ],
)
def test_cairn_export_explains_a_bad_argument(
    world: World, quarter: Quarter, args: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("export", *args)


def test_the_cairn_command_exits_non_zero_without_a_traceback(
    world: World, quarter: Quarter, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["export", "--org", "acme", "--period", "2026 Q3", "--format", "pdf"])
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "Unknown format 'pdf'" in err
    assert "Traceback" not in err
    assert "export" in cli.usage()
