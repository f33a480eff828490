"""Dates and periods: quarters, elapsed time. Pure functions, no models."""

from __future__ import annotations

import datetime as dt


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    if quarter not in (1, 2, 3, 4):
        raise ValueError("quarter must be 1-4")
    start = dt.date(year, 3 * (quarter - 1) + 1, 1)
    if quarter == 4:
        end = dt.date(year, 12, 31)
    else:
        end = dt.date(year, 3 * quarter + 1, 1) - dt.timedelta(days=1)
    return start, end


def quarter_name(year: int, quarter: int) -> str:
    return f"{year} Q{quarter}"


def next_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def elapsed_fraction(start: dt.date, end: dt.date, today: dt.date) -> float:
    """Share of the period [start, end] (both days included) that has passed by the end of today."""
    if end < start:
        raise ValueError("end before start")
    total = (end - start).days + 1
    done = (today - start).days + 1
    return min(1.0, max(0.0, done / total))
