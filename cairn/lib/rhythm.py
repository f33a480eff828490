"""The check-in rhythm: confidence bands, cadence windows, due dates and staleness.

Pure functions over dates and numbers (no Django), property-tested in lib/tests/test_rhythm.py.
Every page, e-mail and API field that says "due", "stale" or "dead" calls `staleness`.
"""

from __future__ import annotations

import datetime as dt
import enum

GRACE_DAYS = 1
# Biweekly windows count from a fixed Monday so that every process agrees on them.
EPOCH = dt.date(2024, 1, 1)


class Band(enum.StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"


class Staleness(enum.StrEnum):
    FRESH = "fresh"
    DUE = "due"
    STALE = "stale"
    STILL = "still"
    DEAD = "dead"


CADENCE_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 30}


def band(level: int) -> Band:
    """Confidence 0-10 as a band: on track 7-10, at risk 4-6, off track 0-3."""
    if not 0 <= level <= 10:
        raise ValueError("confidence is 0-10")
    if level >= 7:
        return Band.ON_TRACK
    if level >= 4:
        return Band.AT_RISK
    return Band.OFF_TRACK


def cadence_days(cadence: str) -> int:
    try:
        return CADENCE_DAYS[cadence]
    except KeyError as exc:
        raise ValueError(f"unknown cadence {cadence!r}") from exc


def window(*, cadence: str, week_start: int, today: dt.date) -> tuple[dt.date, dt.date]:
    """The cadence window [start, end] that contains `today`.

    weekly: the week beginning on `week_start` (0 = Monday); biweekly: two such weeks counted
    from EPOCH; monthly: the calendar month.
    """
    if cadence == "monthly":
        start = today.replace(day=1)
        following = (start + dt.timedelta(days=32)).replace(day=1)
        return start, following - dt.timedelta(days=1)
    length = cadence_days(cadence)
    week_begin = today - dt.timedelta(days=(today.weekday() - week_start) % 7)
    if length == 14:
        anchor = EPOCH - dt.timedelta(days=(EPOCH.weekday() - week_start) % 7)
        if ((week_begin - anchor).days // 7) % 2:
            week_begin -= dt.timedelta(days=7)
    return week_begin, week_begin + dt.timedelta(days=length - 1)


def check_in_day(*, cadence: str, week_start: int, weekday: int, today: dt.date) -> dt.date:
    """The day of the current window on which check-ins are due (its `weekday`; for monthly,
    the last such weekday of the month)."""
    start, end = window(cadence=cadence, week_start=week_start, today=today)
    if cadence == "monthly":
        day = end - dt.timedelta(days=(end.weekday() - weekday) % 7)
        return day
    return start + dt.timedelta(days=(weekday - start.weekday()) % 7)


def next_check_in_day(*, cadence: str, week_start: int, weekday: int, today: dt.date) -> dt.date:
    """The next check-in day strictly after `today`: the default due date of a Next Up."""
    day = check_in_day(cadence=cadence, week_start=week_start, weekday=weekday, today=today)
    probe = today
    while day <= today:
        _, end = window(cadence=cadence, week_start=week_start, today=probe)
        probe = end + dt.timedelta(days=1)
        day = check_in_day(cadence=cadence, week_start=week_start, weekday=weekday, today=probe)
    return day


def staleness(
    *,
    today: dt.date,
    cadence: str,
    week_start: int,
    last_check_in: dt.date | None,
    created: dt.date,
    next_up_due: dt.date | None,
) -> Staleness:
    """How alive a key result is, in the order the product reads it:

    - dead: still for two cadences or more
    - stale: no check-in for more than a cadence plus a grace day
    - still: no current Next Up, or its Next Up is overdue
    - fresh: checked in within the current cadence window
    - due: otherwise (a check-in is expected this window)
    """
    length = cadence_days(cadence)
    last = last_check_in or created
    still_since: dt.date | None
    if next_up_due is None:
        still_since = last
    elif next_up_due < today:
        still_since = next_up_due
    else:
        still_since = None
    if still_since is not None and (today - still_since).days >= 2 * length:
        return Staleness.DEAD
    if (today - last).days > length + GRACE_DAYS:
        return Staleness.STALE
    if still_since is not None:
        return Staleness.STILL
    start, _ = window(cadence=cadence, week_start=week_start, today=today)
    if last_check_in is not None and last_check_in >= start:
        return Staleness.FRESH
    return Staleness.DUE
