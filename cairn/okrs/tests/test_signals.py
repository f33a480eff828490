"""Confidence, staleness and open blockers on the organization home and the team page.

The okrs app reads the key result's roll-ups (no check-in queries) and asks the one rule,
`cairn.lib.rhythm.staleness`, through `rhythm.staleness_for`. Check-ins are written straight
onto the roll-up fields here: okrs may not depend on checkins, not even in its tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.conftest import World
from cairn.lib import rhythm
from cairn.okrs import queries
from cairn.okrs import services as okr_services
from cairn.okrs.models import KeyResult, Objective

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 11, 12, 0, tzinfo=dt.UTC)  # a Wednesday
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def make_kr(
    world: World,
    objective: Objective,
    title: str,
    *,
    days_since_check_in: int | None,
    next_up_in_days: int | None = 3,
    confidence: int | None = None,
    open_blockers: int = 0,
    created_days_ago: int = 30,
) -> KeyResult:
    kr = okr_services.create_key_result(
        actor=world.admin, objective=objective, title=title, start_value=0, target_value=10
    )
    kr.created_at = NOW - dt.timedelta(days=created_days_ago)
    kr.last_check_in_at = (
        None if days_since_check_in is None else NOW - dt.timedelta(days=days_since_check_in)
    )
    kr.next_up_due = None if next_up_in_days is None else TODAY + dt.timedelta(days=next_up_in_days)
    kr.confidence = confidence
    kr.open_blockers = open_blockers
    kr.save()
    return kr


@pytest.fixture
def five(world: World) -> dict[str, KeyResult]:
    """One key result in each state, on an objective of the member's team."""
    objective = okr_services.create_objective(
        actor=world.admin, period=world.period, title="Team goal", owner_teams=[world.team]
    )
    return {
        "fresh": make_kr(world, objective, "KR-FRESH", days_since_check_in=1, confidence=8),
        "due": make_kr(world, objective, "KR-DUE", days_since_check_in=5, confidence=5),
        "stale": make_kr(world, objective, "KR-STALE", days_since_check_in=10, confidence=2),
        "still": make_kr(world, objective, "KR-STILL", days_since_check_in=1, next_up_in_days=None),
        "dead": make_kr(
            world,
            objective,
            "KR-DEAD",
            days_since_check_in=20,
            next_up_in_days=None,
            open_blockers=2,
        ),
    }


