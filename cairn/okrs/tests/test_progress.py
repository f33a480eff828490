"""Property tests of the progress maths (okrs/progress.py): pure functions, no database."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cairn.okrs.progress import (
    PACE_TOLERANCE,
    Pace,
    clamp_unit,
    expected_progress,
    key_result_progress,
    objective_progress,
    pace,
)

values = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
weights = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
progresses = st.floats(min_value=-10, max_value=10, allow_nan=False, allow_infinity=False)
days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))


@st.composite
def rising(draw: st.DrawFn) -> tuple[float, float]:
    start = draw(values)
    target = draw(values)
    assume(target - start > 1e-6)
    return start, target


@st.composite
def falling(draw: st.DrawFn) -> tuple[float, float]:
    start, target = draw(rising())
    return target, start


@st.composite
def periods(draw: st.DrawFn) -> tuple[dt.date, dt.date]:
    start = draw(days)
    length = draw(st.integers(min_value=0, max_value=400))
    return start, start + dt.timedelta(days=length)


# Key result progress ------------------------------------------------------------------------


@given(st.one_of(rising(), falling()))
def test_a_key_result_is_at_zero_on_its_start_and_at_one_on_its_target(
    span: tuple[float, float],
) -> None:
    start, target = span
    assert key_result_progress(start=start, target=target, current=start) == 0
    assert key_result_progress(start=start, target=target, current=target) == pytest.approx(1)


@given(rising(), values, values)
def test_a_rising_metric_progresses_as_it_rises(
    span: tuple[float, float], a: float, b: float
) -> None:
    start, target = span
    low, high = sorted((a, b))
    assert key_result_progress(start=start, target=target, current=low) <= key_result_progress(
        start=start, target=target, current=high
    )


@given(falling(), values, values)
def test_a_decreasing_metric_progresses_as_it_falls(
    span: tuple[float, float], a: float, b: float
) -> None:
    start, target = span
    low, high = sorted((a, b))
    assert key_result_progress(start=start, target=target, current=high) <= key_result_progress(
        start=start, target=target, current=low
    )


def test_a_decreasing_metric_halfway_down_is_half_done() -> None:
    assert key_result_progress(start=20, target=5, current=12.5) == pytest.approx(0.5)
    assert key_result_progress(start=20, target=5, current=25) == 0


@given(st.one_of(rising(), falling()), st.floats(min_value=1e-3, max_value=10))
def test_overachievement_shows_beyond_one(span: tuple[float, float], beyond: float) -> None:
    start, target = span
    current = target + (target - start) * beyond
    assert key_result_progress(start=start, target=target, current=current) > 1


@given(st.one_of(rising(), falling()), values)
def test_key_result_progress_is_never_negative(span: tuple[float, float], current: float) -> None:
    start, target = span
    assert key_result_progress(start=start, target=target, current=current) >= 0


@given(values, values)
def test_it_rejects_a_target_equal_to_start(start: float, current: float) -> None:
    with pytest.raises(ValueError, match="differ"):
        key_result_progress(start=start, target=start, current=current)


# Objective progress -------------------------------------------------------------------------

weighted_items = st.lists(st.tuples(progresses, weights), min_size=1, max_size=8)


@given(weighted_items)
def test_objective_progress_stays_between_zero_and_one(items: list[tuple[float, float]]) -> None:
    result = objective_progress(items)
    if sum(weight for _, weight in items) == 0:
        assert result is None
    else:
        assert result is not None
        assert 0 <= result <= 1


@given(st.floats(min_value=0, max_value=1), st.lists(weights, min_size=1, max_size=8))
def test_objective_progress_equals_the_value_when_all_key_results_agree(
    value: float, item_weights: list[float]
) -> None:
    assume(sum(item_weights) > 0)
    result = objective_progress((value, weight) for weight in item_weights)
    assert result == pytest.approx(value)


@given(weighted_items)
def test_objective_progress_is_the_weighted_mean_of_clamped_values(
    items: list[tuple[float, float]],
) -> None:
    total = sum(weight for _, weight in items)
    assume(total > 0)
    expected = sum(clamp_unit(value) * weight for value, weight in items) / total
    assert objective_progress(items) == pytest.approx(expected)


def test_objective_progress_weighs_key_results() -> None:
    assert objective_progress([(1.0, 3), (0.0, 1)]) == pytest.approx(0.75)


@given(st.lists(progresses, min_size=1, max_size=8))
def test_objective_progress_is_none_when_every_weight_is_zero(items: list[float]) -> None:
    assert objective_progress((value, 0.0) for value in items) is None


def test_objective_progress_is_none_without_key_results() -> None:
    assert objective_progress([]) is None


@given(weighted_items, st.floats(max_value=-1e-9, min_value=-1e6))
def test_objective_progress_rejects_a_negative_weight(
    items: list[tuple[float, float]], negative: float
) -> None:
    with pytest.raises(ValueError, match="negative"):
        objective_progress([*items, (0.5, negative)])


@given(st.floats(min_value=1, max_value=1e6), st.floats(min_value=0, max_value=1), weights)
def test_one_overachieving_key_result_cannot_lift_an_objective_beyond_one(
    big: float, other: float, weight: float
) -> None:
    result = objective_progress([(big, 1.0), (other, weight)])
    assert result is not None
    assert result <= 1
    # ...nor hide the one that lags behind (beyond float rounding)
    if weight >= 0.01 and other <= 0.99:
        assert result < 1


# Expected progress and pace -----------------------------------------------------------------


@given(periods(), st.integers(min_value=1, max_value=1000))
def test_nothing_is_expected_before_the_period_starts(
    period: tuple[dt.date, dt.date], before: int
) -> None:
    start, end = period
    today = start - dt.timedelta(days=before)
    assert expected_progress(start=start, end=end, today=today) == 0


@given(periods(), st.integers(min_value=0, max_value=1000))
def test_everything_is_expected_once_the_period_has_ended(
    period: tuple[dt.date, dt.date], after: int
) -> None:
    start, end = period
    today = end + dt.timedelta(days=after)
    assert expected_progress(start=start, end=end, today=today) == 1


@given(periods(), days, days)
def test_expected_progress_grows_with_time(
    period: tuple[dt.date, dt.date], a: dt.date, b: dt.date
) -> None:
    start, end = period
    earlier, later = sorted((a, b))
    first = expected_progress(start=start, end=end, today=earlier)
    second = expected_progress(start=start, end=end, today=later)
    assert 0 <= first <= second <= 1


def test_expected_progress_is_half_way_in_the_middle_of_the_period() -> None:
    start, end = dt.date(2026, 1, 1), dt.date(2026, 1, 10)
    assert expected_progress(start=start, end=end, today=dt.date(2026, 1, 5)) == pytest.approx(0.5)


def test_pace_bands() -> None:
    assert pace(progress=0.8, expected=0.5) is Pace.AHEAD
    assert pace(progress=0.5, expected=0.5) is Pace.ON_PACE
    assert pace(progress=0.45, expected=0.5) is Pace.ON_PACE
    assert pace(progress=0.2, expected=0.5) is Pace.BEHIND
    # A gap of exactly the tolerance is ahead, as written (not as floats subtract).
    assert pace(progress=1.0, expected=0.9) is Pace.AHEAD
    assert pace(progress=0.6, expected=0.5) is Pace.AHEAD
    assert pace(progress=0, expected=0) is Pace.NOT_STARTED
    assert pace(progress=0.1, expected=0) is Pace.AHEAD


@given(st.floats(min_value=0, max_value=1), st.floats(min_value=0.001, max_value=1))
def test_pace_follows_the_gap_between_progress_and_expected(
    progress: float, expected: float
) -> None:
    result = pace(progress=progress, expected=expected)
    gap = progress - expected
    # On the band's edge (1.0 against 0.9) the float subtraction and the sum the rule adds
    # may round to either side: the edge itself is pinned by the examples above.
    assume(abs(abs(gap) - PACE_TOLERANCE) > 1e-9)
    if gap >= PACE_TOLERANCE:
        assert result is Pace.AHEAD
    elif gap < -PACE_TOLERANCE:
        assert result is Pace.BEHIND
    else:
        assert result is Pace.ON_PACE


@given(progresses, st.floats(min_value=0.001, max_value=1), progresses)
def test_more_progress_never_means_a_worse_pace(a: float, expected: float, b: float) -> None:
    order = [Pace.BEHIND, Pace.ON_PACE, Pace.AHEAD]
    low, high = sorted((a, b))
    assert order.index(pace(progress=low, expected=expected)) <= order.index(
        pace(progress=high, expected=expected)
    )


@given(st.floats(min_value=1, max_value=100))
def test_overachievement_cannot_be_ahead_once_the_period_is_over(progress: float) -> None:
    assert pace(progress=progress, expected=1.0) is Pace.ON_PACE
