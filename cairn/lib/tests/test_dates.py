"""Quarters and elapsed time (lib/dates.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.lib.dates import (
    elapsed_fraction,
    next_quarter,
    previous_quarter,
    quarter_bounds,
    quarter_name,
    quarter_of,
)

years = st.integers(min_value=2, max_value=9998)
quarter_numbers = st.integers(min_value=1, max_value=4)
days = st.dates(min_value=dt.date(2, 1, 1), max_value=dt.date(9998, 12, 31))


@given(days)
def test_a_day_lies_within_the_bounds_of_its_quarter(day: dt.date) -> None:
    start, end = quarter_bounds(*quarter_of(day))
    assert start <= day <= end


@given(years, quarter_numbers)
def test_quarters_tile_the_calendar_without_gaps(year: int, quarter: int) -> None:
    _, end = quarter_bounds(year, quarter)
    next_start, _ = quarter_bounds(*next_quarter(year, quarter))
    assert next_start == end + dt.timedelta(days=1)


@given(years, quarter_numbers)
def test_a_quarter_starts_on_the_first_and_is_about_three_months_long(
    year: int, quarter: int
) -> None:
    start, end = quarter_bounds(year, quarter)
    assert start.day == 1
    assert 90 <= (end - start).days + 1 <= 92
    assert quarter_of(start) == quarter_of(end) == (year, quarter)


@given(years, quarter_numbers)
def test_next_and_previous_quarter_undo_each_other(year: int, quarter: int) -> None:
    assert previous_quarter(*next_quarter(year, quarter)) == (year, quarter)
    assert next_quarter(*previous_quarter(year, quarter)) == (year, quarter)


def test_the_quarter_after_q4_is_q1_of_the_next_year() -> None:
    assert next_quarter(2026, 4) == (2027, 1)
    assert previous_quarter(2027, 1) == (2026, 4)
    assert quarter_bounds(2026, 4) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert quarter_name(2026, 4) == "2026 Q4"


@pytest.mark.parametrize("quarter", [0, 5, -1])
def test_it_rejects_a_quarter_outside_one_to_four(quarter: int) -> None:
    with pytest.raises(ValueError, match="quarter"):
        quarter_bounds(2026, quarter)


@given(days, st.integers(min_value=0, max_value=800), days)
def test_elapsed_fraction_stays_between_zero_and_one(
    start: dt.date, length: int, today: dt.date
) -> None:
    end = start + dt.timedelta(days=length)
    assert 0 <= elapsed_fraction(start, end, today) <= 1


def test_elapsed_fraction_counts_whole_days_including_today() -> None:
    start, end = dt.date(2026, 1, 1), dt.date(2026, 1, 4)
    assert elapsed_fraction(start, end, dt.date(2025, 12, 31)) == 0
    assert elapsed_fraction(start, end, start) == 0.25
    assert elapsed_fraction(start, end, end) == 1
    assert elapsed_fraction(start, end, dt.date(2026, 2, 1)) == 1


def test_elapsed_fraction_rejects_an_end_before_the_start() -> None:
    with pytest.raises(ValueError, match="end before start"):
        elapsed_fraction(dt.date(2026, 2, 1), dt.date(2026, 1, 1), dt.date(2026, 1, 15))
