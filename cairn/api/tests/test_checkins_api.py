"""The check-in endpoints: written in sections, read back in the same shape, through the
same gate and services as the key result page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from ninja import NinjaAPI

from cairn.api.api import api as the_api
from cairn.api.schemas_checkins import CREATE_EXAMPLE
from cairn.checkins import services
from cairn.checkins.models import CheckIn
from cairn.conftest import World
from cairn.okrs import services as okr_services
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs.models import Member
from cairn.orgs.tokens import create_token

pytestmark = pytest.mark.django_db

# A Wednesday inside the fixture period (2026 Q4).
NOW = dt.datetime(2026, 11, 11, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
SECTIONS = ("progress", "confidence", "next_up", "reflection", "context")


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


class Api:
    """A client calling the API with one member's token."""

    def __init__(self, member: Member, *, read_only: bool = False) -> None:
        # A viewer's tokens are read-only, as everything else of theirs.
        read_only = read_only or not member.can_write
        _, raw = create_token(member=member, name="test", read_only=read_only)
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(
            f"/api/v1{path}", body, content_type="application/json", headers=self.headers
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            f"/api/v1{path}", body, content_type="application/json", headers=self.headers
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/api/v1{path}", headers=self.headers)


@pytest.fixture
def as_admin(world: World) -> Api:
    return Api(world.admin)


@pytest.fixture
def as_member(world: World) -> Api:
    return Api(world.member)


@pytest.fixture
def as_viewer(world: World) -> Api:
    return Api(world.viewer)


@pytest.fixture
def as_outsider(world: World) -> Api:
    return Api(world.outsider)


def url(kr: KeyResult) -> str:
    return f"/key-results/{kr.uid}/check-ins"


def with_next_up(kr: KeyResult, author: Member) -> CheckIn:
    """An earlier check-in with a Next Up, two days ago, for a reflection to be about."""
    return services.record_check_in(
        key_result=kr,
        author=author,
        next_up=services.NextUp(plan="Onboard two teams", due=TODAY),
        at=NOW - dt.timedelta(days=2),
    )


@pytest.fixture
def secret_kr(world: World, private_objective: Objective) -> KeyResult:
    return okr_services.create_key_result(
        actor=world.admin,
        objective=private_objective,
        title="PRIVATE-MARKER kr",
        start_value=0,
        target_value=10,
    )


# Writing and reading back -------------------------------------------------------------------


def test_a_member_checks_in_with_every_section_and_reads_it_back_in_the_same_shape(
    world: World, key_result: KeyResult, as_member: Api
) -> None:
    earlier = with_next_up(key_result, world.member)
    body = {**CREATE_EXAMPLE, "next_up": {**CREATE_EXAMPLE["next_up"], "due": "2026-11-20"}}

    response = as_member.post(url(key_result), body)

    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["progress"] == body["progress"]
    assert created["confidence"] == {**body["confidence"], "band": "at_risk"}
    assert created["next_up"] == body["next_up"]
    assert created["reflection"] == {**body["reflection"], "reflects_on": str(earlier.uid)}
    assert created["context"] == body["context"]
    assert created["insight"] is True and created["blocker"] is True
    assert created["author"] == {
        "id": str(world.member.uid),
        "name": world.member.name,
        "email": "mia@acme.test",
    }
    assert created["key_result"] == {"id": str(key_result.uid), "name": key_result.title}
    assert created["at"].startswith("2026-11-11T12:00:00")
    assert created["deleted"] is False and created["resolution"] is None
    # Read back, by id and in the list, in the same shape.
    assert as_member.get(f"/check-ins/{created['id']}").json() == created
    assert as_member.get(url(key_result)).json()["items"][0] == created
    # The key result's roll-ups moved, as after a check-in on the page.
    key_result.refresh_from_db()
    assert key_result.current_value == 34 and key_result.confidence == 6
    assert key_result.next_up_due == dt.date(2026, 11, 20) and key_result.open_blockers == 1


@pytest.mark.parametrize(
    "body",
    [
        {"progress": {"value": 120000}},
        {"progress": {"value": 2.5, "comment": "a bit"}},
        {"confidence": {"level": 0}},
        {"next_up": {"plan": "Call the five biggest customers"}},
        {"context": {"baseline": "21% today"}},
        {"confidence": {"level": 9}, "insight": True},
    ],
)
def test_a_check_in_may_have_any_subset_of_the_sections(
    world: World, key_result: KeyResult, as_member: Api, body: dict[str, Any]
) -> None:
    response = as_member.post(url(key_result), body)

    assert response.status_code == 201, response.json()
    created = response.json()
    for section in SECTIONS:
        if section not in body:
            assert created[section] is None
    for section, given in body.items():
        if isinstance(given, dict):
            assert {k: created[section][k] for k in given} == given
        else:
            assert created[section] == given


def test_a_next_up_without_a_date_is_due_on_the_next_check_in_day(
    world: World, key_result: KeyResult, as_member: Api
) -> None:
    created = as_member.post(url(key_result), {"next_up": {"plan": "Ship it"}}).json()
    expected = services.default_next_up_due(world.org)
    assert created["next_up"] == {"plan": "Ship it", "due": expected.isoformat()}


def test_a_milestone_takes_true_or_false(
    world: World, objective: Objective, as_member: Api
) -> None:
    milestone = okr_services.create_key_result(
        actor=world.member, objective=objective, title="Launch", kind="milestone"
    )
    created = as_member.post(url(milestone), {"progress": {"value": True}}).json()
    assert created["progress"]["value"] == 1
    milestone.refresh_from_db()
    assert milestone.is_done


# Validation: 422 naming the section field ---------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        # The service's rules, with its (translated) messages.
        ({"progress": {"value": True}}, "progress.value"),
        ({"confidence": {"level": 11}}, "confidence.level"),
        ({"confidence": {"level": -1}}, "confidence.level"),
        ({"next_up": {"plan": "   "}}, "next_up.plan"),
        ({"next_up": {"plan": "Late", "due": "2026-11-10"}}, "next_up.due"),
        ({"reflection": {"outcome": "done"}}, "reflection.outcome"),
        ({"context": {}}, "context.why"),
        # The schema's: a missing or mistyped field, an unknown section.
        ({"progress": {"comment": "no value"}}, "progress.value"),
        ({"confidence": {"level": "high"}}, "confidence.level"),
        ({"next_up": {"plan": "x", "due": "next week"}}, "next_up.due"),
        ({"reflection": {"learned": "no outcome"}}, "reflection.outcome"),
        ({"result": {"score": 0.7}}, "result.value"),
        ({"results": {"value": 1}}, "results"),
        ({"progress": {"value": 1, "comment": "nul\x00"}}, "progress.comment"),
    ],
)
def test_invalid_input_is_a_422_naming_the_field(
    world: World, key_result: KeyResult, as_member: Api, body: dict[str, Any], field: str
) -> None:
    response = as_member.post(url(key_result), body)

    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "invalid" and error["field"] == field and error["detail"]
    assert not CheckIn.objects.exists()


