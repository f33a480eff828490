"""The reading pages: organization home, team page, person page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.conftest import World
from cairn.okrs import services
from cairn.okrs.models import Objective
from cairn.orgs import services as org_services
from cairn.reporting import services as reporting

pytestmark = pytest.mark.django_db


def home_url(org: str = "acme") -> str:
    return reverse("okrs:home", args=[org])


def team_url(world: World, team=None) -> str:
    return reverse("okrs:team", args=["acme", (team or world.team).uid])


def person_url(world: World, person=None) -> str:
    return reverse("okrs:person", args=["acme", (person or world.member).uid])


def make_objectives(world: World, n: int, *, prefix: str = "Objective") -> None:
    for i in range(n):
        teams = [world.team, world.other_team] if i % 2 else [world.team]
        objective = services.create_objective(
            actor=world.admin, period=world.period, title=f"{prefix} {i}", owner_teams=teams
        )
        for k in range(2):
            services.create_key_result(
                actor=world.admin,
                objective=objective,
                title=f"KR {i}.{k}",
                start_value=0,
                target_value=10,
                owner=world.member,
            )
        services.create_initiative(
            actor=world.admin,
            objective=objective,
            team=world.team,
            title=f"Work {i}",
            owner=world.member,
        )
        services.create_objective(
            actor=world.admin,
            period=world.period,
            title=f"Personal {prefix} {i}",
            owner_person=world.member,
        )


# Home ---------------------------------------------------------------------------------------


def test_home_is_a_404_for_another_organizations_admin(outsider_client: Client) -> None:
    assert outsider_client.get(home_url()).status_code == 404


def test_home_sends_anonymous_visitors_to_sign_in(world: World) -> None:
    response = Client().get(home_url())
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_home_groups_objectives_along_the_team_tree(
    world: World, member_client: Client, objective: Objective
) -> None:
    child = org_services.create_team(
        organization=world.org, actor=world.admin, name="Growth", parent=world.team
    )
    services.create_objective(
        actor=world.admin, period=world.period, title="Grow the funnel", owner_teams=[child]
    )
    services.create_objective(
        actor=world.member, period=world.period, title="Learn Django", owner_person=world.member
    )
    html = member_client.get(home_url()).content.decode()
    assert "Launch the Acme product successfully" in html
    assert html.index("Product") < html.index("Growth") < html.index("Grow the funnel")
    assert "People" in html and "Learn Django" in html
    assert "New objective" in html


def test_home_shows_a_shared_objective_under_every_owning_team_with_a_badge(
    world: World, member_client: Client
) -> None:
    services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Shared launch",
        owner_teams=[world.team, world.other_team],
    )
    html = member_client.get(home_url()).content.decode()
    assert html.count("Shared launch") == 2
    assert "Shared: Platform, Product" in html


def test_home_has_no_new_objective_button_for_viewers(viewer_client: Client, objective) -> None:
    html = viewer_client.get(home_url()).content.decode()
    assert "Launch the Acme product successfully" in html
    assert "New objective" not in html


def test_home_shows_progress_expected_marker_and_pace(
    world: World, member_client: Client, objective: Objective, key_result
) -> None:
    services.set_current_value(key_result=key_result, actor=None, value=250_000)
    html = member_client.get(home_url()).content.decode()
    assert "50%" in html
    assert "progress__expected" in html
    assert "badge--" in html


def test_home_switches_period(world: World, member_client: Client, objective: Objective) -> None:
    import datetime as dt

    older = org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2026 Q3",
        start=dt.date(2026, 7, 1),
        end=dt.date(2026, 9, 30),
    )
    services.create_objective(
        actor=world.admin, period=older, title="Last quarter goal", owner_teams=[world.team]
    )
    reporting.close_period(period=older, actor=world.admin)
    current = member_client.get(home_url()).content.decode()
    assert "Launch the Acme product successfully" in current
    assert "Last quarter goal" not in current
    switched = member_client.get(home_url(), {"period": str(older.uid)}).content.decode()
    assert "Last quarter goal" in switched
    assert "Launch the Acme product successfully" not in switched


def test_home_period_switch_over_htmx_returns_only_the_okrs_fragment(
    member_client: Client, objective: Objective, world: World
) -> None:
    response = member_client.get(
        home_url(), {"period": str(world.period.uid)}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="okrs">')
    assert "Launch the Acme product successfully" in html


def test_home_is_a_404_for_another_organizations_period(
    world: World, member_client: Client
) -> None:
    response = member_client.get(home_url(), {"period": str(world.other_period.uid)})
    assert response.status_code == 404


def test_home_hides_a_private_objective_from_member_and_viewer(
    member_client: Client, viewer_client: Client, admin_client: Client, private_objective
) -> None:
    assert "PRIVATE-MARKER" not in member_client.get(home_url()).content.decode()
    assert "PRIVATE-MARKER" not in viewer_client.get(home_url()).content.decode()
    assert "PRIVATE-MARKER" in admin_client.get(home_url()).content.decode()


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_home_query_count_does_not_grow_with_objectives_and_key_results(
    world: World, member_client: Client
) -> None:
    make_objectives(world, 3, prefix="A")
    small = _count_queries(member_client, home_url())
    make_objectives(world, 6, prefix="B")
    large = _count_queries(member_client, home_url())
    assert large == small
    assert small <= 12


# Team page ----------------------------------------------------------------------------------


def test_team_page_is_a_404_for_another_organizations_admin(
    world: World, outsider_client: Client
) -> None:
    assert outsider_client.get(team_url(world)).status_code == 404


def test_team_page_is_a_404_for_a_team_of_another_organization(
    world: World, member_client: Client
) -> None:
    globex_team = org_services.create_team(
        organization=world.other_org, actor=world.outsider, name="Globex team"
    )
    assert member_client.get(team_url(world, globex_team)).status_code == 404


def test_team_page_lists_own_and_shared_objectives_initiatives_and_members(
    world: World, viewer_client: Client, objective: Objective
) -> None:
    shared = services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Shared launch",
        owner_teams=[world.team, world.other_team],
    )
    services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Platform only",
        owner_teams=[world.other_team],
    )
    services.create_initiative(
        actor=world.admin, objective=shared, team=world.team, title="Write the launch plan"
    )
    html = viewer_client.get(team_url(world)).content.decode()
    assert "Launch the Acme product successfully" in html
    assert "Shared launch" in html
    assert "Platform only" not in html
    assert "Write the launch plan" in html
    assert "Mia Member" in html
    assert "New objective" not in html


def test_team_page_offers_new_objective_to_team_members(
    world: World, member_client: Client
) -> None:
    html = member_client.get(team_url(world)).content.decode()
    assert f"?team={world.team.uid}" in html


def test_team_page_hides_a_private_objective(
    world: World,
    admin_client: Client,
    member_client: Client,
    viewer_client: Client,
    private_objective: Objective,
) -> None:
    url = team_url(world, world.other_team)
    assert "PRIVATE-MARKER" not in member_client.get(url).content.decode()
    assert "PRIVATE-MARKER" not in viewer_client.get(url).content.decode()
    assert "PRIVATE-MARKER" in admin_client.get(url).content.decode()


def test_team_page_query_count_does_not_grow_with_objectives_and_key_results(
    world: World, member_client: Client
) -> None:
    make_objectives(world, 3, prefix="A")
    small = _count_queries(member_client, team_url(world))
    make_objectives(world, 6, prefix="B")
    large = _count_queries(member_client, team_url(world))
    assert large == small
    assert small <= 14


# Person page --------------------------------------------------------------------------------


def test_person_page_is_a_404_for_another_organizations_admin(
    world: World, outsider_client: Client
) -> None:
    assert outsider_client.get(person_url(world)).status_code == 404


def test_person_page_is_a_404_for_a_person_of_another_organization(
    world: World, member_client: Client
) -> None:
    assert member_client.get(person_url(world, world.outsider)).status_code == 404


def test_person_page_lists_what_the_person_owns(
    world: World, viewer_client: Client, objective: Objective, key_result
) -> None:
    services.create_objective(
        actor=world.member, period=world.period, title="Learn Django", owner_person=world.member
    )
    services.update_key_result(key_result=key_result, actor=world.admin, owner=world.member)
    services.create_initiative(
        actor=world.admin,
        objective=objective,
        team=world.team,
        title="Run the beta",
        owner=world.member,
    )
    html = viewer_client.get(person_url(world)).content.decode()
    assert "Learn Django" in html
    assert "Reach 500,000 daily active users" in html
    assert "Run the beta" in html
    assert "Product" in html


def test_person_page_hides_a_private_objective_and_its_key_results(
    world: World,
    admin_client: Client,
    member_client: Client,
    viewer_client: Client,
    private_objective: Objective,
) -> None:
    services.create_key_result(
        actor=world.admin,
        objective=private_objective,
        title="PRIVATE-MARKER kr",
        target_value=5,
        owner=world.admin,
    )
    secret = services.create_objective(
        actor=world.admin,
        period=world.period,
        title="PRIVATE-MARKER personal",
        owner_person=world.admin,
        visibility="private",
    )
    assert secret
    url = person_url(world, world.admin)
    assert "PRIVATE-MARKER" not in member_client.get(url).content.decode()
    assert "PRIVATE-MARKER" not in viewer_client.get(url).content.decode()
    assert "PRIVATE-MARKER" in admin_client.get(url).content.decode()


def test_person_page_query_count_does_not_grow_with_objectives(
    world: World, member_client: Client
) -> None:
    make_objectives(world, 2, prefix="A")
    small = _count_queries(member_client, person_url(world))
    make_objectives(world, 6, prefix="B")
    assert _count_queries(member_client, person_url(world)) == small
