"""The map at scale: it draws the top levels of the team tree while they fit, and the teams
below (and the personal objectives, a page at a time) load when they are opened — through
the same gate, with the same private chains redacted, in a constant number of queries."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.alignment.queries import map as map_queries
from cairn.conftest import World
from cairn.okrs import services
from cairn.okrs.models import Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import Member, Team

pytestmark = pytest.mark.django_db


@dataclass
class Tree:
    mobile: Team  # below Product
    ios: Team  # below Mobile


@pytest.fixture
def tree(world: World) -> Tree:
    mobile = org_services.create_team(
        organization=world.org, actor=world.admin, name="Mobile", parent=world.team
    )
    ios = org_services.create_team(
        organization=world.org, actor=world.admin, name="iOS", parent=mobile
    )
    return Tree(mobile=mobile, ios=ios)


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages that fill up at two rows, as a page of the benchmark's size fills at 200."""
    monkeypatch.setattr(map_queries, "OPEN_ROWS", 2)
    monkeypatch.setattr(map_queries, "PEOPLE_PAGE", 2)


def objective(world: World, title: str, *teams: Team, **kwargs: object) -> Objective:
    return services.create_objective(
        actor=world.admin,
        period=world.period,
        title=title,
        owner_teams=list(teams),
        **kwargs,  # type: ignore[arg-type]
    )


def map_url(world: World, **params: str) -> str:
    query = "&".join(
        f"{key}={value}" for key, value in {"period": world.period.uid, **params}.items()
    )
    return reverse("alignment:map", args=["acme"]) + "?" + query


def part_url(world: World, team: Team) -> str:
    url = reverse("alignment:map_team", args=["acme", team.uid])
    return f"{url}?period={world.period.uid}"


def people_url(world: World, page: int = 1) -> str:
    url = reverse("alignment:map_people", args=["acme"])
    return f"{url}?period={world.period.uid}&page={page}"


