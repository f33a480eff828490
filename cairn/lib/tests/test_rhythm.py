"""The check-in rhythm (lib/rhythm.py): bands, cadence windows, due dates and staleness."""

from __future__ import annotations

import calendar
import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine
from hypothesis import assume, given
from hypothesis import strategies as st

from cairn.lib.rhythm import (
    Band,
    Staleness,
    band,
    cadence_days,
    check_in_day,
    next_check_in_day,
    staleness,
    window,
)

days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
weekdays = st.integers(min_value=0, max_value=6)
cadences = st.sampled_from(["weekly", "biweekly", "monthly"])
weekly_cadences = st.sampled_from(["weekly", "biweekly"])
ONE_DAY = dt.timedelta(days=1)


# Bands ------------------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=10))
def test_every_confidence_has_the_band_of_its_range(level: int) -> None:
    expected = Band.OFF_TRACK if level <= 3 else Band.AT_RISK if level <= 6 else Band.ON_TRACK
    assert band(level) == expected


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (0, Band.OFF_TRACK),
        (3, Band.OFF_TRACK),
        (4, Band.AT_RISK),
        (6, Band.AT_RISK),
        (7, Band.ON_TRACK),
        (10, Band.ON_TRACK),
    ],
)
def test_band_boundaries(level: int, expected: Band) -> None:
    assert band(level) == expected


@given(st.one_of(st.integers(max_value=-1), st.integers(min_value=11)))
def test_it_rejects_a_confidence_outside_0_to_10(level: int) -> None:
    with pytest.raises(ValueError):
        band(level)


def test_it_rejects_an_unknown_cadence() -> None:
    with pytest.raises(ValueError):
        cadence_days("daily")
    with pytest.raises(ValueError):
        window(cadence="daily", week_start=0, today=dt.date(2026, 5, 14))


# Windows ----------------------------------------------------------------------------------


@given(cadences, weekdays, days)
def test_the_window_contains_today(cadence: str, week_start: int, today: dt.date) -> None:
    start, end = window(cadence=cadence, week_start=week_start, today=today)
    assert start <= today <= end


@given(weekly_cadences, weekdays, days)
def test_weekly_windows_have_the_cadences_length_and_start_on_the_week_start(
    cadence: str, week_start: int, today: dt.date
) -> None:
    start, end = window(cadence=cadence, week_start=week_start, today=today)
    assert (end - start).days + 1 == cadence_days(cadence)
    assert start.weekday() == week_start


@given(weekdays, days)
def test_a_monthly_window_is_the_calendar_month(week_start: int, today: dt.date) -> None:
    start, end = window(cadence="monthly", week_start=week_start, today=today)
    assert start == today.replace(day=1)
    assert end == today.replace(day=calendar.monthrange(today.year, today.month)[1])


@given(cadences, weekdays, days)
def test_consecutive_windows_tile_without_gaps_or_overlaps(
    cadence: str, week_start: int, today: dt.date
) -> None:
    start, end = window(cadence=cadence, week_start=week_start, today=today)
    following = window(cadence=cadence, week_start=week_start, today=end + ONE_DAY)
    preceding = window(cadence=cadence, week_start=week_start, today=start - ONE_DAY)
    assert following[0] == end + ONE_DAY
    assert preceding[1] == start - ONE_DAY


@given(weekdays, days, st.integers(min_value=0, max_value=13))
def test_every_day_of_a_biweekly_window_agrees_on_it(
    week_start: int, today: dt.date, shift: int
) -> None:
    start, end = window(cadence="biweekly", week_start=week_start, today=today)
    other = start + dt.timedelta(days=shift)
    assert window(cadence="biweekly", week_start=week_start, today=other) == (start, end)


# Check-in days ----------------------------------------------------------------------------


@given(cadences, weekdays, weekdays, days)
def test_the_check_in_day_lies_in_the_window_on_the_weekday(
    cadence: str, week_start: int, weekday: int, today: dt.date
) -> None:
    day = check_in_day(cadence=cadence, week_start=week_start, weekday=weekday, today=today)
    start, end = window(cadence=cadence, week_start=week_start, today=today)
    assert start <= day <= end
    assert day.weekday() == weekday


@given(weekdays, days)
def test_the_monthly_check_in_day_is_the_last_such_weekday(weekday: int, today: dt.date) -> None:
    day = check_in_day(cadence="monthly", week_start=0, weekday=weekday, today=today)
    assert (day + dt.timedelta(days=7)).month != day.month


@given(cadences, weekdays, weekdays, days)
def test_the_next_check_in_day_is_after_today_and_within_a_cadence(
    cadence: str, week_start: int, weekday: int, today: dt.date
) -> None:
    day = next_check_in_day(cadence=cadence, week_start=week_start, weekday=weekday, today=today)
    assert day > today
    assert day.weekday() == weekday
    limit = cadence_days(cadence) + (7 if cadence == "monthly" else 0)
    assert (day - today).days <= limit


