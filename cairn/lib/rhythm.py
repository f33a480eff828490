"""The check-in rhythm: confidence bands, cadence windows, due dates and staleness.

Pure functions over dates and numbers (no Django), property-tested in lib/tests/test_rhythm.py.
Every page, e-mail and API field that says "due", "stale" or "dead" calls `staleness`.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Protocol
from zoneinfo import ZoneInfo

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
# The longest gap between two check-in days of a cadence. Monthly check-ins fall on the last
# given weekday of each month, four or five weeks apart: measured with 30 days, a team that
# checks in on every check-in day would turn stale for a few days in five-week months.
LONGEST_GAP_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 35}


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
    if (today - last).days > LONGEST_GAP_DAYS[cadence] + GRACE_DAYS:
        return Staleness.STALE
    if still_since is not None:
        return Staleness.STILL
    start, _ = window(cadence=cadence, week_start=week_start, today=today)
    if last_check_in is not None and last_check_in >= start:
        return Staleness.FRESH
    return Staleness.DUE


class KeyResultLike(Protocol):
    """What `staleness_for` reads from a key result: its check-in roll-ups."""

    @property
    def last_check_in_at(self) -> dt.datetime | None: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def next_up_due(self) -> dt.date | None: ...


class OrganizationLike(Protocol):
    """What `staleness_for` reads from an organization: its cadence and time zone."""

    @property
    def checkin_cadence(self) -> str: ...
    @property
    def week_start(self) -> int: ...
    @property
    def time_zone(self) -> str: ...


def local_date(moment: dt.datetime, time_zone: str) -> dt.date:
    """The day `moment` falls on in `time_zone` (UTC when the zone is unknown): a check-in at
    23:30 in Auckland belongs to that Auckland day, not to the UTC one."""
    if moment.tzinfo is None:
        return moment.date()
    try:
        zone = ZoneInfo(time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).date()


def staleness_for(
    key_result: KeyResultLike, organization: OrganizationLike, today: dt.date
) -> Staleness:
    """`staleness` fed from a key result's roll-up fields and its organization's cadence:
    the adapter every page, e-mail and API field uses, so that no caller does the date
    conversion differently (and none needs a query)."""
    last = key_result.last_check_in_at
    return staleness(
        today=today,
        cadence=organization.checkin_cadence,
        week_start=organization.week_start,
        last_check_in=local_date(last, organization.time_zone) if last else None,
        created=local_date(key_result.created_at, organization.time_zone),
        next_up_due=key_result.next_up_due,
    )


def checked_in_this_window(
    key_result: KeyResultLike, organization: OrganizationLike, today: dt.date
) -> bool:
    """Whether the key result has a check-in since the current cadence window started."""
    last = key_result.last_check_in_at
    if last is None:
        return False
    start, _ = window(
        cadence=organization.checkin_cadence, week_start=organization.week_start, today=today
    )
    return local_date(last, organization.time_zone) >= start