def team_url(world: World, **params: str) -> str:
    url = reverse("okrs:team", args=[world.org.slug, world.team.uid])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def home_url(world: World, **params: str) -> str:
    url = reverse("okrs:home", args=[world.org.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


# The one rule -------------------------------------------------------------------------------


def test_signals_come_from_the_one_staleness_rule(world: World, five: dict[str, KeyResult]) -> None:
    for state, kr in five.items():
        signals = queries.Signals.of(kr, world.org, TODAY)
        assert signals.staleness == state
        assert signals.staleness == rhythm.staleness(
            today=TODAY,
            cadence=world.org.checkin_cadence,
            week_start=world.org.week_start,
            last_check_in=kr.last_check_in_at.date() if kr.last_check_in_at else None,
            created=kr.created_at.date(),
            next_up_due=kr.next_up_due,
        )


def test_the_adapter_reads_the_check_in_day_in_the_organizations_time_zone() -> None:
    """Sunday 23:30 UTC is Monday in Auckland: a check-in in this week's window there."""
    kr = SimpleNamespace(
        last_check_in_at=dt.datetime(2026, 11, 8, 23, 30, tzinfo=dt.UTC),
        created_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
        next_up_due=TODAY + dt.timedelta(days=2),
    )
    utc = SimpleNamespace(checkin_cadence="weekly", week_start=0, time_zone="UTC")
    auckland = SimpleNamespace(checkin_cadence="weekly", week_start=0, time_zone="Pacific/Auckland")
    assert rhythm.staleness_for(kr, utc, TODAY) == rhythm.Staleness.DUE
    assert rhythm.staleness_for(kr, auckland, TODAY) == rhythm.Staleness.FRESH


def test_confidence_bands_and_labels(world: World, five: dict[str, KeyResult]) -> None:
    assert queries.Signals.of(five["fresh"], world.org, TODAY).band_label == "On track"
    assert queries.Signals.of(five["due"], world.org, TODAY).band_label == "At risk"
    assert queries.Signals.of(five["stale"], world.org, TODAY).band_label == "Off track"
    assert queries.Signals.of(five["still"], world.org, TODAY).band is None


# The pages ----------------------------------------------------------------------------------


def test_the_team_page_shows_each_key_results_confidence_staleness_and_blockers(
    world: World, five: dict[str, KeyResult], member_client: Client
) -> None:
    html = member_client.get(team_url(world)).content.decode()
    for title in ("KR-FRESH", "KR-DUE", "KR-STALE", "KR-STILL", "KR-DEAD"):
        assert title in html
    for word in ("Fresh", "Due", "Stale", "Still", "Dead"):
        assert f">{word}</span>" in html
    assert "confidence--on_track" in html and "confidence--off_track" in html
    assert "2 open blockers" in html


def test_the_team_page_counts_key_results_per_staleness_state(
    world: World, five: dict[str, KeyResult], member_client: Client
) -> None:
    html = member_client.get(team_url(world)).content.decode()
    for state in ("fresh", "due", "stale", "still", "dead"):
        assert f'data-staleness="{state}">1</span>' in html


@pytest.mark.parametrize("state", ["fresh", "due", "stale", "still", "dead"])
def test_the_team_page_filters_by_staleness(
    world: World, five: dict[str, KeyResult], member_client: Client, state: str
) -> None:
    html = member_client.get(team_url(world, staleness=state)).content.decode()
    assert f"KR-{state.upper()}" in html
    others = {"fresh", "due", "stale", "still", "dead"} - {state}
    assert not any(f"KR-{other.upper()}" in html for other in others)
    # The counts stay those of the whole team.
    assert 'data-staleness="dead">1</span>' in html


def test_an_unknown_staleness_filter_shows_everything(
    world: World, five: dict[str, KeyResult], member_client: Client
) -> None:
    html = member_client.get(team_url(world, staleness="nonsense")).content.decode()
    assert "KR-FRESH" in html and "KR-DEAD" in html


def test_the_home_page_shows_signals_counts_and_filters(
    world: World, five: dict[str, KeyResult], member_client: Client
) -> None:
    html = member_client.get(home_url(world)).content.decode()
    assert "KR-STALE" in html and "2 open blockers" in html
    assert 'data-staleness="stale">1</span>' in html
    filtered = member_client.get(home_url(world, staleness="dead")).content.decode()
    assert "KR-DEAD" in filtered and "KR-FRESH" not in filtered
    empty_state = member_client.get(
        home_url(world, staleness="dead", period=str(world.period.uid)),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "<html" not in empty_state and "KR-DEAD" in empty_state


def test_a_filter_with_nothing_in_it_says_so(world: World, member_client: Client) -> None:
    objective = okr_services.create_objective(
        actor=world.admin, period=world.period, title="Team goal", owner_teams=[world.team]
    )
    make_kr(world, objective, "KR-FRESH", days_since_check_in=1)
    html = member_client.get(home_url(world, staleness="dead")).content.decode()
    assert "No key result in this period is in that state." in html


def test_private_key_results_are_neither_listed_nor_counted(
    world: World, private_objective: Objective, member_client: Client
) -> None:
    public = okr_services.create_objective(
        actor=world.admin, period=world.period, title="Team goal", owner_teams=[world.team]
    )
    make_kr(world, public, "KR-FRESH", days_since_check_in=1)
    make_kr(world, private_objective, "PRIVATE-MARKER kr", days_since_check_in=20, open_blockers=1)
    html = member_client.get(home_url(world)).content.decode()
    assert "PRIVATE-MARKER" not in html and "open blocker" not in html
    assert 'data-staleness="fresh">1</span>' in html
    assert 'data-staleness="stale">0</span>' in html
    admin_client = Client()
    admin_client.force_login(world.admin.user)
    assert 'data-staleness="stale">1</span>' in admin_client.get(home_url(world)).content.decode()
    other = reverse("okrs:team", args=[world.org.slug, world.other_team.uid])
    html = member_client.get(other + "?staleness=dead").content.decode()
    assert "PRIVATE-MARKER" not in html
    assert 'data-staleness="dead">0</span>' in html


def test_the_team_page_uses_a_constant_number_of_queries(
    world: World, member_client: Client
) -> None:
    objective = okr_services.create_objective(
        actor=world.admin, period=world.period, title="Team goal", owner_teams=[world.team]
    )

    def add(n: int) -> None:
        for i in range(n):
            make_kr(world, objective, f"KR {i}", days_since_check_in=i, open_blockers=i % 2)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert member_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    add(2)
    small_team, small_home = count(team_url(world)), count(home_url(world))
    add(6)
    assert count(team_url(world)) == small_team
    assert count(home_url(world)) == small_home
