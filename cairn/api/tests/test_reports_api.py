"""API v1: the period report and confidence calibration (issue 6), for the four people.

The report's answer is the JSON export (`reporting.exports.data`): the same data as the page
and the files, through the same gate. Hidden, foreign and made-up ids are all a 404."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.conftest import World
from cairn.orgs.models import Member
from cairn.orgs.tokens import create_token
from cairn.reporting.tests.report_world import (
    PRIVATE_WORDS,
    Quarter,
    close_quarter,
    closed_quarter,
    more_objectives,
)

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
def quarter(world: World) -> Quarter:
    return closed_quarter(world)


def test_the_report_is_the_json_export(
    world: World, quarter: Quarter, clients: dict[str, Client], member_client: Client
) -> None:
    response = clients["member"].get(f"{API}/periods/{quarter.period.uid}/report")
    assert response.status_code == 200
    exported = member_client.get(
        reverse("reporting:period_report_json", args=["acme", quarter.period.uid])
    )
    assert response.json() == json.loads(exported.content)
    body = response.json()
    assert [o["title"] for o in body["objectives"]] == [
        "Grow the funnel",
        "Shared launch",
        "Platform basics",
    ]
    assert body["calibration"]["verdict"] == "over_confident"


@pytest.mark.parametrize("who", ["admin", "member", "viewer"])
def test_everyone_in_the_organization_reads_the_report_of_a_team(
    world: World, quarter: Quarter, clients: dict[str, Client], who: str
) -> None:
    response = clients[who].get(
        f"{API}/periods/{quarter.period.uid}/report?team={world.other_team.uid}"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["team"] == {"id": str(world.other_team.uid), "name": "Platform"}
    titles = {o["title"] for o in body["objectives"]}
    assert "Shared launch" in titles and "Grow the funnel" not in titles
    assert ("PRIVATE-MARKER secret plan" in titles) == (who == "admin")


def test_a_member_s_report_has_no_private_item_of_another_team(
    world: World, quarter: Quarter, clients: dict[str, Client]
) -> None:
    text = clients["member"].get(f"{API}/periods/{quarter.period.uid}/report").content.decode()
    for word in PRIVATE_WORDS:
        assert word not in text
    admin = clients["admin"].get(f"{API}/periods/{quarter.period.uid}/report").content.decode()
    assert "PRIVATE-KR-MARKER" in admin


def test_ids_that_are_not_ours_are_404(
    world: World, quarter: Quarter, clients: dict[str, Client]
) -> None:
    for url in (
        f"{API}/periods/{world.other_period.uid}/report",
        f"{API}/periods/{UNKNOWN_ID}/report",
        f"{API}/periods/not-an-id/report",
        f"{API}/periods/{quarter.period.uid}/report?team={UNKNOWN_ID}",
        f"{API}/calibration?period={world.other_period.uid}",
        f"{API}/calibration?team={UNKNOWN_ID}",
        f"{API}/calibration?person={world.outsider.uid}",
    ):
        response = clients["admin"].get(url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"
    outsider = clients["outsider"].get(f"{API}/periods/{quarter.period.uid}/report")
    assert outsider.status_code == 404


def test_calibration_by_team_person_and_period(
    world: World, quarter: Quarter, clients: dict[str, Client]
) -> None:
    body = clients["viewer"].get(f"{API}/calibration?team={world.team.uid}").json()
    assert body["forecasts"] == 17
    assert body["verdict"] == "over_confident"
    assert body["key_results_left_out"] == 1
    assert [p["period"]["name"] for p in body["trend"]] == ["2026 Q3"]
    assert body["achieved_threshold"] == 0.7
    mia = (
        clients["admin"]
        .get(f"{API}/calibration?period={quarter.period.uid}&person={world.member.uid}")
        .json()
    )
    assert mia["forecasts"] == 13
    assert mia["person"]["name"] == "Mia Member"
    assert [len(b) for b in (mia["bands"],)] == [5]


def test_the_report_answers_in_a_fixed_number_of_queries(
    world: World, clients: dict[str, Client]
) -> None:
    q = closed_quarter(world, name="2026 Q3", close=False)
    more_objectives(world, q.period, 2, tag="few")
    close_quarter(q, world.admin)
    url = f"{API}/periods/{q.period.uid}/report"
    clients["member"].get(url)
    with CaptureQueriesContext(connection) as small:
        clients["member"].get(url)
    q.period.state = "active"
    q.period.save(update_fields=["state"])
    from cairn.okrs.models import Objective

    Objective.objects.filter(period=q.period).update(closed_at=None)
    more_objectives(world, q.period, 6, tag="many")
    close_quarter(q, world.admin)
    with CaptureQueriesContext(connection) as large:
        assert clients["member"].get(url).status_code == 200
    assert len(large) == len(small)


def test_both_operations_are_in_the_openapi_document(world: World, admin_client: Client) -> None:
    paths = admin_client.get(f"{API}/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/periods/{period_id}/report"]
    assert "get" in paths["/api/v1/calibration"]
