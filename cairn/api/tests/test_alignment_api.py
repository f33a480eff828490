"""The alignment graph and health endpoints as a contract: the same graph as the map page
(redacted nodes included), the health findings with their ids and links, the period rules,
and a fixed number of queries whatever the size of the period."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cairn.alignment import services as alignment_services
from cairn.alignment.models import Dependency
from cairn.alignment.queries import map as map_queries
from cairn.conftest import World
from cairn.okrs import services
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import Member, Period, PeriodKind, PeriodState, Role, Team
from cairn.orgs.tokens import create_token

pytestmark = pytest.mark.django_db
API = "/api/v1"


def caller(member: Member) -> tuple[Client, dict[str, str]]:
    _token, raw = create_token(member=member, name="t", read_only=not member.can_write)
    return Client(), {"Authorization": f"Bearer {raw}"}


def get(member: Member, path: str, **params: str) -> Any:
    client, headers = caller(member)
    return client.get(API + path, params, headers=headers)


def graph(member: Member, period: Period | None = None) -> dict[str, Any]:
    params = {"period": str(period.uid)} if period is not None else {}
    response = get(member, "/alignment", **params)
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response.json()
    return data


def health(member: Member, period: Period | None = None) -> dict[str, Any]:
    params = {"period": str(period.uid)} if period is not None else {}
    response = get(member, "/alignment/health", **params)
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response.json()
    return data


def objective(world: World, title: str, *teams: Team, **kwargs: Any) -> Objective:
    return services.create_objective(
        actor=world.admin,
        period=kwargs.pop("period", world.period),
        title=title,
        owner_teams=list(teams),
        **kwargs,
    )


def key_result(world: World, of: Objective, title: str, **kwargs: Any) -> KeyResult:
    return services.create_key_result(
        actor=world.admin, objective=of, title=title, target_value=10, **kwargs
    )


def ask(world: World, of: Objective, by: Team, of_team: Team, **kwargs: Any) -> Dependency:
    return alignment_services.request_dependency(
        actor=world.admin,
        objective=of,
        requesting_team=by,
        providing_team=of_team,
        need=kwargs.pop("need", "Help with the launch"),
        **kwargs,
    )


def node(data: dict[str, Any], node_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(n for n in data["nodes"] if n["id"] == node_id)
    return found


def edges(data: dict[str, Any], kind: str) -> list[tuple[str, str]]:
    return [(e["from"], e["to"]) for e in data["edges"] if e["kind"] == kind]


@pytest.fixture
def mobile(world: World) -> Team:
    """A team below Product: its objectives are below the top level."""
    return org_services.create_team(
        organization=world.org, actor=world.admin, name="Mobile", parent=world.team
    )


@pytest.fixture
def year(world: World) -> Period:
    return org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2026",
        kind=PeriodKind.YEAR,
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
        state=PeriodState.PLANNING,
    )


# Tenancy, roles, the period -------------------------------------------------------------------


def test_another_organizations_period_is_a_404_for_the_graph_and_the_health_report(
    world: World, objective: Objective
) -> None:
    for path in ("/alignment", "/alignment/health"):
        response = get(world.outsider, path, period=str(world.period.uid))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert get(world.member, path, period=str(world.other_period.uid)).status_code == 404


def test_without_a_period_the_outsider_gets_its_own_organizations_and_nothing_of_acme(
    world: World, objective: Objective
) -> None:
    data = graph(world.outsider)
    assert data["period"]["id"] == str(world.other_period.uid)
    assert data["nodes"] == [] and data["edges"] == []
    assert health(world.outsider)["objective_count"] == 0


def test_a_malformed_or_unknown_period_is_a_404_never_a_500(world: World) -> None:
    for path in ("/alignment", "/alignment/health"):
        for value in ("not-a-uuid", "00000000-0000-4000-8000-000000000000", "%00"):
            assert get(world.member, path, period=value).status_code == 404


def test_without_a_period_the_graph_is_the_current_periods(
    world: World, objective: Objective
) -> None:
    org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2027 Q1",
        start=dt.date(2027, 1, 1),
        end=dt.date(2027, 3, 31),
    )
    data = graph(world.member)
    assert data["period"] == {
        "id": str(world.period.uid),
        "name": "2026 Q4",
        "start": "2026-10-01",
        "end": "2026-12-31",
        "state": "active",
    }
    assert node(data, str(objective.uid))["title"] == objective.title
    assert health(world.member)["period"]["id"] == str(world.period.uid)


def test_an_organization_without_periods_gets_an_empty_graph(world: World) -> None:
    Period.objects.filter(organization=world.org).delete()
    assert graph(world.member) == {"period": None, "nodes": [], "edges": []}
    assert health(world.member)["finding_count"] == 0


def test_a_viewer_reads_the_graph_and_the_health_report(world: World, objective: Objective) -> None:
    assert node(graph(world.viewer, world.period), str(objective.uid))
    assert health(world.viewer, world.period)["objective_count"] == 1


# The graph --------------------------------------------------------------------------------


def test_the_graph_has_objectives_teams_alignment_and_dependency_edges(
    world: World, mobile: Team, year: Period
) -> None:
    company = objective(world, "Company goal for the year", world.team, period=year)
    parent = objective(world, "Launch Acme", world.team, world.other_team)
    kr = key_result(world, parent, "Reach 500,000 daily users")
    KeyResult.objects.filter(pk=kr.pk).update(current_value=5)
    child = objective(world, "Ship the mobile app", mobile)
    services.align(actor=world.admin, child=child, parent_key_result=kr)
    services.align(actor=world.admin, child=parent, parent_objective=company)
    dependency = ask(world, child, mobile, world.other_team, need="An API")

    data = graph(world.member, world.period)
    launch = node(data, str(parent.uid))
    assert launch == {
        "id": str(parent.uid),
        "kind": "objective",
        "redacted": False,
        "title": "Launch Acme",
        "period": {"id": str(world.period.uid), "name": "2026 Q4"},
        "in_period": True,
        "private": False,
        "owner_teams": [
            {"id": str(world.other_team.uid), "name": "Platform"},
            {"id": str(world.team.uid), "name": "Product"},
        ],
        "owner_person": None,
        "progress": 0.5,
    }
    yearly = node(data, str(company.uid))
    assert yearly["in_period"] is False and yearly["period"]["name"] == "2026"
    assert yearly["owner_teams"] == [{"id": str(world.team.uid), "name": "Product"}]
    assert yearly["progress"] is None

    aligned = [e for e in data["edges"] if e["kind"] == "aligned_to"]
    assert {(e["from"], e["to"]) for e in aligned} == {
        (str(child.uid), str(parent.uid)),
        (str(parent.uid), str(company.uid)),
    }
    via = next(e for e in aligned if e["from"] == str(child.uid))
    assert via["via_key_result"] == {"id": str(kr.uid), "name": "Reach 500,000 daily users"}
    assert via["via_private_key_result"] is False

    (asked,) = [e for e in data["edges"] if e["kind"] == "dependency"]
    assert asked["from"] == str(child.uid) and asked["to"] == str(world.other_team.uid)
    assert asked["dependency"] == str(dependency.uid)
    assert asked["state"] == "proposed"
    assert asked["requesting_team"] == str(mobile.uid)

    teams = {n["id"]: n for n in data["nodes"] if n["kind"] == "team"}
    assert teams[str(mobile.uid)] == {
        "id": str(mobile.uid),
        "kind": "team",
        "name": "Mobile",
        "parent": str(world.team.uid),
    }
    assert set(teams) == {str(world.team.uid), str(world.other_team.uid), str(mobile.uid)}
    # Every edge joins two nodes of the graph.
    ids = {n["id"] for n in data["nodes"]}
    assert all(e["from"] in ids and e["to"] in ids for e in data["edges"])


def test_a_personal_objective_names_its_owner(world: World) -> None:
    mine = services.create_objective(
        actor=world.member, period=world.period, title="Learn Rust", owner_person=world.member
    )
    found = node(graph(world.member, world.period), str(mine.uid))
    assert found["owner_person"]["id"] == str(world.member.uid)
    assert found["owner_person"]["name"] == "Mia Member"
    assert found["owner_teams"] == []


def test_made_shared_and_withdrawn_requests_are_no_dependency_edge(
    world: World, objective: Objective
) -> None:
    dependency = ask(world, objective, world.team, world.other_team)
    alignment_services.change_dependency_state(
        actor=world.admin, dependency=dependency, to_state="withdrawn", comment="Not needed"
    )
    assert edges(graph(world.member, world.period), "dependency") == []


# Privacy ----------------------------------------------------------------------------------


def test_a_private_parent_is_a_redacted_node_with_nothing_of_the_objective(
    world: World, private_objective: Objective
) -> None:
    key_result(world, private_objective, "PRIVATE-MARKER key result")
    child = objective(world, "Public child", world.team)
    services.align(actor=world.admin, child=child, parent_objective=private_objective)

    response = get(world.member, "/alignment", period=str(world.period.uid))
    text = response.content.decode()
    assert "PRIVATE-MARKER" not in text
    assert str(private_objective.uid) not in text
    data = response.json()
    assert {"id": "p-1", "kind": "objective", "redacted": True} in data["nodes"]
    assert node(data, "p-1") == {"id": "p-1", "kind": "objective", "redacted": True}
    assert edges(data, "aligned_to") == [(str(child.uid), "p-1")]
    # Its owning team is content too: Platform is not on the member's graph.
    assert str(world.other_team.uid) not in text

    admin = graph(world.admin, world.period)
    full = node(admin, str(private_objective.uid))
    assert full["title"] == "PRIVATE-MARKER secret objective"
    assert full["private"] is True
    assert not [n for n in admin["nodes"] if n.get("redacted")]


def test_the_graph_and_the_map_page_redact_the_same_nodes_the_same_way(
    world: World,
) -> None:
    top = objective(world, "Visible top", world.team)
    upper = objective(world, "SECRET upper", world.other_team, visibility="private")
    lower = objective(world, "SECRET lower", world.other_team, visibility="private")
    bottom = objective(world, "Visible bottom", world.team)
    services.align(actor=world.admin, child=upper, parent_objective=top)
    services.align(actor=world.admin, child=lower, parent_objective=upper)
    services.align(actor=world.admin, child=bottom, parent_objective=lower)
    objective(world, "SECRET elsewhere", world.other_team, visibility="private")

    the_map = map_queries.alignment_map(world.member, world.period)
    response = get(world.member, "/alignment", period=str(world.period.uid))
    assert "SECRET" not in response.content.decode()
    data = response.json()
    assert [n["id"] for n in data["nodes"] if n.get("redacted")] == [
        node.anchor for node in the_map.redacted
    ]
    assert set(edges(data, "aligned_to")) == {
        ("p-1", str(top.uid)),
        ("p-2", "p-1"),
        (str(bottom.uid), "p-2"),
    }


def test_a_private_key_result_used_as_a_parent_is_redacted_on_the_edge(
    world: World, mobile: Team
) -> None:
    parent = objective(world, "Public parent", world.other_team)
    secret = key_result(world, parent, "KR-SECRET revenue", visibility="private")
    child = objective(world, "Public child", world.team)
    services.align(actor=world.admin, child=child, parent_key_result=secret)
    response = get(world.member, "/alignment", period=str(world.period.uid))
    assert "KR-SECRET" not in response.content.decode()
    assert str(secret.uid) not in response.content.decode()
    (edge,) = response.json()["edges"]
    assert edge["via_key_result"] is None and edge["via_private_key_result"] is True
    (edge,) = graph(world.admin, world.period)["edges"]
    assert edge["via_key_result"]["name"] == "KR-SECRET revenue"


def test_progress_counts_only_the_key_results_the_member_may_see(world: World) -> None:
    goal = objective(world, "Mixed goal", world.other_team)
    key_result(world, goal, "Done")
    secret = key_result(world, goal, "Hidden", visibility="private")
    KeyResult.objects.filter(pk=secret.pk).update(current_value=10)
    assert node(graph(world.member, world.period), str(goal.uid))["progress"] == 0
    assert node(graph(world.admin, world.period), str(goal.uid))["progress"] == 0.5


# The health report ------------------------------------------------------------------------


def test_the_health_report_lists_each_finding_with_its_ids_and_links(
    world: World, mobile: Team
) -> None:
    unaligned = objective(world, "Mobile goal aligned to nothing", mobile)
    silo = org_services.create_team(organization=world.org, actor=world.admin, name="Silo")
    objective(world, "Alone", silo)
    asking = objective(world, "Launch", world.team)
    kr = key_result(world, asking, "Reach 1,000 users")
    old = ask(world, asking, world.team, world.other_team, key_result=kr, need="An old ask")
    Dependency.objects.filter(pk=old.pk).update(asked_at=timezone.now() - dt.timedelta(days=9))
    shared = objective(world, "Shared goal", world.team, world.other_team)

    data = health(world.member, world.period)
    slug = "/o/acme"
    assert data["unaligned"] == [
        {
            "objective": {"id": str(unaligned.uid), "name": "Mobile goal aligned to nothing"},
            "private": False,
            "owner_teams": [{"id": str(mobile.uid), "name": "Mobile"}],
            "owner_person": None,
            "url": f"{slug}/objectives/{unaligned.uid}/#alignment",
        }
    ]
    assert [s["team"]["name"] for s in data["silos"]] == ["Mobile", "Silo"]
    assert data["silos"][1]["objectives"] == 1
    assert data["silos"][1]["url"] == (
        f"{slug}/teams/{silo.uid}/alignment/?period={world.period.uid}"
    )
    (waiting,) = data["unanswered"]
    assert waiting["dependency"] == str(old.uid)
    assert waiting["days"] == 9
    assert waiting["requesting_team"]["name"] == "Product"
    assert waiting["providing_team"]["name"] == "Platform"
    assert waiting["objective"]["id"] == str(asking.uid)
    assert waiting["url"] == f"{slug}/dependencies/{old.uid}/"
    (leaning,) = data["over_optimistic"]
    assert leaning["key_result"] == {"id": str(kr.uid), "name": "Reach 1,000 users"}
    assert leaning["unaccepted_dependencies"] == 1
    assert leaning["url"] == f"{slug}/objectives/{asking.uid}/dependencies/"
    (missing,) = data["shared_without_initiative"]
    assert missing["objective"]["id"] == str(shared.uid)
    assert {t["name"] for t in missing["missing"]} == {"Platform", "Product"}
    assert data["finding_count"] == 6
    assert data["objective_count"] == 4
    assert data["private_hidden"] == 0


def test_the_health_report_counts_hidden_private_items_and_names_none(
    world: World, private_objective: Objective, mobile: Team
) -> None:
    key_result(world, private_objective, "PRIVATE-MARKER kr")
    secret = objective(world, "PRIVATE-MARKER unaligned", mobile, visibility="private")
    response = get(world.member, "/alignment/health", period=str(world.period.uid))
    text = response.content.decode()
    assert "PRIVATE-MARKER" not in text and str(secret.uid) not in text
    assert response.json()["private_hidden"] == 2
    admin = health(world.admin, world.period)
    assert admin["private_hidden"] == 0
    assert admin["unaligned"][0]["private"] is True


# Queries ----------------------------------------------------------------------------------


def _grow(world: World, mobile: Team, year: Period, count: int) -> None:
    """`count` more of everything: chains through public and private objectives, parents in
    the enclosing year, key results (some private), dependencies, shared OKRs."""
    company = objective(world, "Company", world.team, period=year)
    for n in range(count):
        top = objective(world, f"Top {n}", world.team)
        kr = key_result(world, top, f"KR {n}")
        key_result(world, top, f"Private KR {n}", visibility="private")
        services.align(actor=world.admin, child=top, parent_objective=company)
        hidden = objective(world, f"Hidden {n}", world.other_team, visibility="private")
        services.align(actor=world.admin, child=hidden, parent_key_result=kr)
        below = objective(world, f"Below {n}", mobile)
        services.align(actor=world.admin, child=below, parent_objective=hidden)
        ask(world, below, mobile, world.other_team, key_result=key_result(world, below, "K"))
        objective(world, f"Shared {n}", world.team, world.other_team)


@pytest.mark.parametrize("path", ["/alignment", "/alignment/health"])
def test_the_graph_and_the_report_read_a_fixed_number_of_queries(
    world: World, mobile: Team, year: Period, path: str
) -> None:
    client, headers = caller(world.member)

    def count() -> tuple[int, int]:
        client.get(API + path, headers=headers)  # the token's last use is written once a minute
        with CaptureQueriesContext(connection) as queries:
            response = client.get(API + path, {"period": str(world.period.uid)}, headers=headers)
        assert response.status_code == 200
        return len(queries), len(json.dumps(response.json()))

    _grow(world, mobile, year, 2)
    small, small_size = count()
    _grow(world, mobile, year, 4)
    large, large_size = count()
    assert large == small
    assert large_size > small_size


def test_the_graph_for_a_member_of_several_teams_is_still_the_maps(
    world: World, mobile: Team
) -> None:
    both = org_services.add_member(
        organization=world.org,
        email="bo@acme.test",
        role=Role.MEMBER,
        name="Bo Both",
        actor=world.admin,
        team=world.other_team,
    )
    private = objective(world, "Platform private", world.other_team, visibility="private")
    child = objective(world, "Child", mobile)
    services.align(actor=world.admin, child=child, parent_objective=private)
    data = graph(both, world.period)
    assert node(data, str(private.uid))["private"] is True
    assert edges(data, "aligned_to") == [(str(child.uid), str(private.uid))]
