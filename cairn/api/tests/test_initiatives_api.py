"""The initiatives API (`/api/v1/initiatives`, defer): the four people, every error code,
deferring to the next period, pagination and incremental sync, constant query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cairn.api.tests.test_objectives_api import Caller, assert_error, ids, viewers
from cairn.conftest import World
from cairn.okrs import services
from cairn.okrs.models import Initiative, InitiativeState, KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import HistoryEvent, Member, Period, Role

pytestmark = pytest.mark.django_db


def call(member: Member) -> Caller:
    return Caller(member)


@pytest.fixture
def initiative(world: World, objective: Objective) -> Initiative:
    return services.create_initiative(
        actor=world.member,
        objective=objective,
        team=world.team,
        title="Write the launch plan",
        owner=world.member,
        state=InitiativeState.IN_PROGRESS,
    )


@pytest.fixture
def hidden_initiative(world: World, private_objective: Objective) -> Initiative:
    return services.create_initiative(
        actor=world.admin,
        objective=private_objective,
        team=world.other_team,
        title="PRIVATE-MARKER hidden work",
    )


@pytest.fixture
def next_quarter(world: World) -> Period:
    return org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2027 Q1",
        start=dt.date(2027, 1, 1),
        end=dt.date(2027, 3, 31),
    )


@pytest.fixture
def platform_objective(world: World) -> Objective:
    return services.create_objective(
        actor=world.admin, period=world.period, title="Scale", owner_teams=[world.other_team]
    )


def events(uid: Any, action: str) -> int:
    return HistoryEvent.objects.filter(
        target_kind="initiative", target_uid=uid, action=action
    ).count()


# Reading ------------------------------------------------------------------------------------


def test_an_initiative_on_a_private_objective_is_absent_and_a_404_for_a_member(
    world: World, initiative: Initiative, hidden_initiative: Initiative
) -> None:
    member = call(world.member)
    response = member.get("/initiatives")
    assert ids(response) == [str(initiative.uid)]
    assert b"PRIVATE-MARKER" not in response.content
    assert_error(member.get(f"/initiatives/{hidden_initiative.uid}"), 404)


def test_admin_viewer_and_outsider_read_what_they_may(
    world: World, initiative: Initiative, hidden_initiative: Initiative
) -> None:
    assert set(ids(call(world.admin).get("/initiatives"))) == {
        str(initiative.uid),
        str(hidden_initiative.uid),
    }
    viewer = call(world.viewer)
    assert ids(viewer.get("/initiatives")) == [str(initiative.uid)]
    assert viewer.get(f"/initiatives/{initiative.uid}").status_code == 200
    outsider = call(world.outsider)
    assert ids(outsider.get("/initiatives")) == []
    assert_error(outsider.get(f"/initiatives/{initiative.uid}"), 404)


def test_an_initiative_reads_in_the_products_words(
    world: World, objective: Objective, initiative: Initiative
) -> None:
    body = call(world.member).get(f"/initiatives/{initiative.uid}").json()
    assert body["id"] == str(initiative.uid)
    assert body["objective"] == {"id": str(objective.uid), "title": objective.title}
    assert body["key_result"] is None
    assert body["team"] == {"id": str(world.team.uid), "name": "Product"}
    assert body["owner"]["id"] == str(world.member.uid)
    assert body["state"] == "in_progress"
    assert body["period"] == {"id": str(world.period.uid), "name": "2026 Q4"}
    assert body["can_edit"] is True
    assert body["updated_at"]


# Creating -----------------------------------------------------------------------------------


def test_a_member_adds_an_initiative_for_their_team_through_the_service(
    world: World, objective: Objective, key_result: KeyResult
) -> None:
    response = call(world.member).post(
        "/initiatives",
        {
            "objective": str(objective.uid),
            "team": str(world.team.uid),
            "key_result": str(key_result.uid),
            "title": "Referral programme",
            "due": "2026-12-15",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["key_result"] == {"id": str(key_result.uid), "title": key_result.title}
    assert body["due"] == "2026-12-15"
    assert body["state"] == "planned"
    assert events(body["id"], "created") == 1


def test_a_member_adds_their_teams_work_to_another_teams_objective(
    world: World, platform_objective: Objective
) -> None:
    member = call(world.member)
    body = {"objective": str(platform_objective.uid), "title": "Help out"}
    response = member.post("/initiatives", {**body, "team": str(world.team.uid)})
    assert response.status_code == 201, response.content
    # ... but not in the name of a team they are not in.
    response = member.post("/initiatives", {**body, "team": str(world.other_team.uid)})
    assert_error(response, 422, "team")


def test_someone_in_no_team_cannot_add_work_to_an_objective_they_may_not_change(
    world: World, platform_objective: Objective
) -> None:
    loner = org_services.add_member(
        organization=world.org,
        email="lou@acme.test",
        role=Role.MEMBER,
        name="Lou",
        password="x-long-password-1",
        actor=world.admin,
    )
    response = call(loner).post(
        "/initiatives",
        {
            "objective": str(platform_objective.uid),
            "team": str(world.other_team.uid),
            "title": "Nope",
        },
    )
    assert_error(response, 403)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "  "}, "title"),
        ({"state": "someday"}, "state"),
        ({"due": "tomorrow"}, "due"),
        ({"team": "2b1f0000-0000-4000-8000-000000000000"}, "team"),
        ({"key_result": "2b1f0000-0000-4000-8000-000000000000"}, "key_result"),
        ({"key_result": "OTHER_KR"}, "key_result"),
        ({"owner": "VIEWER"}, "owner"),
    ],
)
def test_bad_input_for_a_new_initiative_is_a_422_naming_the_field(
    world: World, objective: Objective, change: dict[str, Any], field: str
) -> None:
    other = services.create_objective(
        actor=world.member, period=world.period, title="Other", owner_teams=[world.team]
    )
    other_kr = services.create_key_result(
        actor=world.member, objective=other, title="Other KR", target_value=2
    )
    names = {"OTHER_KR": str(other_kr.uid), "VIEWER": str(world.viewer.uid)}
    body = {
        "objective": str(objective.uid),
        "team": str(world.team.uid),
        "title": "Fine",
        **{key: names.get(value, value) for key, value in change.items()},
    }
    assert_error(call(world.member).post("/initiatives", body), 422, field)
    assert not Initiative.objects.filter(title="Fine").exists()


def test_create_rights_viewer_403_hidden_and_outsider_404(
    world: World, objective: Objective, private_objective: Objective
) -> None:
    def body(target: Objective) -> dict[str, Any]:
        return {"objective": str(target.uid), "team": str(world.team.uid), "title": "Nope"}

    for viewer, code in viewers(world.viewer):
        assert assert_error(viewer.post("/initiatives", body(objective)), 403)["code"] == code
    assert_error(call(world.member).post("/initiatives", body(private_objective)), 404)
    assert_error(call(world.outsider).post("/initiatives", body(objective)), 404)
    assert not Initiative.objects.filter(title="Nope").exists()


# Changing and deleting ----------------------------------------------------------------------


def test_a_member_changes_an_initiative_and_the_history_says_so(
    world: World, initiative: Initiative
) -> None:
    response = call(world.member).patch(
        f"/initiatives/{initiative.uid}", {"state": "done", "due": None}
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "done"
    initiative.refresh_from_db()
    assert initiative.state == InitiativeState.DONE
    event = HistoryEvent.objects.get(target_uid=initiative.uid, action="updated")
    assert event.changes["state"] == ["in_progress", "done"]


def test_a_stale_updated_at_is_a_409(world: World, initiative: Initiative) -> None:
    member = call(world.member)
    read = member.get(f"/initiatives/{initiative.uid}").json()
    assert (
        member.patch(
            f"/initiatives/{initiative.uid}", {"title": "One", "updated_at": read["updated_at"]}
        ).status_code
        == 200
    )
    response = member.patch(
        f"/initiatives/{initiative.uid}", {"title": "Two", "updated_at": read["updated_at"]}
    )
    assert_error(response, 409)
    initiative.refresh_from_db()
    assert initiative.title == "One"


def test_a_bad_patch_is_a_422_naming_the_field(world: World, initiative: Initiative) -> None:
    member = call(world.member)
    assert_error(member.patch(f"/initiatives/{initiative.uid}", {"state": None}), 422, "state")
    assert_error(member.patch(f"/initiatives/{initiative.uid}", {"title": ""}), 422, "title")
    other = services.create_objective(
        actor=world.member, period=world.period, title="Other", owner_teams=[world.team]
    )
    other_kr = services.create_key_result(
        actor=world.member, objective=other, title="Other KR", target_value=2
    )
    response = member.patch(f"/initiatives/{initiative.uid}", {"key_result": str(other_kr.uid)})
    assert_error(response, 422, "key_result")


def test_patch_and_delete_rights(
    world: World,
    initiative: Initiative,
    hidden_initiative: Initiative,
    platform_objective: Objective,
) -> None:
    theirs = services.create_initiative(
        actor=world.admin, objective=platform_objective, team=world.other_team, title="Theirs"
    )
    for viewer, code in viewers(world.viewer):
        response = viewer.patch(f"/initiatives/{initiative.uid}", {"title": "X"})
        assert assert_error(response, 403)["code"] == code
        assert assert_error(viewer.delete(f"/initiatives/{initiative.uid}"), 403)["code"] == code
    member = call(world.member)
    assert_error(member.patch(f"/initiatives/{theirs.uid}", {"title": "X"}), 403)
    assert_error(member.delete(f"/initiatives/{theirs.uid}"), 403)
    assert_error(member.patch(f"/initiatives/{hidden_initiative.uid}", {"title": "X"}), 404)
    assert_error(member.delete(f"/initiatives/{hidden_initiative.uid}"), 404)
    outsider = call(world.outsider)
    assert_error(outsider.patch(f"/initiatives/{initiative.uid}", {"title": "X"}), 404)
    assert_error(outsider.delete(f"/initiatives/{initiative.uid}"), 404)
    assert Initiative.objects.count() == 3
    assert not Initiative.objects.filter(title="X").exists()


def test_a_member_deletes_an_initiative_through_the_service(
    world: World, initiative: Initiative
) -> None:
    assert call(world.member).delete(f"/initiatives/{initiative.uid}").status_code == 204
    assert not Initiative.objects.filter(pk=initiative.pk).exists()
    assert events(initiative.uid, "deleted") == 1


# Deferring ----------------------------------------------------------------------------------


def test_defer_moves_the_initiative_to_the_next_period(
    world: World, initiative: Initiative, next_quarter: Period
) -> None:
    response = call(world.member).post(
        f"/initiatives/{initiative.uid}/defer", {"note": "Waiting for payments"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "deferred"
    assert body["period"] == {"id": str(next_quarter.uid), "name": "2027 Q1"}
    initiative.refresh_from_db()
    assert initiative.period == next_quarter
    assert initiative.objective.period == world.period
    event = HistoryEvent.objects.get(target_uid=initiative.uid, action="updated")
    assert event.note == "Waiting for payments"


def test_defer_without_a_note_takes_an_empty_body(
    world: World, initiative: Initiative, next_quarter: Period
) -> None:
    response = call(world.member).post(f"/initiatives/{initiative.uid}/defer")
    assert response.status_code == 200, response.content


def test_defer_without_a_next_period_is_a_clear_422(world: World, initiative: Initiative) -> None:
    body = assert_error(call(world.member).post(f"/initiatives/{initiative.uid}/defer"), 422)
    assert "There is no period after 2026 Q4 yet" in body["detail"]
    initiative.refresh_from_db()
    assert initiative.state == InitiativeState.IN_PROGRESS


def test_a_done_initiative_cannot_be_deferred(
    world: World, initiative: Initiative, next_quarter: Period
) -> None:
    services.update_initiative(initiative=initiative, actor=world.member, state="done")
    assert_error(call(world.member).post(f"/initiatives/{initiative.uid}/defer"), 422)


def test_defer_rights_viewer_403_hidden_and_outsider_404(
    world: World, initiative: Initiative, hidden_initiative: Initiative, next_quarter: Period
) -> None:
    for viewer, code in viewers(world.viewer):
        response = viewer.post(f"/initiatives/{initiative.uid}/defer")
        assert assert_error(response, 403)["code"] == code
    assert_error(call(world.member).post(f"/initiatives/{hidden_initiative.uid}/defer"), 404)
    assert_error(call(world.outsider).post(f"/initiatives/{initiative.uid}/defer"), 404)
    assert not Initiative.objects.filter(state=InitiativeState.DEFERRED).exists()


# Lists --------------------------------------------------------------------------------------


def make_initiatives(world: World, objective: Objective, n: int) -> list[Initiative]:
    return [
        services.create_initiative(
            actor=world.admin, objective=objective, team=world.team, title=f"Work {i}"
        )
        for i in range(n)
    ]


def test_pages_follow_the_order_of_creation(world: World, objective: Objective) -> None:
    made = [str(i.uid) for i in make_initiatives(world, objective, 5)]
    member = call(world.member)
    first = member.get("/initiatives", limit=2).json()
    assert [i["id"] for i in first["items"]] == made[:2] and first["next_offset"] == 2
    last = member.get("/initiatives", limit=2, offset=4).json()
    assert [i["id"] for i in last["items"]] == made[4:] and last["next_offset"] is None


def test_filters_by_period_team_owner_state_and_objective(
    world: World,
    objective: Objective,
    initiative: Initiative,
    platform_objective: Objective,
    next_quarter: Period,
) -> None:
    theirs = services.create_initiative(
        actor=world.admin,
        objective=platform_objective,
        team=world.other_team,
        title="Theirs",
        owner=world.admin,
    )
    services.defer_initiative(initiative=theirs, actor=world.admin)
    member = call(world.member)
    assert ids(member.get("/initiatives", period=str(next_quarter.uid))) == [str(theirs.uid)]
    assert ids(member.get("/initiatives", team=str(world.team.uid))) == [str(initiative.uid)]
    assert ids(member.get("/initiatives", owner=str(world.admin.uid))) == [str(theirs.uid)]
    assert ids(member.get("/initiatives", state="deferred")) == [str(theirs.uid)]
    assert ids(member.get("/initiatives", objective=str(objective.uid))) == [str(initiative.uid)]
    assert_error(member.get("/initiatives", state="later"), 422, "state")
    assert_error(member.get("/initiatives", team="no"), 422, "team")


def test_updated_since_lists_what_changed_in_the_order_it_changed(
    world: World, objective: Objective
) -> None:
    first, second, _third = make_initiatives(world, objective, 3)
    since = timezone.now()
    services.update_initiative(initiative=second, actor=world.admin, state="done")
    services.update_initiative(initiative=first, actor=world.admin, title="First again")
    listed = ids(call(world.member).get("/initiatives", updated_since=since.isoformat()))
    assert listed == [str(second.uid), str(first.uid)]


def test_listing_initiatives_takes_the_same_number_of_queries_for_n_and_3n(
    world: World, objective: Objective, key_result: KeyResult
) -> None:
    member = call(world.member)

    def count(**params: Any) -> int:
        member.get("/initiatives", **params)
        with CaptureQueriesContext(connection) as ctx:
            response = member.get("/initiatives", **params)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    def grow(n: int) -> None:
        for item in make_initiatives(world, objective, n):
            services.update_initiative(
                initiative=item, actor=world.admin, key_result=key_result, owner=world.member
            )

    grow(2)
    small, small_filtered = count(), count(team=str(world.team.uid), updated_since="2000-01-01")
    grow(4)
    assert count() == small
    assert count(team=str(world.team.uid), updated_since="2000-01-01") == small_filtered
