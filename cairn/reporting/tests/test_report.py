"""The period report page (issue 6, section 4): what it shows, to whom, and at what cost."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.checkins import services as checkins
from cairn.conftest import World
from cairn.okrs import services as okrs
from cairn.okrs.models import Objective
from cairn.orgs.models import Period, TeamClosure
from cairn.reporting.queries.report import period_report
from cairn.reporting.tests.report_world import (
    CLOSED_AT,
    PRIVATE_WORDS,
    Q3_END,
    Q3_START,
    at,
    check_in,
    close_quarter,
    closed_quarter,
    more_objectives,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def report_url(period: Period, team: object = None) -> str:
    url = reverse("reporting:period_report", args=["acme", period.uid])
    return f"{url}?team={team.uid}" if team is not None else url  # type: ignore[attr-defined]


def scores_on(page: str) -> dict[str, str]:
    """key result uid -> the score shown in its row."""
    return dict(re.findall(r'data-key-result="([0-9a-f-]{36})".*?data-score="([^"]*)"', page, re.S))


def test_the_report_shows_objectives_key_results_scores_and_final_confidence(
    world: World, admin_client: Client
) -> None:
    q = closed_quarter(world)
    page = admin_client.get(report_url(q.period)).content.decode()
    for title in ("Grow the funnel", "Signups", "Demo calls", "Shared launch", "Uptime"):
        assert title in page
    shown = scores_on(page)
    assert shown[str(q.key_results["signups"].uid)] == "0.80"
    assert shown[str(q.key_results["calls"].uid)] == "0.40"
    assert "Closed on" in page and "by Ada Admin" in page
    # Achieved at 0.70 and above: all but Demo calls (0.40) and the private margin (0.30).
    assert 'data-fact="achieved">5<' in page
    assert 'data-fact="blockers">2 / 1 / 1<' in page
    assert "Referral emails" in page  # the retrospective
    assert "9/10" in page  # Signups' final confidence


def test_a_member_sees_no_private_objective_or_key_result_of_another_team(
    world: World, member_client: Client, admin_client: Client
) -> None:
    q = closed_quarter(world)
    member_page = member_client.get(report_url(q.period)).content.decode()
    admin_page = admin_client.get(report_url(q.period)).content.decode()
    for word in PRIVATE_WORDS:
        assert word not in member_page, word
    for word in ("PRIVATE-MARKER", "PRIVATE-KR-MARKER", "PRIVATE-INSIGHT-MARKER"):
        assert word in admin_page
    # The blocker on the secret key result is not counted for the member either.
    assert 'data-fact="blockers">1 / 1 / 0<' in member_page


def test_an_objective_score_rolls_up_only_the_key_results_the_reader_may_see(
    world: World,
) -> None:
    q = closed_quarter(world)
    basics = str(q.objectives["basics"].uid)

    def basics_score(who: object) -> float | None:
        report = period_report(who, q.period)  # type: ignore[arg-type]
        [line] = [o for o in report.objectives if str(o.objective.uid) == basics]
        return line.score

    # Uptime 1.00 and the private margin 100/333 = 0.30: the admin's mean is 0.65, the
    # member sees Uptime alone.
    assert basics_score(world.admin) == pytest.approx(0.65)
    assert basics_score(world.member) == pytest.approx(1.0)


def test_a_team_report_holds_the_teams_own_objectives_and_its_shared_okrs(
    world: World, admin_client: Client
) -> None:
    q = closed_quarter(world)
    product = admin_client.get(report_url(q.period, world.team)).content.decode()
    assert "Grow the funnel" in product and "Shared launch" in product
    assert "Platform basics" not in product and "PRIVATE-MARKER" not in product
    platform = admin_client.get(report_url(q.period, world.other_team)).content.decode()
    assert "Shared launch" in platform and "Platform basics" in platform
    assert "Grow the funnel" not in platform
    assert f"report.csv?team={world.other_team.uid}" in platform


def test_coverage_is_the_share_of_key_results_checked_in_each_week(world: World) -> None:
    q = closed_quarter(world)
    report = period_report(world.admin, q.period, world.team)
    weeks = report.coverage.weeks
    # Weeks start on Monday (the organization's week start); the first and last are cut at
    # the period's ends.
    assert weeks[0].start == Q3_START and weeks[0].end == dt.date(2026, 7, 5)
    assert weeks[-1].end == Q3_END
    assert all(w.start.weekday() == 0 for w in weeks[1:])
    # Product's four key results (its own two, the shared OKR's two): all checked in during
    # the first full week, none in the quarter's first days.
    first_full = weeks[1]
    assert (first_full.key_results, first_full.checked_in) == (4, 4)
    assert weeks[0].checked_in == 0
    assert report.coverage.counted == 4 * len(weeks)
    assert report.coverage.overall == pytest.approx(
        sum(w.checked_in for w in weeks) / (4 * len(weeks))
    )


def test_a_key_result_added_mid_period_counts_from_its_first_week(world: World) -> None:
    q = closed_quarter(world, close=False)
    with time_machine.travel(at(dt.date(2026, 8, 12)), tick=False):
        late = okrs.create_key_result(
            actor=world.admin, objective=q.objectives["funnel"], title="Late", target_value=5
        )
    check_in(late, world.admin, dt.date(2026, 8, 13), progress=checkins.Progress(value=1))
    report = period_report(world.admin, q.period, world.team)
    counts = {w.start: w.key_results for w in report.coverage.weeks}
    assert counts[dt.date(2026, 8, 3)] == 4
    assert counts[dt.date(2026, 8, 10)] == 5


def test_weeks_after_today_are_not_reported_in_an_open_period(world: World) -> None:
    q = closed_quarter(world, close=False)
    report = period_report(world.admin, q.period, today=dt.date(2026, 7, 15))
    assert [w.start for w in report.coverage.weeks] == [
        dt.date(2026, 7, 1),
        dt.date(2026, 7, 6),
        dt.date(2026, 7, 13),
    ]


def test_a_team_closure_is_the_header_of_a_period_still_open(
    world: World, admin_client: Client
) -> None:
    q = closed_quarter(world, close=False)
    TeamClosure.objects.create(
        organization=world.org,
        period=q.period,
        team=world.team,
        closed_at=CLOSED_AT,
        closed_by=world.member,
    )
    page = admin_client.get(report_url(q.period, world.team)).content.decode()
    assert "Closed for Product on" in page and "by Mia Member" in page
    other = admin_client.get(report_url(q.period, world.other_team)).content.decode()
    assert "Closed for" not in other
    assert "Not closed yet" in other


def test_a_viewer_reads_the_report(world: World, viewer_client: Client) -> None:
    q = closed_quarter(world)
    response = viewer_client.get(report_url(q.period))
    assert response.status_code == 200
    assert "Grow the funnel" in response.content.decode()


@pytest.mark.parametrize(
    "name", ["period_report", "period_report_csv", "period_report_xlsx", "period_report_json"]
)
def test_an_outsider_gets_404_for_the_report_and_its_exports(
    world: World, outsider_client: Client, admin_client: Client, name: str
) -> None:
    q = closed_quarter(world)
    assert (
        outsider_client.get(reverse(f"reporting:{name}", args=["acme", q.period.uid])).status_code
        == 404
    )
    # Another organization's period under our slug, and an unknown team: 404 too.
    foreign = reverse(f"reporting:{name}", args=["acme", world.other_period.uid])
    assert admin_client.get(foreign).status_code == 404
    own = reverse(f"reporting:{name}", args=["acme", q.period.uid])
    assert admin_client.get(f"{own}?team=00000000-0000-4000-8000-000000000000").status_code == 404
    assert admin_client.get(f"{own}?team=not-a-uuid").status_code == 404


def test_an_htmx_request_gets_the_report_alone(world: World, admin_client: Client) -> None:
    q = closed_quarter(world)
    fragment = admin_client.get(report_url(q.period, world.team), **HTMX).content.decode()
    assert fragment.lstrip().startswith('<div id="report"')
    assert "<html" not in fragment


def test_the_report_is_linked_from_the_periods_page_the_home_page_and_team_pages(
    world: World, member_client: Client
) -> None:
    q = closed_quarter(world)
    url = report_url(q.period)
    periods = member_client.get(reverse("orgs:periods", args=["acme"])).content.decode()
    assert url in periods
    home = member_client.get(
        reverse("okrs:home", args=["acme"]) + f"?period={q.period.uid}"
    ).content.decode()
    assert url in home
    team = member_client.get(
        reverse("okrs:team", args=["acme", world.team.uid]) + f"?period={q.period.uid}"
    ).content.decode()
    assert f"{url}?team={world.team.uid}" in team
    assert reverse("reporting:calibration", args=["acme"]) + f"?team={world.team.uid}" in team


def test_the_report_prints_without_navigation_or_buttons(
    world: World, admin_client: Client
) -> None:
    from django.contrib.staticfiles import finders

    path = finders.find("cairn/report.css")
    assert path
    css = Path(path).read_text()
    assert "@media print" in css
    q = closed_quarter(world)
    page = admin_client.get(report_url(q.period)).content.decode()
    assert "cairn/report.css" in page
    assert 'class="report__exports row small no-print"' in page


def test_the_report_page_runs_the_same_number_of_queries_for_three_times_the_data(
    world: World, admin_client: Client, member_client: Client
) -> None:
    q = closed_quarter(world, close=False)
    more_objectives(world, q.period, 3, tag="first")
    close_quarter(q, world.admin)
    counts = {}
    for client, who in ((admin_client, "admin"), (member_client, "member")):
        client.get(report_url(q.period))  # warm the session
        with CaptureQueriesContext(connection) as small:
            assert client.get(report_url(q.period)).status_code == 200
        counts[who] = len(small)
    q.period.state = "active"
    q.period.save(update_fields=["state"])
    Objective.objects.filter(period=q.period).update(closed_at=None)
    more_objectives(world, q.period, 6, tag="more")
    close_quarter(q, world.admin)
    for client, who in ((admin_client, "admin"), (member_client, "member")):
        started = time.monotonic()
        with CaptureQueriesContext(connection) as large:
            assert client.get(report_url(q.period)).status_code == 200
        elapsed = time.monotonic() - started
        assert len(large) == counts[who], (who, counts[who], len(large))
        print(f"{who}: {len(large)} queries, {elapsed * 1000:.0f} ms")


def test_the_page_shows_one_page_of_objectives_and_the_latest_blockers_and_insights(
    world: World, admin_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At enterprise scale the page cannot list 10,000 objectives: a page of them, and the
    open or latest blockers and insights; the facts stay over the whole scope and the
    downloads hold everything."""
    from cairn.reporting.queries import report as report_queries

    q = closed_quarter(world)
    full = period_report(world.admin, q.period)
    monkeypatch.setattr(report_queries, "PAGE_SIZE", 2)
    monkeypatch.setattr(report_queries, "LIST_LIMIT", 1)
    first = admin_client.get(report_url(q.period)).content.decode()
    second = admin_client.get(report_url(q.period) + "?page=2").content.decode()
    titles = [line.objective.title for line in full.objectives]
    assert len(titles) > 2
    for title in titles[:2]:
        assert title in first and title not in second
    assert titles[2] in second and titles[2] not in first
    total = len(titles)
    assert f"Objectives 1\N{EN DASH}2 of {total}" in first and 'rel="next"' in first
    assert 'rel="prev"' in second
    # The facts are the whole report's on every page.
    for page in (first, second):
        assert f'data-fact="objectives">{total}<' in page
        assert 'data-fact="achieved">5<' in page and 'data-fact="blockers">2 / 1 / 1<' in page
    # One blocker listed (the open one first) of two; one insight of the full list.
    assert 'data-list-cut="blockers"' in first
    assert len(full.blockers.items) == 2 and full.blockers.total == 2
    paged = period_report(world.admin, q.period, page=1)
    assert [line.is_open for line in paged.blockers.items] == [True]
    assert len(paged.insights) <= 1 and paged.totals.insights == len(full.insights)
    # A page past the end shows the last one; nonsense shows the first.
    assert admin_client.get(report_url(q.period) + "?page=99").status_code == 200
    assert titles[0] in admin_client.get(report_url(q.period) + "?page=x").content.decode()
    # The CSV has every objective whatever the page size.
    csv = admin_client.get(
        reverse("reporting:period_report_csv", args=["acme", q.period.uid])
    ).content.decode()
    for title in titles:
        assert title in csv


def test_the_team_filter_lists_the_top_of_the_tree_and_the_viewers_teams(
    world: World, member_client: Client
) -> None:
    from cairn.orgs import services as org_services

    q = closed_quarter(world)

    child = org_services.create_team(
        organization=world.org, actor=world.admin, name="Web", parent=world.other_team
    )
    deep = org_services.create_team(
        organization=world.org, actor=world.admin, name="Deep Web", parent=child
    )

    def choices(url: str) -> str:
        page = member_client.get(url).content.decode()
        start = page.index('id="report-team"')
        return page[start : page.index("</select>", start)]

    select = choices(report_url(q.period))
    # The member's team, the roots and their children; not a third level the member is not in.
    for name in (world.team.name, world.other_team.name, "Web"):
        assert f">{name}</option>" in select
    assert "Deep Web" not in select
    assert "Deep Web" in choices(report_url(q.period, deep))
