"""API v1: the closing checklist, closing and reopening (whole period and per team), and
carry-over (issue 6), for the four people. Errors share one shape: 403 without the right,
404 for anything hidden or foreign, 409 `period_closed`, 422 naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cairn.conftest import World
from cairn.okrs import services as okrs
from cairn.okrs.models import Objective
from cairn.orgs import services as orgs
from cairn.orgs.models import Member, PeriodState, TeamClosure
from cairn.orgs.tokens import create_token
from cairn.reporting import services
from cairn.reporting.tests.closing_world import Closing, build

pytestmark = pytest.mark.django_db

API = "/api/v1"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(autouse=True)
def _fresh_rate_limit() -> None:
    cache.clear()


def api_client(member: Member) -> Client:
    raw = create_token(member=member, name="test", read_only=not member.can_write)[1]
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def clients(world: World) -> dict[str, Client]:
    return {
        name: api_client(getattr(world, name)) for name in ("admin", "member", "viewer", "outsider")
    }


@pytest.fixture
def closing(world: World) -> Closing:
    return build(world)


def post(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(f"{API}{path}", body or {}, content_type="application/json")


def error(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["detail"], body
    assert set(body) <= {"detail", "code", "field"}
    if field is not None:
        assert body["field"] == field
    return body


def lead_of_product(world: World) -> None:
    orgs.update_team(team=world.team, actor=world.admin, lead=world.member)


# The checklist -------------------------------------------------------------------------------


def test_an_admin_reads_the_checklist(
    world: World, clients: dict[str, Client], closing: Closing
) -> None:
    response = clients["admin"].get(f"{API}/periods/{world.period.uid}/checklist")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == {"id": str(world.period.uid), "name": "2026 Q4"}
    assert (body["team"], body["state"], body["closed"]) == (None, "active", None)
    assert body["counts"] == {
        "missing_results": 2,
        "open_blockers": 1,
        "open_initiatives": 2,
        "unfinished_objectives": 1,
    }
    assert [kr["title"] for kr in body["missing_results"]] == ["Signups", "Private pipeline"]
    assert body["open_blockers"][0]["id"] == str(closing.blocker.uid)
    assert "BLOCKER-WORDS" in body["open_blockers"][0]["text"]
    assert {i["title"] for i in body["open_initiatives"]} == {"Referral flow", "Landing page"}
    unfinished = body["unfinished_objectives"][0]
    assert unfinished["id"] == str(closing.objective.uid) and unfinished["can_carry_over"]
    assert {(kr["title"], kr["unfinished"]) for kr in unfinished["key_results"]} == {
        ("Signups", True),
        ("Demo calls", False),
        ("Private pipeline", True),
    }
    assert body["next_period"]["name"] == "2027 Q1"


def test_a_lead_reads_the_teams_checklist_only(
    world: World, clients: dict[str, Client], closing: Closing
) -> None:
    lead_of_product(world)
    member = clients["member"]
    path = f"{API}/periods/{world.period.uid}/checklist"
    assert member.get(f"{path}?team={world.team.uid}").status_code == 200
    error(member.get(path), 403, "forbidden")
    error(member.get(f"{path}?team={world.other_team.uid}"), 403, "forbidden")


def test_a_leads_checklist_leaves_out_another_teams_private_key_result(
    world: World, clients: dict[str, Client], closing: Closing
) -> None:
    lead_of_product(world)
    public = okrs.create_objective(
        actor=world.admin, period=world.period, title="Platform's", owner_teams=[world.other_team]
    )
    secret = okrs.create_key_result(
        actor=world.admin, objective=public, title="PRIVATE-KR-MARKER", visibility="private"
    )
    okrs.create_initiative(
        actor=world.admin, objective=public, team=world.team, title="PRIVATE-INI", key_result=secret
    )
    response = clients["member"].get(
        f"{API}/periods/{world.period.uid}/checklist?team={world.team.uid}"
    )
    assert response.status_code == 200
    assert "PRIVATE-KR-MARKER" not in response.content.decode()
    assert "PRIVATE-INI" not in response.content.decode()


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_without_the_right_the_checklist_is_a_403(
    world: World, clients: dict[str, Client], who: str
) -> None:
    error(clients[who].get(f"{API}/periods/{world.period.uid}/checklist"), 403, "forbidden")


def test_foreign_hidden_and_made_up_ids_are_a_404(world: World, clients: dict[str, Client]) -> None:
    outsider, admin = clients["outsider"], clients["admin"]
    for path in (
        f"/periods/{world.period.uid}/checklist",
        f"/periods/{UNKNOWN_ID}/checklist",
        "/periods/not-an-id/checklist",
    ):
        error(outsider.get(f"{API}{path}"), 404, "not_found")
    error(admin.get(f"{API}/periods/{world.other_period.uid}/checklist"), 404, "not_found")
    error(
        admin.get(f"{API}/periods/{world.period.uid}/checklist?team={UNKNOWN_ID}"),
        404,
        "not_found",
    )
    for path in (
        f"/periods/{world.period.uid}/close",
        f"/periods/{world.period.uid}/reopen",
        f"/periods/{world.period.uid}/teams/{world.team.uid}/close",
        f"/periods/{world.period.uid}/teams/{world.team.uid}/reopen",
    ):
        error(post(outsider, path, {"reason": "x"}), 404, "not_found")
    error(post(admin, f"/periods/{world.period.uid}/teams/{UNKNOWN_ID}/close"), 404, "not_found")
    world.period.refresh_from_db()
    assert world.period.state == PeriodState.ACTIVE


# Closing and reopening -----------------------------------------------------------------------


def test_an_admin_closes_and_reopens_a_period(world: World, clients: dict[str, Client]) -> None:
    admin = clients["admin"]
    response = post(admin, f"/periods/{world.period.uid}/close", {"note": "Review done"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "closed"
    assert body["closed_by"]["id"] == str(world.admin.uid) and body["closed_at"]
    again = admin.get(f"{API}/periods/{world.period.uid}").json()
    assert again == body
    error(post(admin, f"/periods/{world.period.uid}/close"), 422, "invalid")
    error(
        post(admin, f"/periods/{world.period.uid}/reopen", {"reason": " "}),
        422,
        "invalid",
        "reason",
    )
    error(post(admin, f"/periods/{world.period.uid}/reopen"), 422, "invalid", "reason")
    response = post(admin, f"/periods/{world.period.uid}/reopen", {"reason": "Late results"})
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["closed_at"]) == ("active", None)


@pytest.mark.parametrize(("who", "code"), [("member", "forbidden"), ("viewer", "read_only_token")])
def test_a_member_or_viewer_cannot_close_or_reopen(
    world: World, clients: dict[str, Client], who: str, code: str
) -> None:
    error(post(clients[who], f"/periods/{world.period.uid}/close"), 403, code)
    error(
        post(clients[who], f"/periods/{world.period.uid}/teams/{world.team.uid}/close"), 403, code
    )
    services.close_period(period=world.period, actor=world.admin)
    error(post(clients[who], f"/periods/{world.period.uid}/reopen", {"reason": "x"}), 403, code)


def test_a_lead_closes_for_the_team_and_only_an_admin_reopens_it(
    world: World, clients: dict[str, Client], closing: Closing
) -> None:
    lead_of_product(world)
    member = clients["member"]
    error(
        post(member, f"/periods/{world.period.uid}/teams/{world.other_team.uid}/close"),
        403,
        "forbidden",
    )
    response = post(
        member, f"/periods/{world.period.uid}/teams/{world.team.uid}/close", {"note": "Done"}
    )
    assert response.status_code == 200, response.content
    closures = response.json()["team_closures"]
    assert [c["team"]["name"] for c in closures] == ["Product"]
    assert closures[0]["closed_by"]["id"] == str(world.member.uid)
    assert response.json()["state"] == "active"
    objective = clients["admin"].get(f"{API}/objectives/{closing.objective.uid}").json()
    assert objective["closed"] is True
    path = f"/periods/{world.period.uid}/teams/{world.team.uid}/reopen"
    error(post(member, path, {"reason": "Me"}), 403, "forbidden")
    assert post(clients["admin"], path, {"reason": "Oops"}).status_code == 200
    assert not TeamClosure.objects.exists()
    error(post(clients["admin"], path, {"reason": "Again"}), 422, "invalid")


def test_writes_to_a_closed_period_are_a_409_period_closed(
    world: World, clients: dict[str, Client], closing: Closing
) -> None:
    post(clients["admin"], f"/periods/{world.period.uid}/close")
    response = clients["member"].patch(
        f"{API}/objectives/{closing.objective.uid}",
        {"title": "Too late"},
        content_type="application/json",
    )
    body = error(response, 409, "period_closed")
    assert "2026 Q4 is closed" in body["detail"]


# Carry-over ----------------------------------------------------------------------------------


def test_carry_over_answers_the_continuation_with_links_both_ways(
    world: World, clients: dict[str, Client], closing: Closing
) -> None:
    services.close_period(period=world.period, actor=world.admin)
    response = post(clients["member"], f"/objectives/{closing.objective.uid}/carry-over")
    assert response.status_code == 201, response.content
    new = response.json()
    assert new["period"]["name"] == "2027 Q1"
    assert new["continued_from"] == {
        "id": str(closing.objective.uid),
        "title": closing.objective.title,
        "period": {"id": str(world.period.uid), "name": "2026 Q4"},
    }
    assert new["closed"] is False
    assert {kr["title"] for kr in new["key_results"]} == {"Signups", "Private pipeline"}
    old = clients["member"].get(f"{API}/objectives/{closing.objective.uid}").json()
    assert [ref["id"] for ref in old["continued_into"]] == [new["id"]]
    assert old["closed"] is True
    signups = next(kr for kr in new["key_results"] if kr["title"] == "Signups")
    kr = clients["member"].get(f"{API}/key-results/{signups['id']}").json()
    assert kr["start"] == 40 and kr["continued_from"]["id"] == str(closing.signups.uid)
    old_kr = clients["member"].get(f"{API}/key-results/{closing.signups.uid}").json()
    assert old_kr["continued_into"][0]["period"]["name"] == "2027 Q1"


def test_carry_over_of_chosen_key_results_adds_only_what_is_missing(
    world: World, clients: dict[str, Client], closing: Closing
) -> None:
    member = clients["member"]
    path = f"/objectives/{closing.objective.uid}/carry-over"
    first = post(member, path, {"key_results": [str(closing.signups.uid)]}).json()
    assert [kr["title"] for kr in first["key_results"]] == ["Signups"]
    again = post(
        member, path, {"key_results": [str(closing.signups.uid), str(closing.private.uid)]}
    )
    assert again.status_code == 201
    assert again.json()["id"] == first["id"]
    assert sorted(kr["title"] for kr in again.json()["key_results"]) == [
        "Private pipeline",
        "Signups",
    ]


def test_carry_over_errors(world: World, clients: dict[str, Client], closing: Closing) -> None:
    member, admin = clients["member"], clients["admin"]
    path = f"/objectives/{closing.objective.uid}/carry-over"
    error(post(member, path, {"key_results": [UNKNOWN_ID]}), 422, "invalid", "key_results")
    error(
        post(member, path, {"key_results": [str(closing.demos.uid)]}), 422, "invalid", "key_results"
    )
    error(post(member, path, {"period": UNKNOWN_ID}), 422, "invalid", "period")
    error(post(member, path, {"period": str(world.period.uid)}), 422, "invalid", "period")
    error(post(clients["viewer"], path), 403, "read_only_token")
    error(post(clients["outsider"], path), 404, "not_found")
    error(post(member, f"/objectives/{closing.company.uid}/carry-over"), 403, "forbidden")
    assert closing.next_period is not None
    services.close_period(period=closing.next_period, actor=world.admin)
    error(post(admin, path), 409, "period_closed")
    assert not Objective.objects.filter(continued_from=closing.objective).exists()


def test_without_a_next_period_carry_over_is_a_422_on_period(
    world: World, clients: dict[str, Client]
) -> None:
    built = build(world, with_next=False)
    body = error(
        post(clients["member"], f"/objectives/{built.objective.uid}/carry-over"),
        422,
        "invalid",
        "period",
    )
    assert "There is no period after 2026 Q4 yet" in body["detail"]


def test_a_private_objective_of_another_team_is_a_404(
    world: World, clients: dict[str, Client], private_objective: Objective
) -> None:
    error(
        post(clients["member"], f"/objectives/{private_objective.uid}/carry-over"), 404, "not_found"
    )


# Periods with their closures -----------------------------------------------------------------


def test_periods_list_their_closures_in_a_constant_number_of_queries(
    world: World, clients: dict[str, Client]
) -> None:
    import datetime as dt

    admin = clients["admin"]

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin.get(f"{API}/periods").status_code == 200
        return len(ctx.captured_queries)

    services.close_for_team(period=world.period, team=world.team, actor=world.admin)
    count()  # the token's first use is recorded once
    small = count()
    for year in range(2030, 2034):
        period = orgs.create_period(
            organization=world.org,
            actor=world.admin,
            name=f"{year} Q1",
            start=dt.date(year, 1, 1),
            end=dt.date(year, 3, 31),
        )
        services.close_for_team(period=period, team=world.team, actor=world.admin)
        services.close_period(period=period, actor=world.admin)
    assert count() == small
    items = admin.get(f"{API}/periods").json()["items"]
    assert items[0]["team_closures"][0]["team"]["name"] == "Product"
    assert items[-1]["closed_by"]["name"] == "Ada Admin"


def test_the_checklist_query_count_does_not_grow(
    world: World, clients: dict[str, Client], closing: Closing
) -> None:
    admin = clients["admin"]
    path = f"{API}/periods/{world.period.uid}/checklist"

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin.get(path).status_code == 200
        return len(ctx.captured_queries)

    count()  # the token's first use is recorded once
    small = count()
    for i in range(4):
        objective = okrs.create_objective(
            actor=world.admin, period=world.period, title=f"More {i}", owner_teams=[world.team]
        )
        okrs.create_key_result(actor=world.admin, objective=objective, title=f"KR {i}")
        okrs.create_initiative(
            actor=world.admin, objective=objective, team=world.team, title=f"Work {i}"
        )
    services.carry_over(actor=world.admin, objective=closing.objective)
    assert count() == small
