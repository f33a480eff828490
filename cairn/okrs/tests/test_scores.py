"""Scores: the pure rules (okrs/progress.py, property-tested) and where the pages show them.

A key result's score is its progress at the final value, clamped to [0, 1] and rounded half up
to two decimals; an objective's score is the weighted mean of the scores of the key results
the viewer may see that have one (the same viewer-scoped rule as progress roll-ups).
"""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import assume, given
from hypothesis import strategies as st

from cairn.conftest import World
from cairn.okrs import queries
from cairn.okrs import services as okr_services
from cairn.okrs.models import KeyResult, Objective
from cairn.okrs.progress import key_result_score, objective_score

values = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
scores = st.floats(min_value=0, max_value=1, allow_nan=False, allow_infinity=False)
weights = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
positive_weights = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)


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


def _towards_target(start: float, target: float, a: float, b: float) -> tuple[float, float]:
    """`a` and `b` ordered so that the second is further in the key result's direction."""
    low, high = sorted((a, b))
    return (low, high) if target > start else (high, low)


# The key result's score ---------------------------------------------------------------------


@given(st.one_of(rising(), falling()), values)
def test_a_score_is_between_zero_and_one_with_two_decimals(
    span: tuple[float, float], final: float
) -> None:
    start, target = span
    score = key_result_score(start=start, target=target, final=final)
    assert 0.0 <= score <= 1.0
    assert math.isclose(score * 100, round(score * 100), abs_tol=1e-6)


@given(st.one_of(rising(), falling()), values, values)
def test_a_score_never_falls_as_the_final_value_moves_towards_the_target(
    span: tuple[float, float], a: float, b: float
) -> None:
    start, target = span
    worse, better = _towards_target(start, target, a, b)
    assert key_result_score(start=start, target=target, final=worse) <= key_result_score(
        start=start, target=target, final=better
    )


@given(st.one_of(rising(), falling()), st.floats(min_value=0, max_value=1e6))
def test_a_key_result_at_or_beyond_its_target_scores_one(
    span: tuple[float, float], beyond: float
) -> None:
    start, target = span
    direction = 1 if target > start else -1
    assert key_result_score(start=start, target=target, final=target) == 1.0
    assert key_result_score(start=start, target=target, final=target + direction * beyond) == 1.0


@given(st.one_of(rising(), falling()), st.floats(min_value=0, max_value=1e6))
def test_a_key_result_at_or_behind_its_start_scores_zero(
    span: tuple[float, float], behind: float
) -> None:
    start, target = span
    direction = 1 if target > start else -1
    assert key_result_score(start=start, target=target, final=start) == 0.0
    assert key_result_score(start=start, target=target, final=start - direction * behind) == 0.0


def test_a_milestone_scores_one_when_done_and_zero_when_not() -> None:
    assert key_result_score(start=0, target=1, final=1) == 1.0
    assert key_result_score(start=0, target=1, final=0) == 0.0


@pytest.mark.parametrize(
    ("start", "target", "final", "expected"),
    [
        (0, 1, 0.695, 0.70),
        (0, 1000, 695, 0.70),
        (0, 1, 0.685, 0.69),
        (0, 1, 0.005, 0.01),
        (0, 1, 0.0049, 0.0),
        (100, 0, 30.5, 0.70),  # a falling metric, 69.5% of the way down
        (0, 200, 139, 0.70),
    ],
)
def test_a_score_rounds_half_up_to_two_decimals(
    start: float, target: float, final: float, expected: float
) -> None:
    assert key_result_score(start=start, target=target, final=final) == expected


def test_a_falling_metric_scores_as_it_falls() -> None:
    assert key_result_score(start=10, target=5, final=7.5) == 0.5
    assert key_result_score(start=10, target=5, final=12) == 0.0


# The objective's score ----------------------------------------------------------------------


@given(st.lists(st.tuples(scores, weights), max_size=20))
def test_an_objective_score_stays_between_zero_and_one(items: list[tuple[float, float]]) -> None:
    score = objective_score(items)
    assert score is None or 0.0 <= score <= 1.0


@given(st.lists(st.tuples(scores, positive_weights), min_size=1, max_size=20))
def test_an_objective_score_lies_between_its_lowest_and_highest_key_result_score(
    items: list[tuple[float, float]],
) -> None:
    score = objective_score(items)
    assert score is not None
    lowest = min(value for value, _ in items)
    highest = max(value for value, _ in items)
    assert lowest - 1e-9 <= score <= highest + 1e-9


@given(scores, st.lists(positive_weights, min_size=1, max_size=10))
def test_an_objective_score_is_the_key_results_score_when_they_all_agree(
    value: float, item_weights: list[float]
) -> None:
    score = objective_score((value, weight) for weight in item_weights)
    assert score == pytest.approx(value)


def test_an_objective_score_weighs_its_key_results() -> None:
    assert objective_score([(1.0, 3), (0.0, 1)]) == pytest.approx(0.75)
    assert objective_score([(0.7, 1), (0.4, 2)]) == pytest.approx(0.5)


def test_an_objective_score_is_none_without_a_scored_key_result() -> None:
    assert objective_score([]) is None
    assert objective_score([(0.8, 0), (0.3, 0)]) is None


