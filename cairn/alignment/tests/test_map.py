"""The alignment map and a team's own alignment view: structure, privacy, filters, queries."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.alignment import services as alignment_services
from cairn.alignment.models import Dependency
from cairn.alignment.queries import map as map_queries
from cairn.conftest import World
from cairn.okrs import services
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import Period, PeriodKind, PeriodState, Team

pytestmark = pytest.mark.django_db


def map_url(**params: str) -> str:
    url = reverse("alignment:map", args=["acme"])
    if params:
        url += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return url


def team_url(team: Team, **params: str) -> str:
    url = reverse("alignment:team_alignment", args=["acme", team.uid])
    if params:
        url += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return url


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def objective(world: World, title: str, *teams: Team, **kwargs: object) -> Objective:
    return services.create_objective(
        actor=world.admin,
        period=kwargs.pop("period", world.period),  # type: ignore[arg-type]
        title=title,
        owner_teams=list(teams),
        **kwargs,  # type: ignore[arg-type]
    )


def key_result(world: World, of: Objective, title: str, **kwargs: object) -> KeyResult:
    return services.create_key_result(
        actor=world.admin,
        objective=of,
        title=title,
        target_value=10,
        **kwargs,  # type: ignore[arg-type]
    )


def ask(world: World, of: Objective, by: Team, of_team: Team, **kwargs: object) -> Dependency:
    return alignment_services.request_dependency(
        actor=world.admin,
        objective=of,
        requesting_team=by,
        providing_team=of_team,
        need=kwargs.pop("need", "Help with the launch"),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


@dataclass
class Tree:
    mobile: Team  # below Product
    year: Period


@pytest.fixture
def tree(world: World) -> Tree:
    mobile = org_services.create_team(
        organization=world.org, actor=world.admin, name="Mobile", parent=world.team
    )
    year = org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2026",
        kind=PeriodKind.YEAR,
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
        state=PeriodState.ACTIVE,
    )
    return Tree(mobile=mobile, year=year)


# Tenancy and roles ------------------------------------------------------------------------


def test_every_alignment_page_is_a_404_for_another_organizations_admin(
    world: World, outsider_client: Client
) -> None:
    assert outsider_client.get(map_url()).status_code == 404
    assert outsider_client.get(team_url(world.team)).status_code == 404
    health = reverse("alignment:health", args=["acme"])
    assert outsider_client.get(health).status_code == 404


def test_the_map_is_a_404_for_a_team_or_period_of_another_organization(
    world: World, member_client: Client
) -> None:
    foreign_team = org_services.create_team(
        organization=world.other_org, actor=world.outsider, name="Globex team"
    )
    assert member_client.get(map_url(team=str(foreign_team.uid))).status_code == 404
    assert member_client.get(map_url(period=str(world.other_period.uid))).status_code == 404
    assert member_client.get(map_url(team="not-a-uuid")).status_code == 404
    assert member_client.get(team_url(foreign_team)).status_code == 404
    assert (
        member_client.get(team_url(world.team, period=str(world.other_period.uid))).status_code
        == 404
    )


def test_a_viewer_reads_the_map_and_a_team_view(
    world: World, viewer_client: Client, objective: Objective
) -> None:
    assert objective.title in page(viewer_client, map_url())
    assert objective.title in page(viewer_client, team_url(world.team))


def test_the_map_asks_anonymous_visitors_to_sign_in(world: World) -> None:
    response = Client().get(map_url())
    assert response.status_code == 302
    assert "login" in response["Location"]


# Structure ----------------------------------------------------------------------------------


def test_the_map_links_each_objective_to_its_parent_and_children_by_anchor(
    world: World, tree: Tree, member_client: Client
) -> None:
    parent = objective(world, "Launch Acme", world.team)
    kr = key_result(world, parent, "Reach 500,000 daily users")
    child = objective(world, "Ship the mobile app", tree.mobile)
    services.align(actor=world.admin, child=child, parent_key_result=kr)
    html = page(member_client, map_url())
    assert f'id="o-{parent.uid}"' in html
    assert f'id="o-{child.uid}"' in html
    assert f'href="#o-{parent.uid}"' in html  # the child's ↑
    assert f'href="#o-{child.uid}"' in html  # the parent's ↓
    assert "Reach 500,000 daily users" in html
    assert reverse("okrs:objective", args=["acme", child.uid]) in html
    # The sub-team is nested inside its parent team's group.
    product = html.index('map-team__name">Product<')
    mobile = html.index('map-team__name">Mobile<')
    assert product < mobile < html.index(f'id="o-{child.uid}"')


def test_a_parent_in_an_enclosing_period_links_to_its_page(
    world: World, tree: Tree, member_client: Client
) -> None:
    company = objective(world, "Company goal for the year", world.team, period=tree.year)
    child = objective(world, "Quarter goal", tree.mobile)
    services.align(actor=world.admin, child=child, parent_objective=company)
    html = page(member_client, map_url())
    assert reverse("okrs:objective", args=["acme", company.uid]) in html
    assert f'id="o-{company.uid}"' not in html
    assert "(2026)" in html


def test_a_shared_okr_has_one_row_and_a_cross_reference_under_its_other_team(
    world: World, member_client: Client
) -> None:
    shared = objective(world, "Launch the Acme product", world.team, world.other_team)
    html = page(member_client, map_url())
    assert html.count(f'id="o-{shared.uid}"') == 1
    assert html.count(f'href="#o-{shared.uid}"') == 1
    assert "Shared: Platform, Product" in html


def test_the_map_shows_dependencies_out_of_an_objective_and_into_a_team(
    world: World, member_client: Client, objective: Objective
) -> None:
    dependency = ask(world, objective, world.team, world.other_team, need="An API for sign-up")
    html = page(member_client, map_url())
    detail = reverse("alignment:dependency", args=["acme", dependency.uid])
    assert html.count(f'href="{detail}"') == 2  # → on the objective, ← under Platform
    assert "An API for sign-up" in html
    assert "Asked of Platform" in html


def test_a_personal_objective_is_listed_with_its_owner(world: World, member_client: Client) -> None:
    services.create_objective(
        actor=world.member, period=world.period, title="Learn Rust", owner_person=world.member
    )
    html = page(member_client, map_url())
    assert "Personal objectives" in html
    assert "Learn Rust" in html


# Privacy ------------------------------------------------------------------------------------


@pytest.fixture
def private_chain(world: World, private_objective: Objective) -> tuple[Objective, Objective]:
    """A public objective of Product aligned to Platform's private one."""
    child = objective(world, "Public child", world.team)
    services.align(actor=world.admin, child=child, parent_objective=private_objective)
    return child, private_objective


