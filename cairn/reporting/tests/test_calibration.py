"""The calibration maths (reporting/calibration.py): pure functions, property-tested."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.reporting import calibration as cal
from cairn.reporting.calibration import Forecast, Verdict

levels = st.integers(min_value=0, max_value=10)
forecasts = st.builds(Forecast.of, levels, st.booleans())
forecast_lists = st.lists(forecasts, max_size=60)


@given(st.lists(st.booleans(), min_size=1, max_size=50))
def test_a_perfect_forecaster_scores_zero(outcomes: list[bool]) -> None:
    perfect = [Forecast(probability=1.0 if o else 0.0, outcome=o) for o in outcomes]
    assert cal.brier_score(perfect) == 0.0


@given(st.lists(st.booleans(), min_size=1, max_size=50))
def test_always_saying_fifty_percent_scores_a_quarter(outcomes: list[bool]) -> None:
    assert cal.brier_score([Forecast.of(5, o) for o in outcomes]) == pytest.approx(0.25)


@given(st.lists(st.booleans(), min_size=1, max_size=50))
def test_always_certain_and_always_wrong_scores_one(outcomes: list[bool]) -> None:
    wrong = [Forecast(probability=0.0 if o else 1.0, outcome=o) for o in outcomes]
    assert cal.brier_score(wrong) == 1.0


@given(forecast_lists)
def test_the_brier_score_is_within_zero_and_one(items: list[Forecast]) -> None:
    score = cal.brier_score(items)
    if items:
        assert score is not None and 0.0 <= score <= 1.0
    else:
        assert score is None


def test_no_forecasts_give_no_score_and_not_enough_data() -> None:
    assert cal.brier_score([]) is None
    assert cal.mean_forecast([]) is None
    assert cal.observed_rate([]) is None
    summary = cal.summarize([])
    assert summary.count == 0
    assert summary.brier is None
    assert summary.verdict == Verdict.NOT_ENOUGH_DATA
    assert summary.gap is None
    assert [band.count for band in summary.bands] == [0] * len(cal.BANDS)


@given(forecast_lists)
def test_bands_cover_every_forecast_once_with_rates_in_range(items: list[Forecast]) -> None:
    bands = cal.bands(items)
    assert len(bands) == len(cal.BANDS)
    assert sum(band.count for band in bands) == len(items)
    for band in bands:
        if band.count:
            assert band.mean_forecast is not None and band.observed_rate is not None
            assert 0.0 <= band.observed_rate <= 1.0
            # The mean forecast of a band lies within the band.
            assert band.low / 10 - 1e-9 <= band.mean_forecast <= band.high / 10 + 1e-9
        else:
            assert band.mean_forecast is None and band.observed_rate is None


def test_the_bands_are_zero_to_ten_without_gaps_or_overlaps() -> None:
    covered = [level for low, high in cal.BANDS for level in range(low, high + 1)]
    assert covered == list(range(11))
    assert [cal.band_index(level) for level in (0, 2, 3, 4, 5, 6, 7, 8, 9, 10)] == [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
    ]


@given(forecast_lists)
def test_the_brier_score_does_not_depend_on_the_order(items: list[Forecast]) -> None:
    assert cal.brier_score(items) == cal.brier_score(list(reversed(items)))


@given(forecast_lists)
def test_a_forecaster_closer_to_the_outcome_never_scores_worse(items: list[Forecast]) -> None:
    closer = [
        Forecast(probability=(f.probability + float(f.outcome)) / 2, outcome=f.outcome)
        for f in items
    ]
    if items:
        assert cal.brier_score(closer) <= cal.brier_score(items) + 1e-12  # type: ignore[operator]


def test_a_team_at_eight_of_ten_that_achieves_half_is_over_confident() -> None:
    items = [Forecast.of(8, i % 2 == 0) for i in range(20)]
    assert cal.over_under(items) == Verdict.OVER_CONFIDENT


def test_a_team_at_three_of_ten_that_achieves_most_is_under_confident() -> None:
    items = [Forecast.of(3, i % 5 != 0) for i in range(20)]
    assert cal.over_under(items) == Verdict.UNDER_CONFIDENT


def test_a_gap_of_exactly_the_margin_is_still_calibrated() -> None:
    # Mean forecast 0.8, observed 0.7: exactly ten points apart.
    items = [Forecast.of(8, i < 7) for i in range(10)]
    assert cal.over_under(items) == Verdict.CALIBRATED
    items = [Forecast.of(8, i < 6) for i in range(10)]
    assert cal.over_under(items) == Verdict.OVER_CONFIDENT


def test_too_few_forecasts_say_nothing() -> None:
    items = [Forecast.of(10, False)] * (cal.MIN_FORECASTS - 1)
    assert cal.over_under(items) == Verdict.NOT_ENOUGH_DATA
    assert cal.over_under([*items, Forecast.of(10, False)]) == Verdict.OVER_CONFIDENT


@given(forecast_lists)
def test_the_verdict_follows_the_gap(items: list[Forecast]) -> None:
    summary = cal.summarize(items)
    if len(items) < cal.MIN_FORECASTS:
        assert summary.verdict == Verdict.NOT_ENOUGH_DATA
        return
    assert summary.gap is not None
    if summary.gap > cal.MARGIN + 1e-6:
        assert summary.verdict == Verdict.OVER_CONFIDENT
    elif summary.gap < -cal.MARGIN - 1e-6:
        assert summary.verdict == Verdict.UNDER_CONFIDENT
    elif abs(summary.gap) < cal.MARGIN - 1e-6:
        assert summary.verdict == Verdict.CALIBRATED


@given(forecast_lists)
def test_the_summary_agrees_with_the_functions(items: list[Forecast]) -> None:
    summary = cal.summarize(items)
    assert summary.count == len(items)
    assert summary.brier == cal.brier_score(items)
    assert summary.bands == tuple(cal.bands(items))
    if items:
        assert summary.observed_rate == pytest.approx(sum(f.outcome for f in items) / len(items))


@given(levels, st.booleans())
def test_a_confidence_level_is_a_probability_of_a_tenth_per_point(level: int, hit: bool) -> None:
    forecast = Forecast.of(level, hit)
    assert math.isclose(forecast.probability, level / 10)
    assert forecast.level == level


def test_confidence_outside_zero_to_ten_is_refused() -> None:
    with pytest.raises(ValueError):
        Forecast.of(11, True)
    with pytest.raises(ValueError):
        Forecast(probability=1.5, outcome=True)


@given(st.floats(min_value=0, max_value=1), st.floats(min_value=0.01, max_value=1))
def test_a_key_result_is_achieved_at_the_threshold_or_above(score: float, threshold: float) -> None:
    assert cal.achieved(score, threshold) == (score >= threshold)
    assert cal.achieved(threshold, threshold)


# The charts (cairn/lib/charts.py) ---------------------------------------------------------


def test_the_calibration_chart_draws_the_diagonal_and_one_circle_per_band_sized_by_count() -> None:
    from cairn.lib import charts

    chart = charts.calibration_chart(
        [
            charts.CalibrationPoint(forecast=0.2, observed=0.1, count=1, label="0-2"),
            charts.CalibrationPoint(forecast=0.8, observed=0.5, count=9, label="<7-8>"),
        ],
        uid="cal",
    )
    assert 'role="img"' in chart.svg and 'aria-labelledby="cal-title cal-desc"' in chart.svg
    assert "chart__diagonal" in chart.svg
    radii = [float(r) for r in re.findall(r'class="chart__band"[^>]* r="([\d.]+)"', chart.svg)]
    assert len(radii) == 2 and radii[0] < radii[1]
    assert "&lt;7-8&gt;" in chart.svg and "<7-8>" not in chart.svg
    assert "10 forecasts said 74% on average; 46% came true." in chart.summary


def test_an_empty_calibration_chart_says_there_is_nothing_yet() -> None:
    from cairn.lib import charts

    chart = charts.calibration_chart([])
    assert chart.summary == "No forecasts to compare with outcomes yet."
    assert "chart__band" not in chart.svg


def test_the_trend_chart_names_its_periods() -> None:
    import datetime as dt

    from cairn.lib import charts

    one = charts.brier_trend_chart(
        [(dt.date(2026, 9, 30), 0.31)], names={dt.date(2026, 9, 30): "2026 Q3"}
    )
    assert ">2026 Q3<" in one.svg
    assert "October" not in one.svg
    assert one.summary == "The Brier score was 0.31 in 2026 Q3; lower is better."
    two = charts.brier_trend_chart(
        [(dt.date(2026, 9, 30), 0.31), (dt.date(2026, 6, 30), 0.2)],
        names={dt.date(2026, 9, 30): "Q3", dt.date(2026, 6, 30): "Q2"},
    )
    assert two.summary.startswith("The Brier score went from 0.20 in Q2 to 0.31 in Q3")