# Pages --------------------------------------------------------------------------------------


def _kr(world: World, objective: Objective, title: str, **fields: object) -> KeyResult:
    return okr_services.create_key_result(
        actor=world.admin,
        objective=objective,
        title=title,
        start_value=0,
        target_value=10,
        **fields,  # type: ignore[arg-type]
    )


def _score(kr: KeyResult, score: str) -> None:
    # The roll-up `record_check_in` keeps (tested in checkins/tests/test_results.py); the pages
    # only read it.
    KeyResult.objects.filter(pk=kr.pk).update(score=Decimal(score))


def objective_url(world: World, objective: Objective) -> str:
    return reverse("okrs:objective", args=[world.org.slug, objective.uid])


def home_url(world: World) -> str:
    return reverse("okrs:home", args=[world.org.slug])


@pytest.fixture
def platform_objective(world: World) -> Objective:
    """A public objective of the Platform team (not the member's): a private key result in
    it is hidden from the member."""
    return okr_services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Scale the platform",
        owner_teams=[world.other_team],
    )


def test_the_objective_score_is_the_weighted_mean_of_the_scored_key_results(
    world: World, platform_objective: Objective
) -> None:
    a = _kr(world, platform_objective, "A", weight=Decimal(1))
    b = _kr(world, platform_objective, "B", weight=Decimal(3))
    _kr(world, platform_objective, "Not scored yet", weight=Decimal(5))
    _score(a, "0.20")
    _score(b, "0.60")

    krs = list(queries.visible_key_results(world.member).filter(objective=platform_objective))

    assert queries.objective_score(krs) == pytest.approx(0.5)


def test_an_objective_without_a_scored_key_result_has_no_score(
    world: World, objective: Objective, member_client: Client
) -> None:
    html = member_client.get(objective_url(world, objective)).content.decode()
    assert "data-score" not in html


def test_the_objective_page_shows_each_key_results_score_and_the_objectives(
    world: World, platform_objective: Objective, member_client: Client
) -> None:
    a = _kr(world, platform_objective, "A")
    _kr(world, platform_objective, "B")
    _score(a, "0.70")

    html = member_client.get(objective_url(world, platform_objective)).content.decode()

    # The key result's row, and the objective's head (one scored key result: the same score).
    assert html.count('data-score="0.70"') == 2
    assert "Score 0.70" in html


def test_the_objective_score_leaves_out_key_results_the_viewer_may_not_see(
    world: World,
    platform_objective: Objective,
    member_client: Client,
    admin_client: Client,
) -> None:
    public = _kr(world, platform_objective, "Public")
    private = _kr(world, platform_objective, "PRIVATE-MARKER kr", visibility="private")
    _score(public, "0.40")
    _score(private, "1.00")

    as_member = member_client.get(objective_url(world, platform_objective)).content.decode()
    as_admin = admin_client.get(objective_url(world, platform_objective)).content.decode()

    # The member's objective score is the public key result's: nothing of the private one.
    assert 'data-score="0.40"' in as_member
    assert 'data-score="1.00"' not in as_member and 'data-score="0.70"' not in as_member
    assert "PRIVATE-MARKER" not in as_member
    # The admin sees both, and the mean of both.
    assert 'data-score="0.70"' in as_admin and 'data-score="1.00"' in as_admin


def test_a_shared_objective_has_one_score_on_every_owning_teams_card(
    world: World, member_client: Client
) -> None:
    shared = okr_services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Launch Acme together",
        owner_teams=[world.team, world.other_team],
    )
    kr = _kr(world, shared, "Conversion")
    _score(kr, "0.55")

    html = member_client.get(home_url(world)).content.decode()

    # Under each owning team on the home page, the one objective score and its key result's.
    assert html.count('data-score="0.55"') == 4


def test_the_key_result_page_shows_its_score(
    world: World, objective: Objective, member_client: Client
) -> None:
    kr = objective.key_results.get()
    _score(kr, "0.35")
    html = member_client.get(reverse("checkins:key_result", args=["acme", kr.uid])).content.decode()
    assert 'data-score="0.35"' in html and "Score 0.35" in html


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _scored_objectives(world: World, n: int, prefix: str) -> Objective:
    last = None
    for i in range(n):
        last = okr_services.create_objective(
            actor=world.admin, period=world.period, title=f"{prefix} {i}", owner_teams=[world.team]
        )
        for k in range(2):
            _score(_kr(world, last, f"{prefix} {i}.{k}", owner=world.member), f"0.{k + 3}0")
    assert last is not None
    return last


def test_showing_scores_adds_no_query_per_objective_or_key_result(
    world: World, member_client: Client
) -> None:
    first = _scored_objectives(world, 2, "A")
    home_small = _queries(member_client, home_url(world))
    page_small = _queries(member_client, objective_url(world, first))
    for i in range(3):
        _score(_kr(world, first, f"More {i}", owner=world.member), "0.90")
    _scored_objectives(world, 4, "B")

    assert _queries(member_client, home_url(world)) == home_small
    assert _queries(member_client, objective_url(world, first)) == page_small