def test_a_reflection_needs_an_outcome_from_the_three(
    world: World, key_result: KeyResult, as_member: Api
) -> None:
    with_next_up(key_result, world.member)
    response = as_member.post(url(key_result), {"reflection": {"outcome": "maybe"}})
    assert response.status_code == 422
    assert response.json()["field"] == "reflection.outcome"
    assert "done, partly or not done" in response.json()["detail"]


def test_every_invalid_section_is_reported_at_once(
    world: World, key_result: KeyResult, as_member: Api
) -> None:
    response = as_member.post(
        url(key_result),
        {"confidence": {"level": 12}, "next_up": {"plan": ""}, "context": {"why": " "}},
    )
    assert response.status_code == 422
    error = response.json()
    assert error["field"] == "confidence.level"
    assert set(error["errors"]) == {"confidence.level", "next_up.plan", "context.why"}


@pytest.mark.parametrize("body", [{}, {"insight": True, "blocker": True}])
def test_a_check_in_needs_at_least_one_section(
    world: World, key_result: KeyResult, as_member: Api, body: dict[str, Any]
) -> None:
    response = as_member.post(url(key_result), body)
    assert response.status_code == 422
    assert response.json()["detail"] == "A check-in needs at least one section."


# The four people ----------------------------------------------------------------------------


