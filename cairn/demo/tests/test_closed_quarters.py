"""The demo's two closed quarters (closed.py): results, retrospectives, the closing, the
carry-over and a calibration story with one over-confident team."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest

from cairn.checkins import services as checkins
from cairn.checkins.models import CheckIn
from cairn.demo.loader import load_demo
from cairn.lib import rhythm
from cairn.okrs import closing
from cairn.okrs import services as okrs
from cairn.okrs.models import Initiative, InitiativeState, KeyResult, Objective, ObjectiveTeam
from cairn.orgs.models import HistoryEvent, Period, PeriodState, TeamClosure
from cairn.reporting.queries.calibration import calibration_report

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 5, 14)
THRESHOLD = Decimal("0.70")


@pytest.fixture
def demo() -> Any:
    return load_demo(today=TODAY)


def closed_periods(demo: Any) -> list[Period]:
    return [demo.earlier, demo.previous]


def key_results_of(period: Period) -> list[KeyResult]:
    return list(
        KeyResult.objects.filter(objective__period=period)
        .select_related("objective", "owner")
        .order_by("objective_id", "position")
    )


def latest_result(key_result: KeyResult) -> CheckIn | None:
    return (
        CheckIn.objects.live()
        .filter(key_result=key_result, result_score__isnull=False)
        .order_by("-at")
        .first()
    )


# Closing -------------------------------------------------------------------------------------


def test_both_quarters_are_closed_by_ada_and_platform_closed_first(demo: Any) -> None:
    ada, omar = demo.people["ada"], demo.people["omar"]
    for period in closed_periods(demo):
        period.refresh_from_db()
        assert period.state == PeriodState.CLOSED
        assert period.closed_by == ada
        assert period.closed_at is not None and period.closed_at.date() > period.end
        closing_event = HistoryEvent.objects.get(
            target_uid=period.uid, changes__state=[PeriodState.ACTIVE, PeriodState.CLOSED]
        )
        assert closing_event.actor == ada and closing_event.note
    (closure,) = TeamClosure.objects.filter(period__in=closed_periods(demo))
    assert closure.period == demo.previous
    assert closure.team == demo.teams["Platform"] and closure.closed_by == omar == closure.team.lead
    assert closure.closed_at < demo.previous.closed_at
    # Platform's own objective closed with its team; the beta objective it shares with
    # Product waited for the whole period.
    platform_only = Objective.objects.get(
        period=demo.previous, title="Get the platform ready for launch traffic"
    )
    shared = Objective.objects.get(
        period=demo.previous, title="Get the Acme beta into customers' hands"
    )
    assert platform_only.closed_at == closure.closed_at
    assert shared.closed_at == demo.previous.closed_at


def test_nothing_was_written_to_a_closed_quarter_after_it_closed(demo: Any) -> None:
    for period in closed_periods(demo):
        objectives = Objective.objects.filter(period=period)
        assert objectives.count() >= 4
        assert not objectives.filter(closed_at__isnull=True).exists()
        for key_result in key_results_of(period):
            closed_at = key_result.objective.closed_at
            assert key_result.last_check_in_at is not None
            assert key_result.last_check_in_at <= closed_at, key_result.title
            resolved = CheckIn.objects.filter(
                key_result=key_result, blocker_resolved_at__isnull=False
            )
            assert all(c.blocker_resolved_at <= closed_at for c in resolved)
    # And a write now is refused.
    key_result = key_results_of(demo.previous)[0]
    with pytest.raises(closing.PeriodClosed):
        checkins.record_check_in(
            key_result=key_result,
            author=key_result.owner,
            progress=checkins.Progress(value=1),
        )
    with pytest.raises(closing.PeriodClosed):
        okrs.create_key_result(
            actor=demo.people["ada"], objective=key_result.objective, title="Too late"
        )


@pytest.mark.parametrize("today", [dt.date(2026, 7, 1), dt.date(2027, 1, 3)])
def test_a_demo_loaded_at_a_quarter_start_closes_no_later_than_today(today: dt.date) -> None:
    demo = load_demo(today=today)
    for period in closed_periods(demo):
        period.refresh_from_db()
        assert period.end < period.closed_at.date() <= today
    assert TeamClosure.objects.get(period=demo.previous).closed_at.date() <= today


# Check-ins and results -------------------------------------------------------------------------


def test_a_quarter_of_check_ins_by_the_owners(demo: Any) -> None:
    organization = demo.organization
    for period in closed_periods(demo):
        check_ins = CheckIn.objects.filter(key_result__objective__period=period)
        for key_result in key_results_of(period):
            mine = list(check_ins.filter(key_result=key_result))
            assert len(mine) >= 4, key_result.title
            assert {c.author_id for c in mine} == {key_result.owner_id}, key_result.title
            days = sorted(rhythm.local_date(c.at, organization.time_zone) for c in mine)
            assert period.start <= days[0] and days[-1] <= period.end, key_result.title
            assert (days[-1] - days[0]).days >= 6 * 7, key_result.title
        blockers = check_ins.filter(is_blocker=True)
        assert blockers.count() >= 2
        assert not blockers.filter(blocker_resolved_at__isnull=True).exists()
        assert check_ins.filter(is_insight=True).count() >= 2
        assert check_ins.exclude(next_up_plan="").exists()
        assert check_ins.exclude(reflection_outcome="").exists()


def test_every_previous_key_result_has_a_score_and_a_retrospective(demo: Any) -> None:
    period = demo.previous
    for key_result in key_results_of(period):
        result = latest_result(key_result)
        assert result is not None, key_result.title
        assert key_result.score == result.result_score is not None
        assert key_result.current_value == result.result_value
        assert result.author_id == key_result.owner_id
        day = rhythm.local_date(result.at, demo.organization.time_zone)
        assert checkins.results_open_on(period.end) <= day <= period.end
        for text in (result.result_worked, result.result_did_not_work, result.result_learned):
            assert 10 <= len(text) <= 300, key_result.title
        if not result.result_score_overridden:
            computed = checkins.computed_score(key_result, result.result_value)
            assert result.result_score == computed, key_result.title


def test_most_earlier_key_results_have_a_result(demo: Any) -> None:
    key_results = key_results_of(demo.earlier)
    missing = [kr.title for kr in key_results if kr.score is None]
    assert missing == ["Letters of intent signed"]
    assert len(key_results) >= 8


def test_an_overridden_score_says_why(demo: Any) -> None:
    overridden = CheckIn.objects.filter(
        key_result__objective__period=demo.previous, result_score_overridden=True
    ).select_related("key_result")
    assert 1 <= overridden.count() <= 2
    for result in overridden:
        assert result.result_override_reason
        assert result.result_value is not None
        computed = checkins.computed_score(result.key_result, result.result_value)
        assert result.result_score != computed
    assert any("definition changed" in result.result_override_reason for result in overridden)


# Carry-over -----------------------------------------------------------------------------------


def test_three_unfinished_objectives_continue_into_the_current_quarter(demo: Any) -> None:
    continued = list(
        Objective.objects.filter(period=demo.current, continued_from__isnull=False).order_by(
            "title"
        )
    )
    assert [o.title for o in continued] == [
        "Get the platform ready for launch traffic",
        "Prove that content partners want Acme",
        "Turn free users into fans",
    ]
    for objective in continued:
        old = objective.continued_from
        assert old.period == demo.previous and old.closed_at is not None
        assert list(old.continued_into.all()) == [objective]
        assert set(objective.owner_teams.all()) == set(old.owner_teams.all())
        for key_result in objective.key_results.filter(continued_from__isnull=False):
            before = key_result.continued_from
            assert before.objective == old
            assert list(before.continued_into.all()) == [key_result]
            # The new baseline is where the old one ended, with the same target.
            assert key_result.start_value == before.current_value
            assert before.score is not None and before.score < THRESHOLD
            assert key_result.target_value == before.target_value
            assert key_result.owner_id == before.owner_id
            first = CheckIn.objects.filter(key_result=key_result).order_by("at").first()
            assert first is not None and first.progress_value == key_result.start_value
        # Achieved key results stay behind.
        assert objective.key_results.count() == 1


def test_growth_brings_its_unfinished_and_deferred_initiatives(demo: Any) -> None:
    growth = demo.objectives["growth"]
    assert growth.continued_from is not None
    activation = growth.key_results.get()
    copied = Initiative.objects.get(objective=growth, continued_from__isnull=False)
    assert copied.title == "Welcome e-mail sequence"
    assert copied.state == InitiativeState.IN_PROGRESS and copied.period == demo.current
    assert copied.key_result == activation
    assert copied.continued_from.objective == growth.continued_from
    assert copied.continued_from.period == demo.previous
    deferred = Initiative.objects.get(objective=growth, state=InitiativeState.DEFERRED)
    assert deferred.title == "Checklist in the empty project"
    assert deferred.period == demo.current and deferred.key_result == activation
    assert HistoryEvent.objects.filter(
        target_uid=deferred.uid, changes__has_key="continued_into"
    ).exists()


# Calibration ------------------------------------------------------------------------------------


def forecasts(period: Period) -> tuple[dict[int, list[tuple[float, bool]]], list[int]]:
    """Per key result of `period` with a score: its confidence forecasts made during the
    period, as (probability, achieved); and the key results left out with fewer than two."""
    zone = period.organization.time_zone
    per_key_result: dict[int, list[tuple[float, bool]]] = {}
    left_out = []
    for key_result in key_results_of(period):
        if key_result.score is None:
            continue
        achieved = key_result.score >= THRESHOLD
        levels = [
            c.confidence / 10
            for c in CheckIn.objects.live().filter(key_result=key_result, confidence__isnull=False)
            if c.confidence is not None
            and period.start <= rhythm.local_date(c.at, zone) <= period.end
        ]
        if len(levels) < 2:
            left_out.append(key_result.pk)
        else:
            per_key_result[key_result.pk] = [(p, achieved) for p in levels]
    return per_key_result, left_out


def by_team(period: Period) -> dict[str, list[tuple[float, bool]]]:
    per_key_result, _left_out = forecasts(period)
    teams: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for key_result in key_results_of(period):
        for link in ObjectiveTeam.objects.filter(objective=key_result.objective).select_related(
            "team"
        ):
            teams[link.team.name].extend(per_key_result.get(key_result.pk, []))
    return teams


def mean_forecast(items: list[tuple[float, bool]]) -> float:
    return sum(p for p, _ in items) / len(items)


def achieved_rate(items: list[tuple[float, bool]]) -> float:
    return sum(1 for _, outcome in items if outcome) / len(items)


def brier(items: list[tuple[float, bool]]) -> float:
    return sum((p - outcome) ** 2 for p, outcome in items) / len(items)


def test_growth_is_over_confident_and_platform_well_calibrated(demo: Any) -> None:
    for period in closed_periods(demo):
        teams = by_team(period)
        growth, platform = teams["Growth"], teams["Platform"]
        assert len(growth) >= 10 and len(platform) >= 10
        assert mean_forecast(growth) >= 0.8 and achieved_rate(growth) == 0
        assert mean_forecast(growth) - achieved_rate(growth) > 0.5
        assert abs(mean_forecast(platform) - achieved_rate(platform)) <= 0.05
        assert brier(platform) < 0.15 < 0.6 < brier(growth)


def test_every_team_forecasts_and_one_key_result_is_left_out(demo: Any) -> None:
    left = []
    for period in closed_periods(demo):
        per_key_result, left_out = forecasts(period)
        left += left_out
        assert len(per_key_result) >= 9
        for name, items in by_team(period).items():
            assert len(items) >= 10, (period.name, name)
    (only,) = left
    assert KeyResult.objects.get(pk=only).title == (
        "Standard revenue-share contract approved by legal"
    )


def test_the_organizations_brier_score_improves(demo: Any) -> None:
    scores = []
    for period in closed_periods(demo):
        per_key_result, _left_out = forecasts(period)
        scores.append(brier([item for items in per_key_result.values() for item in items]))
    earlier, previous = scores
    assert previous < earlier - 0.05


def test_the_calibration_report_tells_the_same_story(demo: Any) -> None:
    ada = demo.people["ada"]
    reports = [calibration_report(ada, period=period) for period in closed_periods(demo)]
    earlier, previous = reports
    assert [point.period for point in previous.trend] == closed_periods(demo)
    trend = [point.brier for point in previous.trend]
    assert trend[0] is not None and trend[1] is not None and trend[1] < trend[0]
    assert (earlier.left_out, previous.left_out) == (0, 1)
    for report in reports:
        verdicts = {line.team.name: line.summary.verdict for line in report.teams}
        assert verdicts["Growth"] == "over_confident"
        assert verdicts["Platform"] == "calibrated"
    assert {line.team.name: line.summary.verdict for line in previous.teams}["Product"] == (
        "calibrated"
    )
    assert {line.team.name: line.summary.verdict for line in earlier.teams}["Product"] == (
        "over_confident"
    )