def test_a_private_parent_is_a_redacted_node_for_a_member_who_may_not_see_it(
    world: World, member_client: Client, private_chain: tuple[Objective, Objective]
) -> None:
    child, private = private_chain
    html = page(member_client, map_url())
    assert f'id="o-{child.uid}"' in html
    assert "Private objective" in html
    assert "Private items in the chain" in html
    assert 'href="#p-1"' in html and 'id="p-1"' in html
    assert "PRIVATE-MARKER" not in html
    assert str(private.uid) not in html
    # Its owning team is content: Platform has no group on the member's map.
    assert "Asked of Platform" not in html and ">Platform</span>" not in html


def test_the_admin_and_the_owning_team_see_the_private_parent_in_full(
    world: World, admin_client: Client, private_chain: tuple[Objective, Objective]
) -> None:
    _child, private = private_chain
    html = page(admin_client, map_url())
    assert "PRIVATE-MARKER secret objective" in html
    assert f'id="o-{private.uid}"' in html
    assert "Private items in the chain" not in html

    platform_person = org_services.add_member(
        organization=world.org,
        email="pat@acme.test",
        role="member",
        actor=world.admin,
        name="Pat Platform",
        team=world.other_team,
    )
    client = Client()
    client.force_login(platform_person.user)
    assert "PRIVATE-MARKER secret objective" in page(client, map_url())


def test_a_redacted_node_does_not_name_its_owner_or_numbers(
    world: World, member_client: Client, admin_client: Client
) -> None:
    olga = org_services.add_member(
        organization=world.org,
        email="olga@acme.test",
        role="member",
        actor=world.admin,
        name="Olga Owner",
    )
    personal = services.create_objective(
        actor=olga,
        period=world.period,
        title="OLGA-SECRET plan",
        owner_person=olga,
        visibility="private",
    )
    services.create_key_result(
        actor=olga, objective=personal, title="OLGA-KR", start_value=0, target_value=7
    )
    child = objective(world, "Public child", world.team)
    services.align(actor=world.admin, child=child, parent_objective=personal)
    for url in (map_url(), team_url(world.team)):
        html = page(member_client, url)
        assert "Private objective" in html
        for leak in ("OLGA", "Olga Owner", str(personal.uid), str(olga.uid)):
            assert leak not in html
    html = page(admin_client, map_url())
    assert "OLGA-SECRET plan" in html and "Olga Owner" in html


