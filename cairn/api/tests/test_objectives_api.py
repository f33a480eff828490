"""The objectives API (`/api/v1/objectives`, alignment links): the four people, every error
code, pagination and incremental sync, redacted parents, constant query counts."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cairn.conftest import World
from cairn.okrs import services
from cairn.okrs.models import Alignment, KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import HistoryEvent, Member, Role
from cairn.orgs.tokens import create_token

pytestmark = pytest.mark.django_db
API = "/api/v1"


class Caller:
    """One person calling the API with a personal token (read-only for a viewer, as tokens
    of viewers are), or with `session=True` from a signed-in browser, which reaches the
    gate's own 403 for a viewer's write."""

    def __init__(self, member: Member, *, session: bool = False) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if session:
            self.client.force_login(member.user)
        else:
            _token, raw = create_token(member=member, name="test", read_only=not member.can_write)
            self.headers = {"Authorization": f"Bearer {raw}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(API + path, params, headers=self.headers)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(
            API + path,
            json.dumps(body or {}),
            content_type="application/json",
            headers=self.headers,
        )

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.patch(
            API + path, json.dumps(body), content_type="application/json", headers=self.headers
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(API + path, headers=self.headers)


@pytest.fixture
def call(world: World) -> Callable[[Member], Caller]:
    return Caller


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def assert_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    assert set(body) >= {"detail", "code"} and body["detail"]
    if field is not None:
        assert body["field"] == field
    return body


def viewers(member: Member) -> list[tuple[Caller, str]]:
    """A viewer by token (refused as read-only) and by session (refused by the gate), with
    the error code each must get."""
    return [(Caller(member), "read_only_token"), (Caller(member, session=True), "forbidden")]


def events(objective_uid: Any, action: str) -> int:
    return HistoryEvent.objects.filter(
        target_kind="objective", target_uid=objective_uid, action=action
    ).count()


# Reading: the four people -------------------------------------------------------------------


def test_a_member_lists_public_objectives_and_never_a_private_one_of_another_team(
    world: World, call: Any, objective: Objective, private_objective: Objective
) -> None:
    listed = ids(call(world.member).get("/objectives"))
    assert listed == [str(objective.uid)]
    assert str(private_objective.uid) not in listed


def test_the_admin_lists_private_objectives_too(
    world: World, call: Any, objective: Objective, private_objective: Objective
) -> None:
    assert ids(call(world.admin).get("/objectives")) == [
        str(objective.uid),
        str(private_objective.uid),
    ]


def test_a_viewer_reads_public_objectives(
    world: World, call: Any, objective: Objective, private_objective: Objective
) -> None:
    viewer = call(world.viewer)
    assert ids(viewer.get("/objectives")) == [str(objective.uid)]
    assert viewer.get(f"/objectives/{objective.uid}").status_code == 200
    assert_error(viewer.get(f"/objectives/{private_objective.uid}"), 404)


def test_an_outsider_sees_nothing_of_another_organization(
    world: World, call: Any, objective: Objective
) -> None:
    outsider = call(world.outsider)
    assert ids(outsider.get("/objectives")) == []
    body = assert_error(outsider.get(f"/objectives/{objective.uid}"), 404)
    assert body["code"] == "not_found"


def test_a_private_objective_is_a_404_by_id_for_a_member_who_may_not_see_it(
    world: World, call: Any, private_objective: Objective
) -> None:
    response = call(world.member).get(f"/objectives/{private_objective.uid}")
    assert_error(response, 404)
    assert b"PRIVATE-MARKER" not in response.content


def test_an_unknown_id_is_a_404_and_a_malformed_one_a_422(world: World, call: Any) -> None:
    member = call(world.member)
    assert_error(member.get("/objectives/2b1f0000-0000-4000-8000-000000000000"), 404)
    # A malformed one is bad input.
    assert_error(member.get("/objectives/not-a-uuid"), 422)


def test_an_objective_reads_in_the_products_words_with_opaque_ids(
    world: World, call: Any, objective: Objective
) -> None:
    body = call(world.member).get(f"/objectives/{objective.uid}").json()
    kr = objective.key_results.get()
    assert body["id"] == str(objective.uid)
    assert body["title"] == objective.title
    assert body["period"] == {"id": str(world.period.uid), "name": "2026 Q4"}
    assert body["visibility"] == "public"
    assert body["owner_person"] is None
    assert body["owner_teams"] == [{"id": str(world.team.uid), "name": "Product"}]
    assert body["aligned_to"] == []
    assert body["progress"] == 0
    assert body["key_results"] == [
        {
            "id": str(kr.uid),
            "title": kr.title,
            "progress": 0,
            "score": None,
            "confidence": None,
            "staleness": body["key_results"][0]["staleness"],
        }
    ]
    assert body["can_edit"] is True
    assert body["updated_at"]
    # No integer primary key anywhere.
    assert str(objective.pk) not in {str(v) for v in body.values() if not isinstance(v, dict)}


def test_a_shared_okr_lists_all_its_owning_teams(world: World, call: Any) -> None:
    shared = services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Shared",
        owner_teams=[world.team, world.other_team],
    )
    body = call(world.member).get(f"/objectives/{shared.uid}").json()
    assert [team["name"] for team in body["owner_teams"]] == ["Platform", "Product"]


def test_progress_counts_only_the_key_results_the_caller_may_see(
    world: World, call: Any, objective: Objective
) -> None:
    public_kr = objective.key_results.get()
    KeyResult.objects.filter(pk=public_kr.pk).update(current_value=100_000)  # 20 %
    hidden = services.create_key_result(
        actor=world.admin,
        objective=objective,
        title="PRIVATE-MARKER hidden result",
        target_value=10,
        owner=world.admin,
        visibility="private",
    )
    KeyResult.objects.filter(pk=hidden.pk).update(current_value=10)  # 100 %
    # Someone outside the owning team may not see the private result, nor infer it.
    stranger = org_services.add_member(
        organization=world.org,
        email="nia@acme.test",
        role=Role.MEMBER,
        name="Nia",
        password="x-long-password-1",
        actor=world.admin,
    )
    body = call(stranger).get(f"/objectives/{objective.uid}").json()
    assert body["progress"] == pytest.approx(0.2)
    assert [kr["id"] for kr in body["key_results"]] == [str(public_kr.uid)]
    assert b"PRIVATE-MARKER" not in call(stranger).get("/objectives").content
    # The owning team's member and the admin see both.
    for person in (world.member, world.admin):
        body = call(person).get(f"/objectives/{objective.uid}").json()
        assert body["progress"] == pytest.approx(0.6)


# Alignment: visible and redacted parents ----------------------------------------------------


def test_a_parent_the_caller_may_not_see_is_listed_redacted(
    world: World, call: Any, objective: Objective, private_objective: Objective
) -> None:
    link = services.align(actor=world.admin, child=objective, parent_objective=private_objective)
    body = call(world.member).get(f"/objectives/{objective.uid}").json()
    assert body["aligned_to"] == [{"kind": "objective", "redacted": True}]
    assert b"PRIVATE-MARKER" not in call(world.member).get("/objectives").content
    assert call(world.admin).get(f"/objectives/{objective.uid}").json()["aligned_to"] == [
        {
            "kind": "objective",
            "redacted": False,
            "id": str(private_objective.uid),
            "title": private_objective.title,
            "objective": None,
            "link_id": str(link.uid),
        }
    ]


def test_a_hidden_key_result_of_a_visible_parent_is_redacted_but_its_objective_named(
    world: World, call: Any, objective: Objective
) -> None:
    parent = services.create_objective(
        actor=world.admin, period=world.period, title="Company", owner_teams=[world.other_team]
    )
    hidden_kr = services.create_key_result(
        actor=world.admin,
        objective=parent,
        title="PRIVATE-MARKER kr",
        target_value=5,
        owner=world.admin,
        visibility="private",
    )
    services.align(actor=world.admin, child=objective, parent_key_result=hidden_kr)
    [entry] = call(world.member).get(f"/objectives/{objective.uid}").json()["aligned_to"]
    assert entry["kind"] == "key_result" and entry["redacted"] is True
    assert entry["objective"] == {"id": str(parent.uid), "title": "Company"}
    assert "id" not in entry and "title" not in entry


def test_a_member_aligns_their_objective_to_a_visible_parent_and_removes_it(
    world: World, call: Any, objective: Objective
) -> None:
    parent = services.create_objective(
        actor=world.admin, period=world.period, title="Company", owner_teams=[world.other_team]
    )
    member = call(world.member)
    response = member.post(
        f"/objectives/{objective.uid}/alignments", {"parent_objective": str(parent.uid)}
    )
    assert response.status_code == 201, response.content
    link_id = response.json()["link_id"]
    assert response.json()["id"] == str(parent.uid)
    aligned = member.get(f"/objectives/{objective.uid}").json()["aligned_to"]
    assert [a["id"] for a in aligned] == [str(parent.uid)]
    assert events(objective.uid, "added") == 1

    assert member.delete(f"/alignments/{link_id}").status_code == 204
    assert not Alignment.objects.filter(uid=link_id).exists()
    assert events(objective.uid, "removed") == 1


def test_aligning_to_a_private_parent_is_refused_without_naming_it(
    world: World, call: Any, objective: Objective, private_objective: Objective
) -> None:
    response = call(world.member).post(
        f"/objectives/{objective.uid}/alignments", {"parent_objective": str(private_objective.uid)}
    )
    assert_error(response, 422, "parent_objective")
    assert b"PRIVATE-MARKER" not in response.content


def test_an_alignment_cycle_is_a_422_on_the_parent(
    world: World, call: Any, objective: Objective
) -> None:
    child = services.create_objective(
        actor=world.member, period=world.period, title="Child", owner_teams=[world.team]
    )
    services.align(actor=world.member, child=child, parent_objective=objective)
    response = call(world.member).post(
        f"/objectives/{objective.uid}/alignments", {"parent_objective": str(child.uid)}
    )
    assert_error(response, 422, "parent_objective")


def test_a_viewer_cannot_align_and_an_outsider_gets_a_404(
    world: World, call: Any, objective: Objective
) -> None:
    parent = services.create_objective(
        actor=world.admin, period=world.period, title="Company", owner_teams=[world.other_team]
    )
    body = {"parent_objective": str(parent.uid)}
    for viewer, code in viewers(world.viewer):
        assert (
            assert_error(viewer.post(f"/objectives/{objective.uid}/alignments", body), 403)["code"]
            == code
        )
    assert_error(call(world.outsider).post(f"/objectives/{objective.uid}/alignments", body), 404)
    link = services.align(actor=world.member, child=objective, parent_objective=parent)
    for viewer, code in viewers(world.viewer):
        assert assert_error(viewer.delete(f"/alignments/{link.uid}"), 403)["code"] == code
    assert_error(call(world.outsider).delete(f"/alignments/{link.uid}"), 404)
    assert Alignment.objects.filter(pk=link.pk).exists()


def test_a_link_to_a_hidden_parent_cannot_be_removed_by_who_may_not_see_it(
    world: World, call: Any, objective: Objective, private_objective: Objective
) -> None:
    link = services.align(actor=world.admin, child=objective, parent_objective=private_objective)
    assert_error(call(world.member).delete(f"/alignments/{link.uid}"), 404)
    assert Alignment.objects.filter(pk=link.pk).exists()


# Creating -----------------------------------------------------------------------------------


def test_a_member_creates_an_objective_for_their_team_through_the_service(
    world: World, call: Any
) -> None:
    response = call(world.member).post(
        "/objectives",
        {
            "title": "  Grow revenue  ",
            "period": str(world.period.uid),
            "owner_teams": [str(world.team.uid)],
            "visibility": "private",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    created = Objective.objects.get(uid=body["id"])
    assert created.title == "Grow revenue"
    assert created.created_by == world.member
    assert body["visibility"] == "private"
    assert body["owner_teams"] == [{"id": str(world.team.uid), "name": "Product"}]
    assert events(created.uid, "created") == 1


def test_a_personal_objective_can_be_shared_with_people(world: World, call: Any) -> None:
    response = call(world.member).post(
        "/objectives",
        {
            "title": "Mine",
            "period": str(world.period.uid),
            "owner_person": str(world.member.uid),
            "visibility": "private",
            "shared_with": [str(world.viewer.uid)],
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["owner_person"]["id"] == str(world.member.uid)
    assert [p["id"] for p in response.json()["shared_with"]] == [str(world.viewer.uid)]
    assert call(world.viewer).get(f"/objectives/{response.json()['id']}").status_code == 200


def test_a_viewer_cannot_create_an_objective(world: World, call: Any) -> None:
    body = {"title": "No", "period": str(world.period.uid), "owner_person": str(world.viewer.uid)}
    for viewer, code in viewers(world.viewer):
        assert assert_error(viewer.post("/objectives", body), 403)["code"] == code
    assert not Objective.objects.filter(title="No").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"period": "not-a-uuid"}, "period"),
        ({"period": "2b1f0000-0000-4000-8000-000000000000"}, "period"),
        ({"owner_teams": []}, "owner_person"),
        ({"owner_person": "MEMBER"}, "owner_teams"),
        ({"owner_teams": ["OTHER_TEAM"]}, "owner_teams"),
        ({"visibility": "secret"}, "visibility"),
        ({"owner_teams": [], "owner_person": "VIEWER"}, "owner_person"),
        ({"shared_with": ["2b1f0000-0000-4000-8000-000000000000"]}, "shared_with"),
    ],
)
def test_bad_input_for_a_new_objective_is_a_422_naming_the_field(
    world: World, call: Any, change: dict[str, Any], field: str
) -> None:
    names = {
        "MEMBER": str(world.member.uid),
        "VIEWER": str(world.viewer.uid),
        "OTHER_TEAM": str(world.other_team.uid),
    }

    def resolve(value: Any) -> Any:
        if isinstance(value, list):
            return [names.get(v, v) for v in value]
        return names.get(value, value)

    body = {
        "title": "Fine",
        "period": str(world.period.uid),
        "owner_teams": [str(world.team.uid)],
        **{key: resolve(value) for key, value in change.items()},
    }
    assert_error(call(world.member).post("/objectives", body), 422, field)
    assert not Objective.objects.filter(title="Fine").exists()


def test_another_organizations_period_is_bad_input_not_a_leak(world: World, call: Any) -> None:
    response = call(world.outsider).post(
        "/objectives",
        {
            "title": "Sneaky",
            "period": str(world.period.uid),
            "owner_person": str(world.outsider.uid),
        },
    )
    assert_error(response, 422, "period")


# Changing -----------------------------------------------------------------------------------


def test_a_member_changes_their_teams_objective_and_the_history_says_so(
    world: World, call: Any, objective: Objective
) -> None:
    response = call(world.member).patch(
        f"/objectives/{objective.uid}", {"title": "Launch in three countries"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Launch in three countries"
    objective.refresh_from_db()
    assert objective.title == "Launch in three countries"
    event = HistoryEvent.objects.get(target_uid=objective.uid, action="updated")
    assert event.changes["title"][1] == "Launch in three countries"
    assert response.json()["updated_at"] != objective.created_at.isoformat()


def test_a_patch_with_the_updated_at_it_read_succeeds_and_a_stale_one_is_a_409(
    world: World, call: Any, objective: Objective
) -> None:
    member = call(world.member)
    read = member.get(f"/objectives/{objective.uid}").json()
    first = member.patch(
        f"/objectives/{objective.uid}", {"title": "First", "updated_at": read["updated_at"]}
    )
    assert first.status_code == 200, first.content
    second = member.patch(
        f"/objectives/{objective.uid}", {"title": "Second", "updated_at": read["updated_at"]}
    )
    assert assert_error(second, 409)["code"] == "conflict"
    objective.refresh_from_db()
    assert objective.title == "First"


def test_moving_an_objective_from_a_person_to_teams_takes_both_fields(
    world: World, call: Any
) -> None:
    mine = services.create_objective(
        actor=world.member, period=world.period, title="Mine", owner_person=world.member
    )
    member = call(world.member)
    assert_error(
        member.patch(f"/objectives/{mine.uid}", {"owner_teams": [str(world.team.uid)]}),
        422,
        "owner_teams",
    )
    response = member.patch(
        f"/objectives/{mine.uid}", {"owner_person": None, "owner_teams": [str(world.team.uid)]}
    )
    assert response.status_code == 200, response.content
    assert response.json()["owner_person"] is None
    assert [t["name"] for t in response.json()["owner_teams"]] == ["Product"]


def test_an_explicit_null_for_a_required_field_is_a_422(
    world: World, call: Any, objective: Objective
) -> None:
    response = call(world.member).patch(f"/objectives/{objective.uid}", {"title": None})
    assert_error(response, 422, "title")


def test_patch_rights_viewer_403_no_rights_403_outsider_and_hidden_404(
    world: World, call: Any, objective: Objective, private_objective: Objective
) -> None:
    platform = services.create_objective(
        actor=world.admin, period=world.period, title="Platform's", owner_teams=[world.other_team]
    )
    body = {"title": "Hacked"}
    for viewer, code in viewers(world.viewer):
        assert assert_error(viewer.patch(f"/objectives/{objective.uid}", body), 403)["code"] == code
    assert_error(call(world.member).patch(f"/objectives/{platform.uid}", body), 403)
    assert_error(call(world.outsider).patch(f"/objectives/{objective.uid}", body), 404)
    assert_error(call(world.member).patch(f"/objectives/{private_objective.uid}", body), 404)
    assert not Objective.objects.filter(title="Hacked").exists()


def test_a_read_only_token_cannot_write(world: World, objective: Objective) -> None:
    _token, raw = create_token(member=world.member, name="ro", read_only=True)
    response = Client().patch(
        f"{API}/objectives/{objective.uid}",
        json.dumps({"title": "Nope"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert_error(response, 403)


# Deleting -----------------------------------------------------------------------------------


def test_a_member_deletes_their_teams_objective_through_the_service(
    world: World, call: Any, objective: Objective
) -> None:
    kr = objective.key_results.get()
    assert call(world.member).delete(f"/objectives/{objective.uid}").status_code == 204
    assert not Objective.objects.filter(pk=objective.pk).exists()
    assert events(objective.uid, "deleted") == 1
    assert HistoryEvent.objects.filter(target_uid=kr.uid, action="deleted").exists()


def test_delete_rights_viewer_403_outsider_and_hidden_404(
    world: World, call: Any, objective: Objective, private_objective: Objective
) -> None:
    for viewer, code in viewers(world.viewer):
        assert assert_error(viewer.delete(f"/objectives/{objective.uid}"), 403)["code"] == code
    assert_error(call(world.outsider).delete(f"/objectives/{objective.uid}"), 404)
    assert_error(call(world.member).delete(f"/objectives/{private_objective.uid}"), 404)
    assert Objective.objects.filter(pk__in=[objective.pk, private_objective.pk]).count() == 2


# Lists: pagination, filters, incremental sync, query counts ---------------------------------


def make_objectives(world: World, n: int, **kwargs: Any) -> list[Objective]:
    made = []
    for i in range(n):
        objective = services.create_objective(
            actor=world.admin,
            period=kwargs.get("period", world.period),
            title=f"Objective {i}",
            owner_teams=kwargs.get("owner_teams", [world.team]),
        )
        services.create_key_result(
            actor=world.admin, objective=objective, title=f"KR {i}", target_value=10
        )
        made.append(objective)
    return made


def test_pages_follow_the_order_of_creation(world: World, call: Any) -> None:
    made = [str(o.uid) for o in make_objectives(world, 5)]
    member = call(world.member)
    first = member.get("/objectives", limit=2).json()
    assert [i["id"] for i in first["items"]] == made[:2]
    assert first["next_offset"] == 2
    second = member.get("/objectives", limit=2, offset=2).json()
    assert [i["id"] for i in second["items"]] == made[2:4]
    last = member.get("/objectives", limit=2, offset=4).json()
    assert [i["id"] for i in last["items"]] == made[4:]
    assert last["next_offset"] is None


def test_a_limit_out_of_range_is_a_422(world: World, call: Any) -> None:
    assert_error(call(world.member).get("/objectives", limit=0), 422, "limit")
    assert_error(call(world.member).get("/objectives", limit=1000), 422, "limit")


def test_filters_by_period_team_and_owner(world: World, call: Any) -> None:
    year = org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2026",
        kind="year",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
    )
    [product] = make_objectives(world, 1)
    [platform] = make_objectives(world, 1, owner_teams=[world.other_team])
    [yearly] = make_objectives(world, 1, period=year)
    personal = services.create_objective(
        actor=world.member, period=world.period, title="Mine", owner_person=world.member
    )
    member = call(world.member)
    assert set(ids(member.get("/objectives", period=str(year.uid)))) == {str(yearly.uid)}
    assert set(ids(member.get("/objectives", team=str(world.other_team.uid)))) == {
        str(platform.uid)
    }
    assert set(ids(member.get("/objectives", team=str(world.team.uid)))) == {
        str(product.uid),
        str(yearly.uid),
    }
    assert ids(member.get("/objectives", owner=str(world.member.uid))) == [str(personal.uid)]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("period", "not-a-uuid"),
        ("period", "2b1f0000-0000-4000-8000-000000000000"),
        ("team", "2b1f0000-0000-4000-8000-000000000000"),
        ("owner", "2b1f0000-0000-4000-8000-000000000000"),
        ("updated_since", "yesterday"),
    ],
)
def test_a_bad_filter_is_a_422_naming_it(world: World, call: Any, name: str, value: str) -> None:
    assert_error(call(world.member).get("/objectives", **{name: value}), 422, name)


def test_another_organizations_period_filter_is_a_422_not_a_leak(world: World, call: Any) -> None:
    response = call(world.member).get("/objectives", period=str(world.other_period.uid))
    assert_error(response, 422, "period")


def test_updated_since_lists_what_changed_in_the_order_it_changed(world: World, call: Any) -> None:
    first, _second, third = make_objectives(world, 3)
    since = timezone.now()
    services.update_objective(objective=third, actor=world.admin, title="Third, changed")
    services.update_objective(objective=first, actor=world.admin, title="First, changed")
    member = call(world.member)
    assert ids(member.get("/objectives", updated_since=since.isoformat())) == [
        str(third.uid),
        str(first.uid),
    ]
    # Without an offset the moment is read as UTC.
    naive = since.astimezone(dt.UTC).replace(tzinfo=None).isoformat()
    assert len(ids(member.get("/objectives", updated_since=naive))) == 2
    assert ids(member.get("/objectives", updated_since=timezone.now().isoformat())) == []


def test_updated_since_catches_a_changed_key_result_and_a_new_alignment(
    world: World, call: Any
) -> None:
    first, second, third = make_objectives(world, 3)
    since = timezone.now()
    services.update_key_result(
        key_result=second.key_results.get(), actor=world.admin, target_value=20
    )
    services.align(actor=world.admin, child=third, parent_objective=first)
    listed = ids(call(world.member).get("/objectives", updated_since=since.isoformat()))
    assert set(listed) == {str(second.uid), str(third.uid)}


def test_updated_since_ignores_changes_to_key_results_the_caller_may_not_see(
    world: World, call: Any, objective: Objective
) -> None:
    hidden = services.create_key_result(
        actor=world.admin,
        objective=objective,
        title="Hidden",
        target_value=5,
        owner=world.admin,
        visibility="private",
        shared_with=[],
    )
    since = timezone.now()
    services.update_key_result(key_result=hidden, actor=world.admin, target_value=6)
    stranger = org_services.add_member(
        organization=world.org,
        email="sam@acme.test",
        role=Role.MEMBER,
        name="Sam",
        password="x-long-password-1",
        actor=world.admin,
    )
    assert ids(call(stranger).get("/objectives", updated_since=since.isoformat())) == []
    assert ids(call(world.admin).get("/objectives", updated_since=since.isoformat())) == [
        str(objective.uid)
    ]


def test_listing_objectives_takes_the_same_number_of_queries_for_n_and_3n(
    world: World, call: Any, private_objective: Objective
) -> None:
    member = call(world.member)

    def count(**params: Any) -> int:
        member.get("/objectives", **params)  # the token's first use is written once
        with CaptureQueriesContext(connection) as ctx:
            response = member.get("/objectives", **params)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    def grow(n: int) -> None:
        for objective in make_objectives(world, n):
            services.align(actor=world.admin, child=objective, parent_objective=private_objective)
            services.create_key_result(
                actor=world.admin,
                objective=objective,
                title="Hidden",
                target_value=3,
                owner=world.admin,
                visibility="private",
            )

    grow(2)
    small, small_filtered = count(), count(team=str(world.team.uid), updated_since="2000-01-01")
    grow(4)
    assert count() == small
    assert count(team=str(world.team.uid), updated_since="2000-01-01") == small_filtered


def test_the_openapi_schema_documents_the_objective_operations_with_examples(
    world: World, call: Any
) -> None:
    schema = call(world.member).get("/openapi.json").json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/objectives"])
    assert {"get", "patch", "delete"} <= set(schema["paths"]["/api/v1/objectives/{objective_id}"])
    assert schema["components"]["schemas"]["ObjectiveOut"]["examples"]
    assert "409" in schema["paths"]["/api/v1/objectives/{objective_id}"]["patch"]["responses"]