def test_an_admin_checks_in_on_any_key_result(
    world: World, key_result: KeyResult, secret_kr: KeyResult, as_admin: Api
) -> None:
    assert as_admin.post(url(key_result), {"confidence": {"level": 7}}).status_code == 201
    assert as_admin.post(url(secret_kr), {"confidence": {"level": 7}}).status_code == 201
    assert len(as_admin.get(url(secret_kr)).json()["items"]) == 1


def test_a_viewer_reads_check_ins_but_gets_403_on_writing_one(
    world: World, key_result: KeyResult, as_viewer: Api, viewer_client: Client
) -> None:
    written = services.record_check_in(
        key_result=key_result, author=world.member, confidence=services.Confidence(level=8)
    )
    listed = as_viewer.get(url(key_result))
    assert listed.status_code == 200 and listed.json()["items"][0]["id"] == str(written.uid)
    assert as_viewer.get(f"/check-ins/{written.uid}").status_code == 200

    by_token = as_viewer.post(url(key_result), {"confidence": {"level": 7}})
    # In a browser session the role itself is the reason, as on the page.
    by_session = viewer_client.post(
        f"/api/v1{url(key_result)}", {"confidence": {"level": 7}}, content_type="application/json"
    )

    assert by_token.status_code == 403 and by_token.json()["code"] == "read_only_token"
    assert by_session.status_code == 403
    assert by_session.json()["detail"] == "Viewers have read-only access."
    assert by_session.json()["code"] == "forbidden"
    assert CheckIn.objects.count() == 1


def test_a_read_only_token_cannot_check_in(
    world: World, key_result: KeyResult, as_member: Api
) -> None:
    read_only = Api(world.member, read_only=True)
    assert read_only.get(url(key_result)).status_code == 200
    response = read_only.post(url(key_result), {"confidence": {"level": 7}})
    assert response.status_code == 403 and response.json()["code"] == "read_only_token"


def test_without_a_token_it_is_a_401(world: World, key_result: KeyResult) -> None:
    response = Client().get(f"/api/v1{url(key_result)}")
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"


def test_an_outsider_gets_404_for_everything_of_another_organization(
    world: World, key_result: KeyResult, as_outsider: Api
) -> None:
    written = services.record_check_in(
        key_result=key_result, author=world.member, confidence=services.Confidence(level=8)
    )
    assert as_outsider.get(url(key_result)).status_code == 404
    response = as_outsider.post(url(key_result), {"confidence": {"level": 1}})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert as_outsider.get(f"/check-ins/{written.uid}").status_code == 404
    assert as_outsider.patch(f"/check-ins/{written.uid}", {}).status_code == 404
    assert as_outsider.delete(f"/check-ins/{written.uid}?reason=x").status_code == 404
    assert CheckIn.objects.count() == 1


def test_a_private_key_results_check_ins_are_404_for_a_member_who_may_not_see_it(
    world: World, secret_kr: KeyResult, as_member: Api, as_viewer: Api, viewer_client: Client
) -> None:
    secret = services.record_check_in(
        key_result=secret_kr,
        author=world.admin,
        progress=services.Progress(value=3, comment="PRIVATE-MARKER progress"),
    )
    for caller in (as_member, as_viewer):
        assert caller.get(url(secret_kr)).status_code == 404
        response = caller.get(f"/check-ins/{secret.uid}")
        assert response.status_code == 404 and "PRIVATE-MARKER" not in response.content.decode()
    assert as_member.post(url(secret_kr), {"confidence": {"level": 5}}).status_code == 404
    assert as_member.patch(f"/check-ins/{secret.uid}", {}).status_code == 404
    # The gate comes before the role: a viewer's session learns nothing from a 403.
    by_session = viewer_client.post(
        f"/api/v1{url(secret_kr)}", {"confidence": {"level": 5}}, content_type="application/json"
    )
    assert by_session.status_code == 404
    assert CheckIn.objects.count() == 1


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_unknown_ids_are_404(world: World, as_member: Api, bad_id: str) -> None:
    assert as_member.get(f"/key-results/{bad_id}/check-ins").status_code == 404
    assert (
        as_member.post(f"/key-results/{bad_id}/check-ins", {"confidence": {"level": 1}}).status_code
        == 404
    )
    assert as_member.get(f"/check-ins/{bad_id}").status_code == 404


# The list: order, tombstones, incremental sync, pagination, queries -------------------------


