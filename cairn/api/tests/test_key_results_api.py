"""The key results API (`/api/v1/key-results`): the four people, every error code, filters on
staleness and confidence band, pagination and incremental sync, constant query counts."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cairn.api.routers.objectives import _staleness_q
from cairn.api.tests.test_objectives_api import Caller, assert_error, ids, viewers
from cairn.checkins import services as checkins
from cairn.conftest import World
from cairn.lib import rhythm
from cairn.okrs import services
from cairn.okrs.models import KeyResult, Objective
from cairn.okrs.queries import staleness_for
from cairn.orgs.models import HistoryEvent, Member

pytestmark = pytest.mark.django_db


def call(member: Member) -> Caller:
    return Caller(member)


@pytest.fixture
def platform_objective(world: World) -> Objective:
    """A public objective of the Platform team: the member may read it, not change it."""
    return services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Scale the platform",
        owner_teams=[world.other_team],
    )


@pytest.fixture
def hidden_key_result(world: World, platform_objective: Objective) -> KeyResult:
    """A private key result the member and the viewer may not see."""
    return services.create_key_result(
        actor=world.admin,
        objective=platform_objective,
        title="PRIVATE-MARKER secret result",
        target_value=10,
        owner=world.admin,
        visibility="private",
    )


def events(key_result_uid: Any, action: str) -> int:
    return HistoryEvent.objects.filter(
        target_kind="key_result", target_uid=key_result_uid, action=action
    ).count()


# Reading ------------------------------------------------------------------------------------


def test_a_private_key_result_is_absent_from_lists_and_a_404_for_a_member(
    world: World, key_result: KeyResult, hidden_key_result: KeyResult
) -> None:
    member = call(world.member)
    response = member.get("/key-results")
    assert ids(response) == [str(key_result.uid)]
    assert b"PRIVATE-MARKER" not in response.content
    assert_error(member.get(f"/key-results/{hidden_key_result.uid}"), 404)


def test_the_admin_sees_every_key_result_and_a_viewer_the_public_ones(
    world: World, key_result: KeyResult, hidden_key_result: KeyResult
) -> None:
    assert set(ids(call(world.admin).get("/key-results"))) == {
        str(key_result.uid),
        str(hidden_key_result.uid),
    }
    viewer = call(world.viewer)
    assert ids(viewer.get("/key-results")) == [str(key_result.uid)]
    assert viewer.get(f"/key-results/{key_result.uid}").status_code == 200
    assert_error(viewer.get(f"/key-results/{hidden_key_result.uid}"), 404)


def test_an_outsider_gets_nothing_and_a_404(world: World, key_result: KeyResult) -> None:
    outsider = call(world.outsider)
    assert ids(outsider.get("/key-results")) == []
    assert_error(outsider.get(f"/key-results/{key_result.uid}"), 404)


def test_a_key_result_reads_in_the_products_words(
    world: World, objective: Objective, key_result: KeyResult
) -> None:
    due = world.org.today() + dt.timedelta(days=3)
    checkins.record_check_in(
        key_result=key_result,
        author=world.member,
        progress=checkins.Progress(value=125_000),
        confidence=checkins.Confidence(level=5),
        next_up=checkins.NextUp(plan="Ship the referral flow", due=due),
    )
    body = call(world.member).get(f"/key-results/{key_result.uid}").json()
    assert body["id"] == str(key_result.uid)
    assert body["objective"] == {"id": str(objective.uid), "title": objective.title}
    assert body["kind"] == "metric"
    assert (body["start"], body["target"], body["unit"]) == (0, 500_000, "DAU")
    assert body["direction"] == "up"
    assert body["owner"]["id"] == str(world.member.uid)
    assert body["visibility"] == "public"
    assert body["current_value"] == 125_000
    assert body["progress"] == pytest.approx(0.25)
    assert body["confidence"] == 5
    assert body["confidence_band"] == "at_risk"
    assert body["next_up"] == {"plan": "Ship the referral flow", "due": due.isoformat()}
    assert body["staleness"] == "fresh"
    assert body["can_edit"] is True
    assert body["updated_at"]


# Creating -----------------------------------------------------------------------------------


def test_a_member_adds_a_key_result_to_their_teams_objective_through_the_service(
    world: World, objective: Objective
) -> None:
    response = call(world.member).post(
        "/key-results",
        {
            "objective": str(objective.uid),
            "title": "Cut churn",
            "start": 8,
            "target": 4.5,
            "unit": "%",
            "context": {"why": "Churn eats growth", "baseline": "8 %"},
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["start"], body["target"], body["direction"]) == (8, 4.5, "down")
    assert body["context"]["why"] == "Churn eats growth"
    created = KeyResult.objects.get(uid=body["id"])
    assert created.target_value == Decimal("4.5")
    assert created.created_by == world.member
    assert events(created.uid, "created") == 1


def test_a_milestone_needs_neither_start_nor_target(world: World, objective: Objective) -> None:
    response = call(world.member).post(
        "/key-results",
        {"objective": str(objective.uid), "title": "Launch", "kind": "milestone"},
    )
    assert response.status_code == 201, response.content
    assert (response.json()["start"], response.json()["target"]) == (0, 1)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"target": None}, "target"),
        ({"start": None}, "start"),
        ({"target": 0}, "target"),
        ({"kind": "percentage", "target": 150}, "target"),
        ({"direction": "down"}, "direction"),
        ({"weight": -1}, "weight"),
        ({"kind": "guess"}, "kind"),
        ({"title": " "}, "title"),
        ({"unit": "x" * 31}, "unit"),
        ({"target": "1e40"}, "target"),
        ({"owner": "VIEWER"}, "owner"),
        ({"owner": "2b1f0000-0000-4000-8000-000000000000"}, "owner"),
        ({"visibility": "hidden"}, "visibility"),
    ],
)
def test_bad_input_for_a_new_key_result_is_a_422_naming_the_field(
    world: World, objective: Objective, change: dict[str, Any], field: str
) -> None:
    body: dict[str, Any] = {
        "objective": str(objective.uid),
        "title": "Fine",
        "start": 0,
        "target": 10,
        **change,
    }
    if body.get("owner") == "VIEWER":
        body["owner"] = str(world.viewer.uid)
    body = {key: value for key, value in body.items() if value is not None}
    assert_error(call(world.member).post("/key-results", body), 422, field)
    assert not KeyResult.objects.filter(title="Fine").exists()


def test_create_rights_viewer_403_no_rights_403_hidden_and_outsider_404(
    world: World,
    objective: Objective,
    platform_objective: Objective,
    private_objective: Objective,
) -> None:
    def body(target: Objective) -> dict[str, Any]:
        return {"objective": str(target.uid), "title": "Nope", "start": 0, "target": 1}

    for viewer, code in viewers(world.viewer):
        assert assert_error(viewer.post("/key-results", body(objective)), 403)["code"] == code
    assert_error(call(world.member).post("/key-results", body(platform_objective)), 403)
    assert_error(call(world.member).post("/key-results", body(private_objective)), 404)
    assert_error(call(world.outsider).post("/key-results", body(objective)), 404)
    assert not KeyResult.objects.filter(title="Nope").exists()


# Changing and deleting ----------------------------------------------------------------------


def test_a_member_changes_a_key_result_and_the_history_says_so(
    world: World, key_result: KeyResult
) -> None:
    response = call(world.member).patch(f"/key-results/{key_result.uid}", {"target": 400_000})
    assert response.status_code == 200, response.content
    assert response.json()["target"] == 400_000
    key_result.refresh_from_db()
    assert key_result.target_value == 400_000
    event = HistoryEvent.objects.get(target_uid=key_result.uid, action="updated")
    assert "target_value" in event.changes


def test_a_stale_updated_at_is_a_409_and_changes_nothing(
    world: World, key_result: KeyResult
) -> None:
    member = call(world.member)
    read = member.get(f"/key-results/{key_result.uid}").json()
    services.update_key_result(key_result=key_result, actor=world.admin, title="Changed first")
    response = member.patch(
        f"/key-results/{key_result.uid}", {"title": "Mine", "updated_at": read["updated_at"]}
    )
    assert_error(response, 409)
    key_result.refresh_from_db()
    assert key_result.title == "Changed first"
    fresh = member.get(f"/key-results/{key_result.uid}").json()["updated_at"]
    ok = member.patch(f"/key-results/{key_result.uid}", {"title": "Mine", "updated_at": fresh})
    assert ok.status_code == 200, ok.content


def test_a_patch_names_the_api_field_when_the_service_refuses(
    world: World, key_result: KeyResult
) -> None:
    member = call(world.member)
    assert_error(member.patch(f"/key-results/{key_result.uid}", {"target": 0}), 422, "target")
    assert_error(member.patch(f"/key-results/{key_result.uid}", {"title": None}), 422, "title")


def test_patch_and_delete_rights(
    world: World,
    key_result: KeyResult,
    platform_objective: Objective,
    hidden_key_result: KeyResult,
) -> None:
    theirs = services.create_key_result(
        actor=world.admin,
        objective=platform_objective,
        title="Theirs",
        target_value=5,
        owner=world.admin,
    )
    for viewer, code in viewers(world.viewer):
        response = viewer.patch(f"/key-results/{key_result.uid}", {"title": "X"})
        assert assert_error(response, 403)["code"] == code
        response = viewer.delete(f"/key-results/{key_result.uid}")
        assert assert_error(response, 403)["code"] == code
    member = call(world.member)
    assert_error(member.patch(f"/key-results/{theirs.uid}", {"title": "X"}), 403)
    assert_error(member.delete(f"/key-results/{theirs.uid}"), 403)
    assert_error(member.patch(f"/key-results/{hidden_key_result.uid}", {"title": "X"}), 404)
    assert_error(member.delete(f"/key-results/{hidden_key_result.uid}"), 404)
    outsider = call(world.outsider)
    assert_error(outsider.patch(f"/key-results/{key_result.uid}", {"title": "X"}), 404)
    assert_error(outsider.delete(f"/key-results/{key_result.uid}"), 404)
    assert KeyResult.objects.filter(title="X").count() == 0
    assert KeyResult.objects.count() == 3


def test_a_member_deletes_a_key_result_through_the_service(
    world: World, key_result: KeyResult
) -> None:
    assert call(world.member).delete(f"/key-results/{key_result.uid}").status_code == 204
    assert not KeyResult.objects.filter(pk=key_result.pk).exists()
    assert events(key_result.uid, "deleted") == 1


# Lists --------------------------------------------------------------------------------------


def make_key_results(world: World, objective: Objective, n: int) -> list[KeyResult]:
    return [
        services.create_key_result(
            actor=world.admin, objective=objective, title=f"KR {i}", target_value=10
        )
        for i in range(n)
    ]


def test_pages_follow_the_order_of_creation(
    world: World, objective: Objective, key_result: KeyResult
) -> None:
    made = [str(key_result.uid), *(str(kr.uid) for kr in make_key_results(world, objective, 4))]
    member = call(world.member)
    first = member.get("/key-results", limit=3).json()
    assert [item["id"] for item in first["items"]] == made[:3]
    assert first["next_offset"] == 3
    rest = member.get("/key-results", limit=3, offset=3).json()
    assert [item["id"] for item in rest["items"]] == made[3:]
    assert rest["next_offset"] is None


def test_filters_by_objective_team_owner_and_confidence_band(
    world: World, objective: Objective, key_result: KeyResult, platform_objective: Objective
) -> None:
    theirs = services.create_key_result(
        actor=world.admin,
        objective=platform_objective,
        title="Theirs",
        target_value=5,
        owner=world.admin,
    )
    checkins.record_check_in(
        key_result=theirs, author=world.admin, confidence=checkins.Confidence(level=2)
    )
    member = call(world.member)
    assert ids(member.get("/key-results", objective=str(platform_objective.uid))) == [
        str(theirs.uid)
    ]
    assert ids(member.get("/key-results", team=str(world.team.uid))) == [str(key_result.uid)]
    assert ids(member.get("/key-results", owner=str(world.admin.uid))) == [str(theirs.uid)]
    assert ids(member.get("/key-results", period=str(world.period.uid))) == [
        str(key_result.uid),
        str(theirs.uid),
    ]
    assert ids(member.get("/key-results", confidence="off_track")) == [str(theirs.uid)]
    assert ids(member.get("/key-results", confidence="on_track")) == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("staleness", "rotten"),
        ("confidence", "great"),
        ("objective", "2b1f0000-0000-4000-8000-000000000000"),
        ("owner", "nobody"),
        ("updated_since", "2026-13-45"),
    ],
)
def test_a_bad_filter_is_a_422_naming_it(world: World, name: str, value: str) -> None:
    assert_error(call(world.member).get("/key-results", **{name: value}), 422, name)


def test_a_hidden_objective_as_a_filter_is_the_same_422_as_an_unknown_one(
    world: World, private_objective: Objective
) -> None:
    response = call(world.member).get("/key-results", objective=str(private_objective.uid))
    assert_error(response, 422, "objective")


def test_staleness_filters_what_the_key_result_says(
    world: World, objective: Objective, key_result: KeyResult
) -> None:
    fresh, stale = make_key_results(world, objective, 2)
    today = world.org.today()
    checkins.record_check_in(
        key_result=fresh,
        author=world.admin,
        next_up=checkins.NextUp(plan="Go", due=today + dt.timedelta(days=2)),
    )
    long_ago = timezone.now() - dt.timedelta(days=20)
    KeyResult.objects.filter(pk__in=[stale.pk, key_result.pk]).update(
        created_at=long_ago, next_up_due=today + dt.timedelta(days=2)
    )
    member = call(world.member)
    assert ids(member.get("/key-results", staleness="fresh")) == [str(fresh.uid)]
    assert ids(member.get("/key-results", staleness="stale")) == [
        str(key_result.uid),
        str(stale.uid),
    ]
    for item in member.get("/key-results").json()["items"]:
        listed = ids(member.get("/key-results", staleness=item["staleness"]))
        assert item["id"] in listed


@pytest.mark.parametrize("cadence", ["weekly", "biweekly", "monthly"])
@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland", "America/Los_Angeles"])
def test_the_staleness_filter_agrees_with_the_one_staleness_rule(
    world: World, objective: Objective, cadence: str, zone: str
) -> None:
    """The database filter against `staleness_for`, over key results whose last check-in,
    creation and Next Up fall on either side of every threshold and of midnight."""
    rng = random.Random(f"{cadence}{zone}")
    today = dt.date(2026, 11, 18)
    now = dt.datetime(2026, 11, 18, 12, tzinfo=dt.UTC)

    def moment() -> dt.datetime:
        return now - dt.timedelta(days=rng.randint(0, 75), hours=rng.choice([0, 11, 12, 13, 23]))

    rows = []
    for i in range(150):
        rows.append(
            KeyResult(
                organization=world.org,
                objective=objective,
                title=f"K{i}",
                target_value=10,
                created_at=moment(),
                last_check_in_at=rng.choice([None, moment()]),
                next_up_due=rng.choice([None, today + dt.timedelta(days=rng.randint(-70, 5))]),
            )
        )
    KeyResult.objects.bulk_create(rows)
    org = world.org
    org.checkin_cadence, org.time_zone = cadence, zone
    key_results = list(KeyResult.objects.filter(objective=objective))
    expected = {state: set() for state in rhythm.Staleness}  # type: ignore[var-annotated]
    for kr in key_results:
        expected[staleness_for(kr, org, today)].add(kr.pk)
    for state in rhythm.Staleness:
        got = set(
            KeyResult.objects.filter(objective=objective)
            .filter(_staleness_q(state, org, today))
            .values_list("pk", flat=True)
        )
        assert got == expected[state], state


def test_updated_since_lists_changed_and_checked_in_key_results(
    world: World, objective: Objective, key_result: KeyResult
) -> None:
    changed, checked_in, _untouched = make_key_results(world, objective, 3)
    since = timezone.now()
    services.update_key_result(key_result=changed, actor=world.admin, title="Changed")
    checkins.record_check_in(
        key_result=checked_in, author=world.admin, confidence=checkins.Confidence(level=8)
    )
    listed = ids(call(world.member).get("/key-results", updated_since=since.isoformat()))
    assert set(listed) == {str(changed.uid), str(checked_in.uid)}


def test_listing_key_results_takes_the_same_number_of_queries_for_n_and_3n(
    world: World, objective: Objective
) -> None:
    member = call(world.member)
    filters = {"staleness": "due", "confidence": "at_risk", "team": str(world.team.uid)}

    def count(**params: Any) -> int:
        member.get("/key-results", **params)
        with CaptureQueriesContext(connection) as ctx:
            response = member.get("/key-results", **params)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    def grow(n: int) -> None:
        for kr in make_key_results(world, objective, n):
            services.update_key_result(key_result=kr, actor=world.admin, shared_with=[world.viewer])
            checkins.record_check_in(
                key_result=kr,
                author=world.admin,
                confidence=checkins.Confidence(level=5),
                next_up=checkins.NextUp(plan="Next", due=world.org.today()),
            )

    grow(2)
    small, small_filtered = count(), count(**filters)
    grow(4)
    assert count() == small
    assert count(**filters) == small_filtered
