"""The Result through the API: the check-in's `result` section written and read in the same
shape as the other sections, scores on key results and objectives (viewer-scoped), the
inbox's missing results, and the errors (422 naming the field, 404, 403, 409)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from ninja import NinjaAPI

from cairn.api.api import api as the_api
from cairn.api.schemas_checkins import RESULT_EXAMPLE
from cairn.checkins import services
from cairn.checkins.models import CheckIn
from cairn.conftest import World
from cairn.okrs import services as okr_services
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs.models import Member
from cairn.orgs.tokens import create_token

pytestmark = pytest.mark.django_db

API = "/api/v1"
# The fixture period (2026 Q4) ends on 31 December: results open on 17 December.
NOW = dt.datetime(2026, 12, 20, 12, 0, tzinfo=dt.UTC)
BEFORE_THE_WINDOW = dt.datetime(2026, 12, 16, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


class Caller:
    """One person calling the API with a personal token (read-only for a viewer)."""

    def __init__(self, member: Member) -> None:
        _token, raw = create_token(member=member, name="test", read_only=not member.can_write)
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(API + path, params, headers=self.headers)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(
            API + path, json.dumps(body), content_type="application/json", headers=self.headers
        )

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.patch(
            API + path, json.dumps(body), content_type="application/json", headers=self.headers
        )


def check_ins_of(key_result: KeyResult) -> str:
    return f"/key-results/{key_result.uid}/check-ins"


def fresh(key_result: KeyResult) -> KeyResult:
    return KeyResult.objects.get(pk=key_result.pk)


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> Any:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and body["detail"]
    if field is not None:
        assert body["field"] == field
    return body


@pytest.fixture
def platform_objective(world: World) -> Objective:
    """The Platform team's public objective: the member sees it, but may not edit it."""
    return okr_services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Scale the platform",
        owner_teams=[world.other_team],
    )


def platform_kr(world: World, objective: Objective, title: str, **fields: Any) -> KeyResult:
    return okr_services.create_key_result(
        actor=world.admin,
        objective=objective,
        title=title,
        start_value=0,
        target_value=10_000,
        owner=world.admin,
        **fields,
    )


# Writing and reading a result ---------------------------------------------------------------


def test_the_owner_writes_a_result_and_reads_it_back_in_the_same_shape(
    world: World, key_result: KeyResult
) -> None:
    body = {
        "result": {
            "value": 350_000,
            "score": 0.8,
            "override_reason": "Late deals count.",
            "worked": "Referrals",
            "did_not_work": "Ads",
            "learned": "Start early",
        }
    }
    response = Caller(world.member).post(check_ins_of(key_result), body)

    assert response.status_code == 201, response.content
    written = response.json()
    assert written["result"] == {**body["result"], "score_overridden": True}
    # The final value is the latest progress value too.
    assert written["progress"] == {"value": 350_000, "comment": ""}
    read = Caller(world.viewer).get(f"/check-ins/{written['id']}").json()
    assert read["result"] == written["result"]
    listed = Caller(world.viewer).get(check_ins_of(key_result)).json()["items"]
    assert listed[0]["result"] == written["result"]


def test_a_result_without_a_score_gets_the_computed_one(
    world: World, key_result: KeyResult
) -> None:
    response = Caller(world.member).post(check_ins_of(key_result), {"result": {"value": 347_500}})
    assert response.status_code == 201
    assert response.json()["result"] == {
        "value": 347_500,
        "score": 0.7,
        "score_overridden": False,
        "override_reason": "",
        "worked": "",
        "did_not_work": "",
        "learned": "",
    }


def test_a_check_in_without_a_result_reads_with_a_null_result(
    world: World, key_result: KeyResult
) -> None:
    response = Caller(world.member).post(check_ins_of(key_result), {"progress": {"value": 3}})
    assert response.status_code == 201 and response.json()["result"] is None


def test_a_milestone_result_takes_true(world: World, objective: Objective) -> None:
    milestone = okr_services.create_key_result(
        actor=world.member, objective=objective, title="Open Berlin", kind="milestone"
    )
    response = Caller(world.member).post(check_ins_of(milestone), {"result": {"value": True}})
    assert response.status_code == 201
    assert response.json()["result"]["value"] == 1 and response.json()["result"]["score"] == 1.0


def test_the_author_corrects_the_retrospective(world: World, key_result: KeyResult) -> None:
    caller = Caller(world.member)
    written = caller.post(check_ins_of(key_result), {"result": {"value": 1, "learned": "Tpyo"}})
    response = caller.patch(f"/check-ins/{written.json()['id']}", {"result": {"learned": "Typo"}})
    assert response.status_code == 200, response.content
    assert response.json()["result"]["learned"] == "Typo" and response.json()["edited_at"]


# Errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"result": {"value": 350_000, "score": 0.8}}, "result.override_reason"),
        ({"result": {"value": 350_000, "score": 1.5, "override_reason": "x"}}, "result.score"),
        ({"result": {"value": -1, "worked": "x"}, "progress": {"value": 3}}, "result.value"),
        ({"result": {"score": 0.8}}, "result.value"),
        ({"result": {"value": 1, "score": 0.1, "reason": "typo"}}, "result.reason"),
    ],
)
def test_an_invalid_result_is_a_422_naming_the_field(
    world: World, key_result: KeyResult, body: dict[str, Any], field: str
) -> None:
    response = Caller(world.member).post(check_ins_of(key_result), body)
    assert_error(response, 422, "invalid", field)
    assert not CheckIn.objects.exists() and fresh(key_result).score is None


def test_a_result_before_the_window_is_a_422_on_its_value(
    world: World, key_result: KeyResult
) -> None:
    with time_machine.travel(BEFORE_THE_WINDOW, tick=False):
        response = Caller(world.member).post(check_ins_of(key_result), {"result": {"value": 1}})
    body = assert_error(response, 422, "invalid", "result.value")
    assert "Results open" in body["detail"]


def test_a_member_who_cannot_edit_the_key_result_may_not_override_its_score(
    world: World, platform_objective: Objective
) -> None:
    kr = platform_kr(world, platform_objective, "Throughput")
    caller = Caller(world.member)
    refused = caller.post(
        check_ins_of(kr), {"result": {"value": 5_000, "score": 0.9, "override_reason": "Mine"}}
    )
    assert_error(refused, 422, "invalid", "result.score")
    # The computed score is theirs to record: a check-in is a contribution.
    assert caller.post(check_ins_of(kr), {"result": {"value": 5_000}}).status_code == 201
    assert fresh(kr).score == Decimal("0.50")


def test_a_result_is_a_404_for_an_outsider_and_a_403_for_a_viewer(
    world: World, key_result: KeyResult
) -> None:
    body = {"result": {"value": 1}}
    assert_error(Caller(world.outsider).post(check_ins_of(key_result), body), 404, "not_found")
    response = Caller(world.viewer).post(check_ins_of(key_result), body)
    assert response.status_code == 403
    assert not CheckIn.objects.exists()


def test_a_result_on_a_closed_objective_is_a_409(world: World, key_result: KeyResult) -> None:
    Objective.objects.filter(pk=key_result.objective_id).update(closed_at=timezone.now())
    response = Caller(world.member).post(check_ins_of(key_result), {"result": {"value": 1}})
    assert_error(response, 409, "period_closed")


# Scores on key results and objectives -------------------------------------------------------


def test_a_key_result_reads_with_its_score_and_when_it_was_scored(
    world: World, key_result: KeyResult
) -> None:
    caller = Caller(world.member)
    before = caller.get(f"/key-results/{key_result.uid}").json()
    assert before["score"] is None and before["scored_at"] is None

    caller.post(check_ins_of(key_result), {"result": {"value": 350_000}})

    after = caller.get(f"/key-results/{key_result.uid}").json()
    assert after["score"] == 0.7
    assert dt.datetime.fromisoformat(after["scored_at"]) == NOW
    assert after["current_value"] == 350_000


def test_an_objective_score_is_over_the_key_results_the_caller_may_see(
    world: World, platform_objective: Objective
) -> None:
    public = platform_kr(world, platform_objective, "Public")
    private = platform_kr(world, platform_objective, "PRIVATE-MARKER", visibility="private")
    platform_kr(world, platform_objective, "Not scored")
    services.record_check_in(
        key_result=public, author=world.admin, result=services.Result(value=4_000)
    )
    services.record_check_in(
        key_result=private, author=world.admin, result=services.Result(value=10_000)
    )
    path = f"/objectives/{platform_objective.uid}"

    as_member = Caller(world.member).get(path).json()
    as_admin = Caller(world.admin).get(path).json()

    assert as_member["score"] == pytest.approx(0.4)
    assert "PRIVATE-MARKER" not in json.dumps(as_member)
    assert as_admin["score"] == pytest.approx(0.7)
    scores = {kr["title"]: kr["score"] for kr in as_admin["key_results"]}
    assert scores == {"Public": 0.4, "PRIVATE-MARKER": 1.0, "Not scored": None}