def test_a_private_objective_outside_every_visible_chain_is_not_on_the_map(
    world: World, member_client: Client, private_objective: Objective
) -> None:
    objective(world, "Unrelated public goal", world.team)
    html = page(member_client, map_url())
    assert "Private objective" not in html
    assert "PRIVATE-MARKER" not in html
    assert "private-items" not in html


def test_a_private_chain_between_visible_objectives_keeps_its_shape(
    world: World, member_client: Client
) -> None:
    top = objective(world, "Visible top", world.team)
    upper = objective(world, "SECRET upper", world.other_team, visibility="private")
    lower = objective(world, "SECRET lower", world.other_team, visibility="private")
    bottom = objective(world, "Visible bottom", world.team)
    services.align(actor=world.admin, child=upper, parent_objective=top)
    services.align(actor=world.admin, child=lower, parent_objective=upper)
    services.align(actor=world.admin, child=bottom, parent_objective=lower)
    the_map = map_queries.alignment_map(world.member, world.period)
    upper_node, lower_node = the_map.redacted
    assert [e.node.objective for e in upper_node.up] == [top]
    assert [e.node for e in upper_node.down] == [lower_node]
    assert [e.node for e in lower_node.up] == [upper_node]
    assert [e.node.objective for e in lower_node.down] == [bottom]
    assert (upper_node.anchor, lower_node.anchor) == ("p-1", "p-2")
    html = page(member_client, map_url())
    assert "SECRET" not in html
    assert html.count("Private objective") >= 4  # two nodes, each linked from a neighbour


def test_a_private_key_result_used_as_a_parent_is_redacted(
    world: World, member_client: Client, admin_client: Client
) -> None:
    parent = objective(world, "Public parent", world.other_team)
    secret = key_result(world, parent, "KR-SECRET revenue", visibility="private")
    child = objective(world, "Public child", world.team)
    services.align(actor=world.admin, child=child, parent_key_result=secret)
    html = page(member_client, map_url())
    assert "Private key result" in html
    assert "via a private key result" in html
    assert "KR-SECRET" not in html
    assert str(secret.uid) not in html
    assert "KR-SECRET revenue" in page(admin_client, map_url())


def test_progress_on_the_map_counts_only_key_results_the_member_may_see(
    world: World, member_client: Client
) -> None:
    goal = objective(world, "Mixed goal", world.other_team)
    services.create_key_result(
        actor=world.admin, objective=goal, title="Done", start_value=0, target_value=10
    )
    secret = key_result(world, goal, "Hidden", visibility="private")
    KeyResult.objects.filter(pk=secret.pk).update(current_value=10)
    row = re.search(
        r'id="o-' + str(goal.uid) + r'".*?map-node__pct[^>]*>([^<]*)<',
        page(member_client, map_url()),
        re.S,
    )
    assert row is not None and row.group(1).strip() == "0%"


# Filters ------------------------------------------------------------------------------------


def test_the_team_filter_shows_the_team_and_its_sub_teams_only(
    world: World, tree: Tree, member_client: Client
) -> None:
    objective(world, "Product goal", world.team)
    objective(world, "Mobile goal", tree.mobile)
    objective(world, "Platform goal", world.other_team)
    html = page(member_client, map_url(team=str(world.team.uid)))
    assert "Product goal" in html and "Mobile goal" in html
    assert "Platform goal" not in html
    html = page(member_client, map_url(team=str(tree.mobile.uid)))
    assert "Mobile goal" in html and "Product goal" not in html


def test_the_team_filter_keeps_links_to_objectives_elsewhere(
    world: World, tree: Tree, member_client: Client
) -> None:
    parent = objective(world, "Product goal", world.team)
    child = objective(world, "Mobile goal", tree.mobile)
    services.align(actor=world.admin, child=child, parent_objective=parent)
    html = page(member_client, map_url(team=str(tree.mobile.uid)))
    assert reverse("okrs:objective", args=["acme", parent.uid]) in html
    assert f'id="o-{parent.uid}"' not in html