def test_check_ins_are_listed_newest_first_and_deleted_ones_as_tombstones(
    world: World, key_result: KeyResult, as_member: Api, as_admin: Api
) -> None:
    old = services.record_check_in(
        key_result=key_result,
        author=world.member,
        progress=services.Progress(value=10, comment="SECRET-WORDS"),
        blocker=True,
        at=NOW - dt.timedelta(days=3),
    )
    new = services.record_check_in(
        key_result=key_result, author=world.member, confidence=services.Confidence(level=8)
    )

    deleted = as_admin.delete(f"/check-ins/{old.uid}?reason=Wrong+key+result")

    assert deleted.status_code == 200
    items = as_member.get(url(key_result)).json()["items"]
    assert [item["id"] for item in items] == [str(new.uid), str(old.uid)]
    tombstone = items[1]
    assert tombstone["deleted"] is True
    assert tombstone["deleted_by"]["id"] == str(world.admin.uid)
    assert tombstone["deleted_at"].startswith("2026-11-11")
    assert all(tombstone[section] is None for section in SECTIONS)
    assert tombstone["blocker"] is False and tombstone["insight"] is False
    assert "SECRET-WORDS" not in as_member.get(url(key_result)).content.decode()
    assert deleted.json() == tombstone
    key_result.refresh_from_db()
    assert key_result.open_blockers == 0 and key_result.current_value == 0


def test_only_admins_delete_a_check_in_and_they_say_why(
    world: World, key_result: KeyResult, as_member: Api, as_viewer: Api, as_admin: Api
) -> None:
    written = services.record_check_in(
        key_result=key_result, author=world.member, confidence=services.Confidence(level=8)
    )
    assert as_member.delete(f"/check-ins/{written.uid}?reason=x").status_code == 403
    assert as_viewer.delete(f"/check-ins/{written.uid}?reason=x").status_code == 403
    response = as_admin.delete(f"/check-ins/{written.uid}?reason=%20")
    assert response.status_code == 422 and response.json()["field"] == "reason"
    assert as_admin.delete(f"/check-ins/{written.uid}").status_code == 422
    written.refresh_from_db()
    assert not written.is_deleted


def test_updated_since_returns_what_was_written_corrected_or_deleted_since(
    world: World, key_result: KeyResult, as_member: Api, as_admin: Api
) -> None:
    before = services.record_check_in(
        key_result=key_result,
        author=world.member,
        confidence=services.Confidence(level=8),
        at=NOW - dt.timedelta(days=5),
    )
    later_deleted = services.record_check_in(
        key_result=key_result,
        author=world.member,
        confidence=services.Confidence(level=6),
        at=NOW - dt.timedelta(days=4),
    )
    since = NOW - dt.timedelta(days=1)
    services.delete_check_in(check_in=later_deleted, actor=world.admin)
    fresh = services.record_check_in(
        key_result=key_result, author=world.member, confidence=services.Confidence(level=7)
    )

    items = as_member.get(url(key_result), updated_since=since.isoformat()).json()["items"]

    assert [item["id"] for item in items] == [str(fresh.uid), str(later_deleted.uid)]
    assert str(before.uid) not in {item["id"] for item in items}
    assert all(item["updated_at"] >= since.isoformat().replace("+00:00", "") for item in items)
    naive = as_member.get(url(key_result), updated_since="2026-11-10T12:00:00")
    assert len(naive.json()["items"]) == 2