def test_an_objective_without_a_scored_key_result_has_a_null_score(
    world: World, objective: Objective
) -> None:
    assert Caller(world.member).get(f"/objectives/{objective.uid}").json()["score"] is None


def test_a_shared_objective_has_one_score(world: World) -> None:
    shared = okr_services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Launch together",
        owner_teams=[world.team, world.other_team],
    )
    kr = okr_services.create_key_result(
        actor=world.admin, objective=shared, title="Conversion", start_value=0, target_value=5
    )
    services.record_check_in(key_result=kr, author=world.admin, result=services.Result(value=3))
    body = Caller(world.member).get(f"/objectives/{shared.uid}").json()
    assert body["score"] == pytest.approx(0.6) and len(body["owner_teams"]) == 2


def _count(caller: Caller, path: str) -> int:
    # The token's first use of the minute is written down: not a query of the page.
    assert caller.get(path).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert caller.get(path).status_code == 200
    return len(ctx.captured_queries)


def _scored(world: World, n: int, prefix: str) -> None:
    for i in range(n):
        objective = okr_services.create_objective(
            actor=world.admin,
            period=world.period,
            title=f"{prefix} {i}",
            owner_teams=[world.team],
        )
        kr = okr_services.create_key_result(
            actor=world.admin,
            objective=objective,
            title=f"{prefix} {i} kr",
            start_value=0,
            target_value=10,
            owner=world.member,
        )
        services.record_check_in(
            key_result=kr, author=world.admin, result=services.Result(value=i % 10)
        )


def test_scores_add_no_query_per_objective_or_key_result(world: World) -> None:
    caller = Caller(world.member)
    _scored(world, 2, "A")
    objectives, key_results = _count(caller, "/objectives"), _count(caller, "/key-results")
    _scored(world, 5, "B")
    assert _count(caller, "/objectives") == objectives
    assert _count(caller, "/key-results") == key_results


# The inbox ----------------------------------------------------------------------------------


def _mine(world: World, objective: Objective, title: str) -> KeyResult:
    return okr_services.create_key_result(
        actor=world.admin,
        objective=objective,
        title=title,
        start_value=0,
        target_value=10,
        owner=world.member,
    )


@pytest.fixture
def team_objective(world: World) -> Objective:
    return okr_services.create_objective(
        actor=world.admin, period=world.period, title="Team goal", owner_teams=[world.team]
    )


def test_the_inbox_lists_missing_results(world: World, team_objective: Objective) -> None:
    missing = _mine(world, team_objective, "Missing")
    scored = _mine(world, team_objective, "Scored")
    services.record_check_in(
        key_result=scored, author=world.member, result=services.Result(value=7)
    )

    body = Caller(world.member).get("/inbox").json()

    assert [item["key_result"]["id"] for item in body["missing_results"]] == [str(missing.uid)]
    item = body["missing_results"][0]
    assert item["period_end"] == "2026-12-31" and item["period_ended"] is False
    assert item["key_result"]["title"] == "Missing"


def test_the_inbox_has_no_missing_results_before_the_window(
    world: World, team_objective: Objective
) -> None:
    _mine(world, team_objective, "Not yet")
    with time_machine.travel(BEFORE_THE_WINDOW, tick=False):
        assert Caller(world.member).get("/inbox").json()["missing_results"] == []


def test_the_inbox_reads_missing_results_in_a_constant_number_of_queries(
    world: World, team_objective: Objective
) -> None:
    caller = Caller(world.member)
    _mine(world, team_objective, "One")
    small = _count(caller, "/inbox")
    for i in range(4):
        _mine(world, team_objective, f"More {i}")
    assert _count(caller, "/inbox") == small


# The contract -------------------------------------------------------------------------------


def test_the_openapi_document_has_result_examples_and_scores() -> None:
    document = NinjaAPI.get_openapi_schema(the_api)
    post = document["paths"]["/api/v1/key-results/{key_result_id}/check-ins"]["post"]
    examples = post["requestBody"]["content"]["application/json"]["examples"]
    assert examples["a result, with the score overridden"]["value"] == RESULT_EXAMPLE
    components = document["components"]["schemas"]
    assert "result" in components["CheckInIn"]["properties"]
    assert "result" in components["CheckInOut"]["properties"]
    assert set(components["CheckInResultOut"]["properties"]) == {
        "value",
        "score",
        "score_overridden",
        "override_reason",
        "worked",
        "did_not_work",
        "learned",
    }
    assert {"score", "scored_at"} <= set(components["KeyResultOut"]["properties"])
    assert "score" in components["ObjectiveOut"]["properties"]
    assert "missing_results" in components["InboxOut"]["properties"]