def test_an_htmx_filter_returns_the_map_fragment(
    world: World, member_client: Client, objective: Objective
) -> None:
    response = member_client.get(
        map_url(period=str(world.period.uid), team=str(world.team.uid)), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="map"')
    assert objective.title in html
    response = member_client.get(team_url(world.team), HTTP_HX_REQUEST="true")
    assert response.content.decode().lstrip().startswith('<div id="team-alignment"')


# A team's own view --------------------------------------------------------------------------


def test_the_team_view_shows_up_down_and_sideways_links(
    world: World, tree: Tree, member_client: Client
) -> None:
    company = objective(world, "Company goal", world.other_team)
    ours = objective(world, "Our goal", world.team)
    theirs = objective(world, "Mobile goal", tree.mobile)
    services.align(actor=world.admin, child=ours, parent_objective=company)
    services.align(actor=world.admin, child=theirs, parent_objective=ours)
    out = ask(world, ours, world.team, world.other_team, need="NEED-OUT")
    into = ask(world, company, world.other_team, world.team, need="NEED-IN")
    view = map_queries.team_alignment(world.member, world.period, world.team)
    assert [(link.own.objective, link.edge.node.objective) for link in view.contributes_to] == [
        (ours, company)
    ]
    assert [(link.own.objective, link.edge.node.objective) for link in view.contributed_by] == [
        (ours, theirs)
    ]
    assert view.depends_on == [out]
    assert view.depended_on_by == [into]
    html = page(member_client, team_url(world.team))
    for text in ("Company goal", "Mobile goal", "NEED-OUT", "NEED-IN"):
        assert text in html


def test_the_team_view_redacts_a_private_parent_without_linking_it(
    world: World, member_client: Client, private_chain: tuple[Objective, Objective]
) -> None:
    _child, private = private_chain
    html = page(member_client, team_url(world.team))
    assert "Private objective" in html
    assert "PRIVATE-MARKER" not in html
    assert str(private.uid) not in html
    assert 'href="#p-' not in html


# Query counts -------------------------------------------------------------------------------


def grow(world: World, tree: Tree, n: int, prefix: str) -> None:
    """n of everything the map draws: objectives of three teams, links up through objectives,
    key results and a parent in the year, private links, shared OKRs, dependencies."""
    company = objective(world, f"{prefix} company", world.other_team, period=tree.year)
    for i in range(n):
        top = objective(world, f"{prefix} top {i}", world.team)
        kr = key_result(world, top, f"{prefix} KR {i}")
        hidden_kr = key_result(world, top, f"{prefix} secret KR {i}", visibility="private")
        services.align(actor=world.admin, child=top, parent_objective=company)
        child = objective(world, f"{prefix} mobile {i}", tree.mobile)
        services.align(actor=world.admin, child=child, parent_key_result=kr)
        other = objective(world, f"{prefix} mobile b {i}", tree.mobile)
        services.align(actor=world.admin, child=other, parent_key_result=hidden_kr)
        private = objective(world, f"{prefix} private {i}", world.other_team, visibility="private")
        services.align(actor=world.admin, child=private, parent_objective=top)
        shared = objective(world, f"{prefix} shared {i}", world.team, world.other_team)
        services.create_initiative(
            actor=world.admin, objective=shared, team=world.team, title=f"{prefix} work {i}"
        )
        ask(world, top, world.team, world.other_team, key_result=kr)
        ask(world, child, tree.mobile, world.other_team)
        services.create_objective(
            actor=world.member,
            period=world.period,
            title=f"{prefix} personal {i}",
            owner_person=world.member,
        )


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["member", "admin"])
def test_the_map_query_count_does_not_grow_with_objectives_links_and_dependencies(
    world: World, tree: Tree, who: str, member_client: Client, admin_client: Client
) -> None:
    client = member_client if who == "member" else admin_client
    grow(world, tree, 2, "A")
    small = count_queries(client, map_url())
    filtered_small = count_queries(client, map_url(team=str(world.team.uid)))
    grow(world, tree, 4, "B")
    assert count_queries(client, map_url()) == small
    assert count_queries(client, map_url(team=str(world.team.uid))) == filtered_small
    assert small <= 14


def test_the_team_view_query_count_does_not_grow(
    world: World, tree: Tree, member_client: Client
) -> None:
    grow(world, tree, 2, "A")
    small = count_queries(member_client, team_url(world.team))
    grow(world, tree, 4, "B")
    assert count_queries(member_client, team_url(world.team)) == small
    assert small <= 14


def test_the_map_varies_on_htmx_and_a_history_restore_gets_the_whole_page(
    world: World, member_client: Client
) -> None:
    url = reverse("alignment:map", args=[world.org.slug])
    fragment = member_client.get(url, headers={"HX-Request": "true"})
    assert "HX-Request" in fragment["Vary"] and "<html" not in fragment.content.decode()
    restored = member_client.get(
        url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restored.content.decode()