def test_the_list_paginates_in_a_stable_order(
    world: World, key_result: KeyResult, as_member: Api
) -> None:
    written = [
        services.record_check_in(
            key_result=key_result,
            author=world.member,
            confidence=services.Confidence(level=i % 11),
            # Two at the same moment: the id breaks the tie.
            at=NOW - dt.timedelta(hours=i // 2),
        )
        for i in range(5)
    ]
    first = as_member.get(url(key_result), limit=2).json()
    second = as_member.get(url(key_result), limit=2, offset=2).json()
    third = as_member.get(url(key_result), limit=2, offset=4).json()

    assert first["next_offset"] == 2 and second["next_offset"] == 4
    assert third["next_offset"] is None
    ids = [item["id"] for page in (first, second, third) for item in page["items"]]
    expected = sorted(written, key=lambda c: (c.at, c.pk), reverse=True)
    assert ids == [str(c.uid) for c in expected]


def test_the_list_uses_a_constant_number_of_queries(
    world: World, key_result: KeyResult, as_member: Api
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            earlier = services.record_check_in(
                key_result=key_result,
                author=world.member,
                next_up=services.NextUp(plan=f"plan {i}", due=TODAY),
                blocker=True,
                at=NOW - dt.timedelta(hours=10 * n + 2 * i + 1),
            )
            services.record_check_in(
                key_result=key_result,
                author=world.admin,
                reflection=services.Reflection(outcome="done"),
                progress=services.Progress(value=i),
                at=NOW - dt.timedelta(hours=10 * n + 2 * i),
            )
            services.resolve_blocker(check_in=earlier, actor=world.admin, how="fixed")
            services.delete_check_in(
                check_in=services.record_check_in(
                    key_result=key_result,
                    author=world.member,
                    confidence=services.Confidence(level=3),
                ),
                actor=world.admin,
            )

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = as_member.get(url(key_result), limit=200)
            assert response.status_code == 200
        return len(ctx.captured_queries)

    # The token's first use of the minute records it (one write): not part of the list.
    count()
    add(2)
    small = count()
    add(4)
    assert count() == small


# Corrections --------------------------------------------------------------------------------


def test_the_author_corrects_the_words_within_the_window_and_the_earlier_text_is_kept(
    world: World, key_result: KeyResult, as_member: Api
) -> None:
    created = as_member.post(
        url(key_result),
        {"progress": {"value": 5, "comment": "Two teams"}, "confidence": {"level": 6}},
    ).json()

    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        response = as_member.patch(
            f"/check-ins/{created['id']}",
            {
                "progress": {"comment": "Three teams"},
                "confidence": {"needs": "A reviewer"},
                "updated_at": created["updated_at"],
            },
        )

    assert response.status_code == 200, response.json()
    corrected = response.json()
    assert corrected["progress"] == {"value": 5, "comment": "Three teams"}
    assert corrected["confidence"]["needs"] == "A reviewer"
    assert corrected["edited_at"] is not None
    check_in = CheckIn.objects.get(uid=created["id"])
    assert check_in.revisions.get().before["progress_comment"] == "Two teams"
    # A second correction with the copy read before the first lost the race.
    with time_machine.travel(NOW + dt.timedelta(minutes=2), tick=False):
        stale = as_member.patch(
            f"/check-ins/{created['id']}",
            {"progress": {"comment": "Four"}, "updated_at": created["updated_at"]},
        )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"


def test_only_the_author_corrects_and_only_the_words(
    world: World, key_result: KeyResult, as_member: Api, as_admin: Api, as_viewer: Api
) -> None:
    created = as_member.post(url(key_result), {"next_up": {"plan": "Ship"}}).json()
    path = f"/check-ins/{created['id']}"
    assert as_admin.patch(path, {"next_up": {"plan": "Mine"}}).status_code == 403
    assert as_viewer.patch(path, {"next_up": {"plan": "Mine"}}).status_code == 403
    emptied = as_member.patch(path, {"next_up": {"plan": " "}})
    assert emptied.status_code == 422 and emptied.json()["field"] == "next_up.plan"
    value = as_member.patch(path, {"progress": {"comment": "x", "value": 3}})
    assert value.status_code == 422 and value.json()["field"] == "progress.value"
    with time_machine.travel(NOW + dt.timedelta(minutes=31), tick=False):
        late = as_member.patch(path, {"next_up": {"plan": "Later"}})
    assert late.status_code == 403


# The contract -------------------------------------------------------------------------------


def test_the_openapi_schema_has_the_issues_check_in_as_the_example_of_the_create_body() -> None:
    schema = NinjaAPI.get_openapi_schema(the_api)
    post = schema["paths"]["/api/v1/key-results/{key_result_id}/check-ins"]["post"]
    content = post["requestBody"]["content"]["application/json"]
    assert content["examples"]["every section"]["value"] == CREATE_EXAMPLE
    assert set(CREATE_EXAMPLE) == {*SECTIONS, "insight", "blocker"}
    body = schema["components"]["schemas"]["CheckInIn"]
    assert "result" in body["properties"] and body["additionalProperties"] is False
    assert set(post["responses"]) >= {201, 422}