def test_a_next_up_written_on_the_check_in_day_is_due_a_week_later() -> None:
    friday = dt.date(2026, 5, 15)
    assert next_check_in_day(cadence="weekly", week_start=0, weekday=4, today=friday) == (
        dt.date(2026, 5, 22)
    )
    thursday = dt.date(2026, 5, 14)
    assert next_check_in_day(cadence="weekly", week_start=0, weekday=4, today=thursday) == friday


# Staleness --------------------------------------------------------------------------------


def state(
    today: dt.date,
    *,
    last: dt.date | None,
    due: dt.date | None,
    cadence: str = "weekly",
    created: dt.date | None = None,
) -> Staleness:
    return staleness(
        today=today,
        cadence=cadence,
        week_start=0,
        last_check_in=last,
        created=created or (last or today) - dt.timedelta(days=60),
        next_up_due=due,
    )


THURSDAY = dt.date(2026, 5, 14)  # week of Monday 11 May


def test_fresh_after_a_check_in_this_window_with_a_future_next_up() -> None:
    assert state(THURSDAY, last=THURSDAY - 2 * ONE_DAY, due=THURSDAY + ONE_DAY) == "fresh"
    # A Next Up due today is not overdue yet.
    assert state(THURSDAY, last=THURSDAY - 2 * ONE_DAY, due=THURSDAY) == "fresh"


def test_due_when_not_yet_checked_in_this_window() -> None:
    last_friday = dt.date(2026, 5, 8)
    assert state(THURSDAY, last=last_friday, due=THURSDAY + ONE_DAY) == "due"
    assert state(THURSDAY, last=None, due=THURSDAY + ONE_DAY, created=THURSDAY) == "due"


def test_stale_after_a_cadence_plus_a_grace_day_without_a_check_in() -> None:
    due = THURSDAY + ONE_DAY
    assert state(THURSDAY, last=THURSDAY - 8 * ONE_DAY, due=due) == "due"
    assert state(THURSDAY, last=THURSDAY - 9 * ONE_DAY, due=due) == "stale"


def test_still_without_a_next_up_or_with_an_overdue_one() -> None:
    last = THURSDAY - 2 * ONE_DAY
    assert state(THURSDAY, last=last, due=None) == "still"
    assert state(THURSDAY, last=last, due=THURSDAY - ONE_DAY) == "still"


def test_dead_after_two_cadences_still() -> None:
    assert state(THURSDAY, last=THURSDAY - 13 * ONE_DAY, due=None) == "stale"
    assert state(THURSDAY, last=THURSDAY - 14 * ONE_DAY, due=None) == "dead"
    # Checked in recently, but the Next Up is two weeks overdue.
    assert state(THURSDAY, last=THURSDAY - ONE_DAY, due=THURSDAY - 14 * ONE_DAY) == "dead"
    assert state(THURSDAY, last=THURSDAY - ONE_DAY, due=THURSDAY - 13 * ONE_DAY) == "still"


@pytest.mark.parametrize(
    ("cadence", "stale_after", "dead_after"),
    [("weekly", 8, 14), ("biweekly", 15, 28), ("monthly", 36, 60)],
)
def test_each_cadence_has_its_own_thresholds(
    cadence: str, stale_after: int, dead_after: int
) -> None:
    today = THURSDAY
    far_due = today + ONE_DAY
    last_ok = today - dt.timedelta(days=stale_after)
    assert state(today, last=last_ok, due=far_due, cadence=cadence) in {"due", "fresh"}
    assert state(today, last=last_ok - ONE_DAY, due=far_due, cadence=cadence) == "stale"
    overdue = today - dt.timedelta(days=dead_after)
    assert state(today, last=today, due=overdue + ONE_DAY, cadence=cadence) == "still"
    assert state(today, last=today, due=overdue, cadence=cadence) == "dead"


@given(weekdays, st.dates(min_value=dt.date(2001, 1, 1), max_value=dt.date(2099, 1, 1)))
def test_checking_in_on_every_monthly_check_in_day_never_goes_stale(
    weekday: int, start: dt.date
) -> None:
    """Regression: monthly check-in days are four or five weeks apart; a team that checks in
    on each of them, always with a Next Up due on the next one, is never stale."""
    day = check_in_day(cadence="monthly", week_start=0, weekday=weekday, today=start)
    following = next_check_in_day(cadence="monthly", week_start=0, weekday=weekday, today=day)
    probe = day
    while probe < following:
        result = staleness(
            today=probe,
            cadence="monthly",
            week_start=0,
            last_check_in=day,
            created=day - dt.timedelta(days=90),
            next_up_due=following,
        )
        assert result in {Staleness.FRESH, Staleness.DUE}, (day, probe)
        probe += ONE_DAY


