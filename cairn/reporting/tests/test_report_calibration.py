"""Confidence calibration over real check-ins (issue 6, section 3): which check-ins are
forecasts of what, per team, person and period, through the gate; and its page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

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
from cairn.orgs import services as orgs
from cairn.orgs.models import PeriodState
from cairn.reporting.calibration import Verdict
from cairn.reporting.queries.calibration import calibration_report
from cairn.reporting.tests.report_world import (
    PRIVATE_WORDS,
    at,
    check_in,
    close_quarter,
    closed_quarter,
    more_objectives,
)

pytestmark = pytest.mark.django_db

CALIBRATION = "/o/acme/calibration/"

# Product's forecasts in the quarter (report_world): Signups (achieved) 8 8 9 9 9 9, Demo
# calls (missed) 9 9 8 8 8 8 and 5, Launch done (achieved) 6 7 7 8; Press mentions has one
# forecast and is left out.
PRODUCT_SQUARES = (
    2 * 0.2**2 + 4 * 0.1**2 + 2 * 0.9**2 + 4 * 0.8**2 + 0.5**2 + 0.4**2 + 2 * 0.3**2 + 0.2**2
)


def test_product_was_over_confident_and_its_brier_score_is_the_mean_squared_error(
    world: World,
) -> None:
    q = closed_quarter(world)
    report = calibration_report(world.admin, period=q.period, team=world.team, trend=False)
    assert report.overall.count == 17
    assert report.overall.brier == pytest.approx(PRODUCT_SQUARES / 17)
    assert report.overall.summary.mean_forecast == pytest.approx(135 / 170)
    assert report.overall.summary.observed_rate == pytest.approx(10 / 17)
    assert report.overall.summary.verdict == Verdict.OVER_CONFIDENT
    assert (report.included, report.left_out) == (3, 1)
    # Six forecasts at 9-10: Signups' four came true, Demo calls' two did not.
    top = report.bands[-1]
    assert (top.count, top.observed_rate) == (6, pytest.approx(4 / 6))


def test_a_shared_okr_counts_for_each_owning_team(world: World) -> None:
    q = closed_quarter(world)
    report = calibration_report(world.admin, period=q.period)
    by_team = {line.team.name: line.count for line in report.teams}
    # Launch done's four forecasts are Product's and Platform's.
    assert by_team == {"Product": 17, "Platform": 4 + 5 + 2 + 3}
    assert report.overall.count == 17 + 14 - 4


def test_forecasts_are_per_person_by_author(world: World) -> None:
    q = closed_quarter(world)
    report = calibration_report(world.admin, period=q.period, team=world.team)
    assert {line.person.name: line.count for line in report.people} == {
        "Ada Admin": 4,
        "Mia Member": 13,
    }
    mia = calibration_report(world.admin, period=q.period, person=world.member)
    assert mia.overall.count == 13
    assert [line.person.name for line in mia.people] == ["Mia Member"]


def test_check_ins_outside_the_period_are_no_forecasts(world: World) -> None:
    q = closed_quarter(world, close=False)
    signups = q.key_results["signups"]
    check_in(signups, world.member, dt.date(2026, 6, 29), confidence=checkins.Confidence(level=1))
    check_in(signups, world.member, dt.date(2026, 10, 1), confidence=checkins.Confidence(level=1))
    close_quarter(q, world.admin)
    report = calibration_report(world.admin, period=q.period, team=world.team)
    assert report.overall.count == 17


def test_the_period_s_days_are_the_organization_s(world: World) -> None:
    """A check-in at 23:30 UTC on the day before the period starts is already inside it in
    Auckland."""
    world.org.time_zone = "Pacific/Auckland"
    world.org.save(update_fields=["time_zone"])
    q = closed_quarter(world, close=False)
    moment = dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        checkins.record_check_in(
            key_result=q.key_results["signups"],
            author=world.member,
            at=moment,
            confidence=checkins.Confidence(level=8),
        )
    close_quarter(q, world.admin)
    report = calibration_report(world.admin, period=q.period, team=world.team)
    assert report.overall.count == 18


def test_open_objectives_forecast_nothing_yet(world: World) -> None:
    q = closed_quarter(world, close=False)
    report = calibration_report(world.admin, period=q.period)
    assert (report.overall.count, report.included, report.left_out) == (0, 0, 0)
    assert report.overall.summary.verdict == Verdict.NOT_ENOUGH_DATA


def test_the_organization_s_threshold_decides_what_was_achieved(world: World) -> None:
    q = closed_quarter(world)
    world.org.achieved_threshold = Decimal("0.95")
    world.org.save(update_fields=["achieved_threshold"])
    report = calibration_report(world.admin, period=q.period, team=world.team)
    # Signups (0.80) now missed: only Launch done's four forecasts came true.
    assert report.overall.summary.observed_rate == pytest.approx(4 / 17)
    assert report.threshold == Decimal("0.95")


def test_a_member_gets_no_forecast_of_a_key_result_they_may_not_see(
    world: World, member_client: Client
) -> None:
    q = closed_quarter(world)
    report = calibration_report(world.member, period=q.period)
    # Not the secret objective's key result, nor Platform's private margin.
    assert report.overall.count == 17 + 2
    assert {line.team.name: line.count for line in report.teams} == {
        "Platform": 4 + 2,
        "Product": 17,
    }
    page = member_client.get(f"{CALIBRATION}?period={q.period.uid}").content.decode()
    for word in PRIVATE_WORDS:
        assert word not in page


def _quarter_two(world: World, levels: list[int], achieved: bool) -> None:
    """A closed second quarter (April to June) with one key result of Product."""
    with time_machine.travel(at(dt.date(2026, 3, 25)), tick=False):
        period = orgs.create_period(
            organization=world.org,
            actor=world.admin,
            name="2026 Q2",
            start=dt.date(2026, 4, 1),
            end=dt.date(2026, 6, 30),
            state=PeriodState.ACTIVE,
        )
        objective = okrs.create_objective(
            actor=world.admin, period=period, title="Earlier goal", owner_teams=[world.team]
        )
        kr = okrs.create_key_result(
            actor=world.admin, objective=objective, title="Earlier result", target_value=10
        )
    for week, level in enumerate(levels):
        day = dt.date(2026, 4, 6) + dt.timedelta(weeks=week)
        check_in(kr, world.member, day, confidence=checkins.Confidence(level=level))
    check_in(
        kr,
        world.member,
        dt.date(2026, 6, 25),
        result=checkins.Result(value=10 if achieved else 2),
    )
    Objective.objects.filter(period=period).update(closed_at=at(dt.date(2026, 7, 1)))
    period.state = PeriodState.CLOSED
    period.save(update_fields=["state"])


def test_the_trend_is_the_brier_score_of_each_period_in_order(world: World) -> None:
    _quarter_two(world, [9, 9, 9, 9], achieved=False)
    closed_quarter(world)
    report = calibration_report(world.admin, team=world.team)
    assert [point.period.name for point in report.trend] == ["2026 Q2", "2026 Q3"]
    assert report.trend[0].brier == pytest.approx(0.81)
    assert report.trend[1].brier == pytest.approx(PRODUCT_SQUARES / 17)
    # All periods together: the whole history of forecasts.
    assert report.overall.count == 4 + 17
    assert report.trend_chart is not None
    assert "2026 Q2" in report.trend_chart.summary


def test_the_calibration_page_draws_an_accessible_chart_with_a_table(
    world: World, admin_client: Client
) -> None:
    q = closed_quarter(world)
    page = admin_client.get(f"{CALIBRATION}?period={q.period.uid}").content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart--calibration"' in page
    assert 'role="img"' in page and "<title id=" in page and "<desc id=" in page
    assert "chart__diagonal" in page
    assert page.count('class="chart__band"') == 5
    assert "calibration__bands" in page  # the table beside the chart
    assert 'data-verdict="calibrated"' in page or 'data-verdict="over_confident"' in page
    assert "1 key result left out: fewer than two confidence check-ins." in page


def test_the_calibration_page_filters_by_team_and_person(
    world: World, member_client: Client
) -> None:
    q = closed_quarter(world)
    page = member_client.get(
        f"{CALIBRATION}?period={q.period.uid}&team={world.team.uid}"
    ).content.decode()
    assert 'data-forecasts="17"' in page
    assert 'data-verdict="over_confident"' in page
    page = member_client.get(f"{CALIBRATION}?person={world.member.uid}").content.decode()
    assert 'data-forecasts="13"' in page
    assert "Brier score per period" in page


def test_the_calibration_page_answers_404_for_anything_not_ours(
    world: World, admin_client: Client, outsider_client: Client
) -> None:
    closed_quarter(world)
    assert outsider_client.get(CALIBRATION).status_code == 404
    nowhere = "00000000-0000-4000-8000-000000000000"
    for query in (
        f"period={world.other_period.uid}",
        f"period={nowhere}",
        f"team={nowhere}",
        f"person={world.outsider.uid}",
        "person=nonsense",
    ):
        assert admin_client.get(f"{CALIBRATION}?{query}").status_code == 404, query


def test_a_viewer_reads_the_calibration_page(world: World, viewer_client: Client) -> None:
    closed_quarter(world)
    assert viewer_client.get(CALIBRATION).status_code == 200


def test_the_calibration_page_runs_the_same_number_of_queries_for_three_times_the_data(
    world: World, admin_client: Client
) -> None:
    q = closed_quarter(world, close=False)
    more_objectives(world, q.period, 2, tag="first")
    close_quarter(q, world.admin)
    admin_client.get(CALIBRATION)
    with CaptureQueriesContext(connection) as small:
        admin_client.get(CALIBRATION)
    q.period.state = PeriodState.ACTIVE
    q.period.save(update_fields=["state"])
    Objective.objects.filter(period=q.period).update(closed_at=None)
    more_objectives(world, q.period, 6, tag="more")
    close_quarter(q, world.admin)
    _quarter_two(world, [5, 6, 7], achieved=True)
    with CaptureQueriesContext(connection) as large:
        assert admin_client.get(CALIBRATION).status_code == 200
    assert len(large) == len(small)


def test_the_threshold_is_an_organization_setting(world: World, admin_client: Client) -> None:
    url = reverse("orgs:settings", args=["acme"])
    assert 'name="achieved_threshold"' in admin_client.get(url).content.decode()
    response = admin_client.post(
        url,
        {
            "name": "Acme",
            "time_zone": "UTC",
            "week_start": "0",
            "checkin_cadence": "weekly",
            "checkin_weekday": "4",
            "default_language": "en",
            "achieved_threshold": "0.8",
        },
    )
    assert response.status_code == 302
    world.org.refresh_from_db()
    assert world.org.achieved_threshold == Decimal("0.80")
    response = admin_client.post(
        url,
        {
            "name": "Acme",
            "time_zone": "UTC",
            "week_start": "0",
            "checkin_cadence": "weekly",
            "checkin_weekday": "4",
            "default_language": "en",
            "achieved_threshold": "1.5",
        },
    )
    assert response.status_code == 200
    world.org.refresh_from_db()
    assert world.org.achieved_threshold == Decimal("0.80")


def test_the_threshold_service_refuses_a_score_out_of_range(world: World) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        orgs.update_organization(organization=world.org, actor=world.admin, achieved_threshold=0)
    assert "achieved_threshold" in error.value.error_dict


def test_an_htmx_request_gets_the_calibration_alone(world: World, admin_client: Client) -> None:
    closed_quarter(world)
    response = admin_client.get(f"{CALIBRATION}?team={world.team.uid}", HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="calibration"')
    assert "HX-Request" in response["Vary"]