def get(client: Client, url: str, *, htmx: bool = False) -> str:
    response = client.get(url, headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def goals(world: World, tree: Tree) -> None:
    objective(world, "Product goal", world.team)
    objective(world, "Mobile goal A", tree.mobile)
    objective(world, "Mobile goal B", tree.mobile)
    objective(world, "iOS goal", tree.ios)


# Drawing the top, loading the rest ----------------------------------------------------------


def test_a_small_map_draws_every_team(
    world: World, tree: Tree, goals: None, member_client: Client
) -> None:
    html = get(member_client, map_url(world))
    for title in ("Product goal", "Mobile goal A", "iOS goal"):
        assert title in html
    assert "toggle once" not in html


def test_a_full_map_draws_the_top_levels_and_closes_the_teams_below(
    world: World, tree: Tree, goals: None, small_pages: None, member_client: Client
) -> None:
    html = get(member_client, map_url(world))
    assert "Product goal" in html
    assert "Mobile goal A" not in html and "iOS goal" not in html
    # Mobile is a closed team with its counts, loading its part when opened; without
    # JavaScript its link is the map of that team.
    assert re.search(r'<details class="map-team">\s*<summary[^>]*>\s*<span[^>]*>Mobile<', html)
    assert "2 objectives" in html and "1 more in 1 team below" in html
    assert f'hx-get="{part_url(world, tree.mobile)}"' in html
    assert 'hx-trigger="toggle once from:closest details"' in html
    assert f'href="{map_url(world, team=str(tree.mobile.uid))}"'.replace("&", "&amp;") in html
    # The counts above the map are the whole period's.
    assert "4 objectives" in html


def test_an_opened_team_loads_its_objectives_and_closes_the_teams_below_it(
    world: World, tree: Tree, goals: None, small_pages: None, member_client: Client
) -> None:
    html = get(member_client, part_url(world, tree.mobile), htmx=True)
    assert html.lstrip().startswith('<div class="map-part">')
    assert "<html" not in html
    assert "Mobile goal A" in html and "Mobile goal B" in html
    assert "Product goal" not in html and "iOS goal" not in html
    assert f'hx-get="{part_url(world, tree.ios)}"' in html
    assert "iOS goal" in get(member_client, part_url(world, tree.ios), htmx=True)


def test_an_opened_team_without_htmx_is_the_map_of_that_team(
    world: World, tree: Tree, member_client: Client
) -> None:
    response = member_client.get(part_url(world, tree.mobile))
    assert response.status_code == 302
    assert response["Location"] == map_url(world, team=str(tree.mobile.uid))


def test_an_opened_team_redacts_its_private_chain_with_its_own_anchors(
    world: World, tree: Tree, small_pages: None, member_client: Client, admin_client: Client
) -> None:
    mobile_goal = objective(world, "Mobile goal", tree.mobile)
    secret = objective(world, "SECRET platform plan", world.other_team, visibility="private")
    services.align(actor=world.admin, child=secret, parent_objective=mobile_goal)
    objective(world, "Product goal A", world.team)
    objective(world, "Product goal B", world.team)
    html = get(member_client, part_url(world, tree.mobile), htmx=True)
    prefix = f"p-{tree.mobile.uid.hex[:8]}-1"
    assert f'id="{prefix}"' in html and f'href="#{prefix}"' in html
    assert "Private objective" in html and "Private items in the chain" in html
    assert "SECRET" not in html and str(secret.uid) not in html
    assert "SECRET platform plan" in get(admin_client, part_url(world, tree.mobile), htmx=True)


def test_an_opened_team_is_a_404_for_another_organization(
    world: World, tree: Tree, outsider_client: Client, member_client: Client
) -> None:
    assert (
        outsider_client.get(part_url(world, tree.mobile), HTTP_HX_REQUEST="true").status_code == 404
    )
    assert outsider_client.get(people_url(world), HTTP_HX_REQUEST="true").status_code == 404
    foreign = org_services.create_team(
        organization=world.other_org, actor=world.outsider, name="Globex team"
    )
    assert member_client.get(part_url(world, foreign), HTTP_HX_REQUEST="true").status_code == 404


# Personal objectives ------------------------------------------------------------------------


def personal(world: World, owner: Member, title: str) -> Objective:
    return services.create_objective(
        actor=owner, period=world.period, title=title, owner_person=owner
    )


def test_personal_objectives_that_do_not_fit_load_a_page_at_a_time_by_owner(
    world: World, small_pages: None, member_client: Client
) -> None:
    objective(world, "Product goal", world.team)
    for title in ("Mia one", "Mia two", "Mia three"):
        personal(world, world.member, title)
    personal(world, world.admin, "Ada plan")
    html = get(member_client, map_url(world))
    assert "Personal objectives" in html and "4 objectives" in html
    assert "Mia one" not in html
    assert f'hx-get="{people_url(world).removesuffix("&page=1")}"' in html

    first = get(member_client, people_url(world), htmx=True)
    assert "<html" not in first
    # Ada before Mia; two a page.
    assert "Ada plan" in first and "Mia one" in first and "Mia two" not in first
    assert people_url(world, 2).replace("&", "&amp;") in first
    second = get(member_client, people_url(world, 2), htmx=True)
    assert "Mia two" in second and "Mia three" in second and "Ada plan" not in second
    assert "More personal objectives" not in second
    # Without JavaScript the same page is a whole page.
    assert "<html" in get(member_client, people_url(world, 2))


def test_a_team_filter_pages_the_personal_objectives_of_its_people(
    world: World, small_pages: None, member_client: Client
) -> None:
    objective(world, "Product goal A", world.team)
    objective(world, "Product goal B", world.team)
    personal(world, world.member, "Mia plan")
    personal(world, world.admin, "Ada plan")
    url = people_url(world) + f"&team={world.team.uid}"
    html = get(member_client, url, htmx=True)
    assert "Mia plan" in html and "Ada plan" not in html


# The team filter ----------------------------------------------------------------------------


def test_the_team_filter_lists_the_top_levels_and_the_team_chosen(
    world: World, tree: Tree, goals: None, monkeypatch: pytest.MonkeyPatch, member_client: Client
) -> None:
    monkeypatch.setattr(map_queries, "TEAM_CHOICES", 2)
    select = get(member_client, map_url(world)).split('id="map-team"')[1].split("</select>")[0]
    assert ">Product<" in select and ">Platform<" in select and "Mobile" not in select
    html = get(member_client, map_url(world, team=str(tree.ios.uid)))
    select = html.split('id="map-team"')[1].split("</select>")[0]
    assert "Mobile" in select and "iOS" in select and "selected" in select


# Query counts -------------------------------------------------------------------------------


def grow(world: World, tree: Tree, n: int, prefix: str) -> None:
    for i in range(n):
        top = objective(world, f"{prefix} product {i}", world.team)
        child = objective(world, f"{prefix} mobile {i}", tree.mobile)
        services.align(actor=world.admin, child=child, parent_objective=top)
        secret = objective(world, f"{prefix} secret {i}", world.other_team, visibility="private")
        services.align(actor=world.admin, child=secret, parent_objective=child)
        objective(world, f"{prefix} ios {i}", tree.ios)
        objective(world, f"{prefix} shared {i}", tree.mobile, world.other_team)
        personal(world, world.member, f"{prefix} personal {i}")


def count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["member", "admin"])
def test_the_parts_query_counts_do_not_grow(
    world: World,
    tree: Tree,
    small_pages: None,
    who: str,
    member_client: Client,
    admin_client: Client,
) -> None:
    client = member_client if who == "member" else admin_client
    urls = [part_url(world, tree.mobile), people_url(world), people_url(world, 2)]
    grow(world, tree, 2, "A")
    small = [count(client, url) for url in urls]
    grow(world, tree, 4, "B")
    assert [count(client, url) for url in urls] == small
    assert max(small) <= 14
