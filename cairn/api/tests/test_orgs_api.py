"""API v1 over the organization: /periods, /teams, /members (and /me), for the four people.

Everyone in an organization reads its periods, teams and people (as on the web pages); the
outsider gets a 404 for every id of ours, however it is spelled."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cairn.conftest import World
from cairn.orgs import services as org_services
from cairn.orgs.models import Member, PeriodKind, PeriodState, Role
from cairn.orgs.tokens import create_token

API = "/api/v1"
PEOPLE = ("admin", "member", "viewer")
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


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


# /me ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [*PEOPLE, "outsider"])
def test_me_is_the_tokens_member(world: World, clients: dict[str, Client], who: str) -> None:
    person: Member = getattr(world, who)
    body = clients[who].get(f"{API}/me").json()
    assert body == {
        "id": str(person.uid),
        "name": person.name,
        "email": person.user.email,
        "role": person.role,
        "organization": person.organization.slug,
        "organization_name": person.organization.name,
        "token_read_only": person.role == Role.VIEWER,
    }


# /periods -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", PEOPLE)
def test_everyone_in_the_organization_reads_its_periods(
    world: World, clients: dict[str, Client], who: str
) -> None:
    body = clients[who].get(f"{API}/periods").json()
    assert body["items"] == [
        {
            "id": str(world.period.uid),
            "name": "2026 Q4",
            "kind": "quarter",
            "start": "2026-10-01",
            "end": "2026-12-31",
            "state": "active",
            "closed_at": None,
            "closed_by": None,
            "team_closures": [],
        }
    ]
    assert (body["limit"], body["offset"], body["next_offset"]) == (50, 0, None)
    one = clients[who].get(f"{API}/periods/{world.period.uid}")
    assert one.json() == body["items"][0]


def test_the_outsider_sees_only_their_own_periods(world: World, clients: dict[str, Client]) -> None:
    assert ids(clients["outsider"].get(f"{API}/periods")) == [str(world.other_period.uid)]
    response = clients["outsider"].get(f"{API}/periods/{world.period.uid}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("bad", ["nope", "123", UNKNOWN_ID, f"{UNKNOWN_ID}x"])
def test_an_unknown_or_malformed_period_id_is_a_404(
    world: World, clients: dict[str, Client], bad: str
) -> None:
    response = clients["member"].get(f"{API}/periods/{bad}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_periods_filter_by_state_and_kind(world: World, clients: dict[str, Client]) -> None:
    year = org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2027",
        kind=PeriodKind.YEAR,
        start=dt.date(2027, 1, 1),
        end=dt.date(2027, 12, 31),
        state=PeriodState.PLANNING,
    )
    client = clients["viewer"]
    assert ids(client.get(f"{API}/periods")) == [str(world.period.uid), str(year.uid)]
    assert ids(client.get(f"{API}/periods?state=planning")) == [str(year.uid)]
    assert ids(client.get(f"{API}/periods?kind=quarter")) == [str(world.period.uid)]
    assert client.get(f"{API}/periods?state=done").json()["field"] == "state"


# /teams ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", PEOPLE)
def test_everyone_in_the_organization_reads_its_teams(
    world: World, clients: dict[str, Client], who: str
) -> None:
    org_services.update_team(
        team=world.other_team,
        actor=world.admin,
        name="Platform",
        description="Runs the platform.",
        parent=world.team,
        lead=world.member,
    )
    body = clients[who].get(f"{API}/teams").json()
    by_name = {team["name"]: team for team in body["items"]}
    assert list(by_name) == ["Platform", "Product"]
    assert by_name["Product"]["members"] == [str(world.member.uid)]
    assert by_name["Product"]["parent"] is None
    assert by_name["Platform"] == {
        "id": str(world.other_team.uid),
        "name": "Platform",
        "description": "Runs the platform.",
        "parent": {"id": str(world.team.uid), "name": "Product"},
        "lead": {"id": str(world.member.uid), "name": "Mia Member", "email": "mia@acme.test"},
        # A lead is made a member of the team they lead.
        "members": [str(world.member.uid)],
    }
    one = clients[who].get(f"{API}/teams/{world.other_team.uid}").json()
    assert one == by_name["Platform"]


def test_a_teams_member_ids_leave_out_inactive_people(
    world: World, clients: dict[str, Client]
) -> None:
    org_services.change_member(member=world.member, actor=world.admin, is_active=False)
    assert clients["viewer"].get(f"{API}/teams/{world.team.uid}").json()["members"] == []


@pytest.mark.parametrize("bad", ["team", "0", UNKNOWN_ID])
def test_the_outsider_and_bad_ids_get_a_404_for_a_team(
    world: World, clients: dict[str, Client], bad: str
) -> None:
    assert clients["outsider"].get(f"{API}/teams/{world.team.uid}").status_code == 404
    assert clients["outsider"].get(f"{API}/teams").json()["items"] == []
    assert clients["admin"].get(f"{API}/teams/{bad}").status_code == 404


# /members -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", PEOPLE)
def test_everyone_in_the_organization_reads_its_members(
    world: World, clients: dict[str, Client], who: str
) -> None:
    body = clients[who].get(f"{API}/members").json()
    by_email = {person["email"]: person for person in body["items"]}
    assert set(by_email) == {"ada@acme.test", "mia@acme.test", "vic@acme.test"}
    assert by_email["mia@acme.test"] == {
        "id": str(world.member.uid),
        "name": "Mia Member",
        "email": "mia@acme.test",
        "role": "member",
        "title": "",
        "active": True,
        "teams": [{"id": str(world.team.uid), "name": "Product"}],
    }
    one = clients[who].get(f"{API}/members/{world.member.uid}").json()
    assert one == by_email["mia@acme.test"]


def test_the_outsider_gets_a_404_for_our_members(world: World, clients: dict[str, Client]) -> None:
    for person in (world.admin, world.member, world.viewer):
        response = clients["outsider"].get(f"{API}/members/{person.uid}")
        assert response.status_code == 404
    emails = [p["email"] for p in clients["outsider"].get(f"{API}/members").json()["items"]]
    assert emails == ["otto@globex.test"]
    # Naming one of our teams as a filter is a 404 too, not an empty list.
    assert clients["outsider"].get(f"{API}/members?team={world.team.uid}").status_code == 404


def test_members_filter_by_role_team_and_activity(world: World, clients: dict[str, Client]) -> None:
    org_services.change_member(member=world.viewer, actor=world.admin, is_active=False)
    client = clients["member"]
    assert ids(client.get(f"{API}/members?role=admin")) == [str(world.admin.uid)]
    assert ids(client.get(f"{API}/members?team={world.team.uid}")) == [str(world.member.uid)]
    assert ids(client.get(f"{API}/members?active=false")) == [str(world.viewer.uid)]
    assert str(world.viewer.uid) not in ids(client.get(f"{API}/members?active=true"))
    # Inactive people come last.
    assert ids(client.get(f"{API}/members"))[-1] == str(world.viewer.uid)
    assert client.get(f"{API}/members?team=nope").status_code == 404


def test_an_inactive_member_can_still_be_looked_up(
    world: World, clients: dict[str, Client]
) -> None:
    org_services.change_member(member=world.viewer, actor=world.admin, is_active=False)
    body = clients["member"].get(f"{API}/members/{world.viewer.uid}").json()
    assert body["active"] is False


# Pagination and query counts ------------------------------------------------------------


def _add_people(world: World, count: int, start: int = 0) -> None:
    for number in range(start, start + count):
        org_services.add_member(
            organization=world.org,
            email=f"person{number:03d}@acme.test",
            role=Role.MEMBER,
            name=f"Person {number:03d}",
            actor=world.admin,
            team=world.team if number % 2 else world.other_team,
        )


def test_members_page_in_a_stable_order(world: World, clients: dict[str, Client]) -> None:
    _add_people(world, 7)
    client = clients["viewer"]
    every = ids(client.get(f"{API}/members?limit=200"))
    assert len(every) == 10
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        body = client.get(f"{API}/members?limit=3&offset={offset}").json()
        assert body["limit"] == 3 and body["offset"] == offset
        assert len(body["items"]) <= 3
        seen += [item["id"] for item in body["items"]]
        offset = body["next_offset"]
    assert seen == every
    assert client.get(f"{API}/members?limit=3&offset=99").json()["items"] == []
    assert client.get(f"{API}/members?limit=201").status_code == 422


def test_teams_and_periods_page_too(world: World, clients: dict[str, Client]) -> None:
    client = clients["member"]
    first = client.get(f"{API}/teams?limit=1").json()
    assert len(first["items"]) == 1 and first["next_offset"] == 1
    second = client.get(f"{API}/teams?limit=1&offset=1").json()
    assert second["next_offset"] is None
    assert {first["items"][0]["id"], second["items"][0]["id"]} == {
        str(world.team.uid),
        str(world.other_team.uid),
    }
    assert client.get(f"{API}/periods?limit=1").json()["next_offset"] is None


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _add_teams_and_periods(world: World, count: int, start: int) -> None:
    for number in range(start, start + count):
        org_services.create_team(
            organization=world.org, actor=world.admin, name=f"Team {number:03d}", parent=world.team
        )
        org_services.create_period(
            organization=world.org,
            actor=world.admin,
            name=f"Custom {number:03d}",
            kind=PeriodKind.CUSTOM,
            start=dt.date(2030, 1, 1) + dt.timedelta(days=number),
            end=dt.date(2030, 2, 1) + dt.timedelta(days=number),
        )


@pytest.mark.parametrize("resource", ["members", "teams", "periods"])
def test_list_queries_do_not_grow_with_the_data(
    world: World, clients: dict[str, Client], resource: str
) -> None:
    client = clients["viewer"]
    url = f"{API}/{resource}?limit=200"
    client.get(url)  # the token's first use writes last_used_at once
    _add_people(world, 4)
    _add_teams_and_periods(world, 4, 0)
    small = _count(client, url)
    _add_people(world, 8, start=4)
    _add_teams_and_periods(world, 8, 4)
    assert _count(client, url) == small