@given(
    cadences,
    weekdays,
    days,
    st.integers(min_value=0, max_value=120),
    st.one_of(st.none(), st.integers(min_value=-120, max_value=60)),
)
def test_staleness_follows_its_definition(
    cadence: str, week_start: int, today: dt.date, since: int, due_in: int | None
) -> None:
    last = today - dt.timedelta(days=since)
    due = None if due_in is None else today + dt.timedelta(days=due_in)
    assume(due is None or due >= last)
    result = staleness(
        today=today,
        cadence=cadence,
        week_start=week_start,
        last_check_in=last,
        created=last,
        next_up_due=due,
    )
    length = cadence_days(cadence)
    still_since = last if due is None else (due if due < today else None)
    if still_since is not None and (today - still_since).days >= 2 * length:
        assert result == Staleness.DEAD
    elif result == Staleness.FRESH:
        assert last >= window(cadence=cadence, week_start=week_start, today=today)[0]
        assert still_since is None
    elif result == Staleness.DUE:
        assert still_since is None and since <= 36
    elif result == Staleness.STILL:
        assert still_since is not None
    else:
        assert result == Staleness.STALE and since > length + 1


# Time zones: the organization's day, not the server's ------------------------------------


def org(time_zone: str) -> SimpleNamespace:
    return SimpleNamespace(time_zone=time_zone)


@pytest.mark.parametrize(
    ("moment", "auckland", "los_angeles"),
    [
        # 11:30 UTC on Thursday is 23:30 Thursday in Auckland (NZST, +12), 04:30 in LA.
        ("2026-05-14 11:30Z", dt.date(2026, 5, 14), dt.date(2026, 5, 14)),
        # 12:30 UTC: Friday has begun in Auckland, LA is still on Thursday.
        ("2026-05-14 12:30Z", dt.date(2026, 5, 15), dt.date(2026, 5, 14)),
        # Just after midnight UTC: Auckland is at Friday noon, LA at Thursday afternoon.
        ("2026-05-15 00:05Z", dt.date(2026, 5, 15), dt.date(2026, 5, 14)),
        # 07:30 UTC on Friday: 19:30 Friday in Auckland, 00:30 Friday in Los Angeles.
        ("2026-05-15 07:30Z", dt.date(2026, 5, 15), dt.date(2026, 5, 15)),
    ],
)
def test_the_organizations_today_follows_its_time_zone(
    moment: str, auckland: dt.date, los_angeles: dt.date
) -> None:
    from cairn.checkins.services import org_today

    with time_machine.travel(moment, tick=False):
        assert org_today(org("Pacific/Auckland")) == auckland  # type: ignore[arg-type]
        assert org_today(org("America/Los_Angeles")) == los_angeles  # type: ignore[arg-type]
        assert org_today(org("Not/AZone")) == dt.date.fromisoformat(moment[:10])  # type: ignore[arg-type]


def test_around_midnight_utc_the_same_check_in_is_fresh_in_one_zone_and_due_in_another() -> None:
    """A weekly organization checks in on Fridays with weeks starting Monday. At 12:30 UTC
    on Sunday 17 May, Auckland has reached Monday 18 (a new window), Los Angeles has not."""
    from cairn.checkins.services import org_today

    checked_in = dt.date(2026, 5, 15)
    with time_machine.travel("2026-05-17 12:30Z", tick=False):
        results = {}
        for zone in ("Pacific/Auckland", "America/Los_Angeles"):
            today = org_today(org(zone))  # type: ignore[arg-type]
            results[zone] = staleness(
                today=today,
                cadence="weekly",
                week_start=0,
                last_check_in=checked_in,
                created=checked_in - dt.timedelta(days=30),
                next_up_due=dt.date(2026, 5, 22),
            )
    assert results == {"Pacific/Auckland": "due", "America/Los_Angeles": "fresh"}


def test_the_default_due_date_is_the_next_check_in_day_of_the_organizations_today() -> None:
    from cairn.checkins.services import default_next_up_due

    def organization(zone: str) -> SimpleNamespace:
        return SimpleNamespace(
            time_zone=zone, checkin_cadence="weekly", week_start=0, checkin_weekday=4
        )

    # 12:30 UTC on Thursday 14 May: Friday 15 in Auckland (the check-in day itself, so the
    # next one is a week later), Thursday 14 in Los Angeles (so tomorrow).
    with time_machine.travel("2026-05-14 12:30Z", tick=False):
        assert default_next_up_due(organization("Pacific/Auckland")) == dt.date(2026, 5, 22)  # type: ignore[arg-type]
        assert default_next_up_due(organization("America/Los_Angeles")) == dt.date(2026, 5, 15)  # type: ignore[arg-type]
