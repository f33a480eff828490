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
HTMX = {"HX-Request": "true"}


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


def full_sections(html: str) -> str:
    """The home above "All objectives": what it shows in full."""
    return html.split('id="all-objectives"')[0]


def all_section(html: str) -> str:
    return html.split('id="all-objectives"')[1]


def test_home_shows_the_readers_own_teams_the_top_teams_and_their_own_objectives_in_full(
    world: World, member_client: Client, objective: Objective
) -> None:
    """Mia is in Product (a top-level team here). Growth sits below Product: its objective is
    not hers to see first, so it is in "All objectives" only."""
    child = org_services.create_team(
        organization=world.org, actor=world.admin, name="Growth", parent=world.team
    )
    services.create_objective(
        actor=world.admin, period=world.period, title="Grow the funnel", owner_teams=[child]
    )
    services.create_objective(
        actor=world.member, period=world.period, title="Learn Django", owner_person=world.member
    )
    services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Platform goal",
        owner_teams=[world.other_team],
    )
    somebody_elses = services.create_objective(
        actor=world.admin, period=world.period, title="Ada's own", owner_person=world.admin
    )
    services.create_key_result(
        actor=world.admin,
        objective=somebody_elses,
        title="Mia's part",
        target_value=3,
        owner=world.member,
    )
    response = member_client.get(home_url())
    html = response.content.decode()
    top = full_sections(html)
    assert top.index("Your objectives") < top.index("Learn Django")
    assert top.index("Your teams") < top.index("Launch the Acme product successfully")
    assert top.index("Top-level teams") < top.index("Platform goal")
    # Another person's objective she owns a key result of is hers to see first too.
    assert "Ada&#x27;s own" in top or "Ada's own" in top
    assert "Grow the funnel" not in top
    assert "Grow the funnel" in all_section(html)
    sections = response.context["sections"]
    assert [c.objective.title for c in sections.yours] == ["Learn Django", "Ada's own"]
    assert [g.team.name for g in sections.my_teams] == ["Product"]
    assert [g.team.name for g in sections.company] == ["Platform"]
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
    assert full_sections(html).count("Shared launch") == 2
    assert "Shared: Platform, Product" in html
    assert all_section(html).count("Shared launch") == 1


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
    make_objectives(world, 9, prefix="B")
    large = _count_queries(member_client, home_url())
    assert large == small
    assert small <= 14


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
    make_objectives(world, 9, prefix="B")
    large = _count_queries(member_client, team_url(world))
    assert large == small
    assert small <= 18


def sub_team(world: World, name: str, parent=None):  # type: ignore[no-untyped-def]
    return org_services.create_team(
        organization=world.org, actor=world.admin, name=name, parent=parent or world.team
    )


def test_team_page_sums_up_each_sub_team_and_links_to_it(
    world: World, member_client: Client, objective: Objective
) -> None:
    growth, support = sub_team(world, "Growth"), sub_team(world, "Support")
    sub_team(world, "Growth squad", parent=growth)
    for title, owners in (("Grow the funnel", [growth]), ("Shared growth", [growth, support])):
        goal = services.create_objective(
            actor=world.admin, period=world.period, title=title, owner_teams=owners
        )
        for k in range(2):
            kr = services.create_key_result(
                actor=world.admin, objective=goal, title=f"{title} KR {k}", target_value=10
            )
            services.set_current_value(key_result=kr, actor=None, value=5 * k)
    response = member_client.get(team_url(world))
    html = response.content.decode()
    lines = {line.team.name: line for line in response.context["sub_teams"]}
    assert list(lines) == ["Growth", "Support"]
    growth_line, support_line = lines["Growth"], lines["Support"]
    assert (growth_line.objectives, growth_line.key_results, growth_line.teams_below) == (2, 4, 1)
    assert (support_line.objectives, support_line.key_results) == (1, 2)
    # Each objective is at 25% (0% and 50%): so is the mean over them.
    assert growth_line.progress.pct == 25
    # The sub-teams' objectives are summed up, not drawn; their pages are a click away.
    assert "Grow the funnel" not in html
    assert reverse("okrs:team", args=["acme", growth.uid]) + f"?period={world.period.uid}" in html
    assert "1 team below it" in html
    # The team's own objective is drawn in full.
    assert "Launch the Acme product successfully" in html


def test_a_sub_teams_line_counts_only_what_the_reader_may_see(
    world: World, member_client: Client, admin_client: Client
) -> None:
    growth = sub_team(world, "Growth")
    secret = services.create_objective(
        actor=world.admin,
        period=world.period,
        title="PRIVATE-MARKER growth",
        owner_teams=[growth],
        visibility="private",
    )
    services.create_key_result(actor=world.admin, objective=secret, title="K", target_value=3)
    public = services.create_objective(
        actor=world.admin, period=world.period, title="Public growth", owner_teams=[growth]
    )
    services.create_key_result(
        actor=world.admin,
        objective=public,
        title="PRIVATE-MARKER kr",
        target_value=3,
        visibility="private",
    )
    services.create_key_result(actor=world.admin, objective=public, title="Open", target_value=3)

    def line(client: Client):  # type: ignore[no-untyped-def]
        [only] = client.get(team_url(world)).context["sub_teams"]
        return only.objectives, only.key_results

    assert line(member_client) == (1, 1)
    assert line(admin_client) == (2, 3)


def test_a_leaf_teams_page_has_no_sub_teams_section(
    world: World, member_client: Client, objective: Objective
) -> None:
    html = member_client.get(team_url(world)).content.decode()
    assert "Launch the Acme product successfully" in html
    assert 'id="team-sub-teams"' not in html


def test_team_page_query_count_does_not_grow_with_sub_teams(
    world: World, member_client: Client
) -> None:
    def grow(prefix: str, n: int) -> None:
        for i in range(n):
            team = sub_team(world, f"{prefix} squad {i}")
            goal = services.create_objective(
                actor=world.admin, period=world.period, title=f"{prefix} {i}", owner_teams=[team]
            )
            services.create_key_result(actor=world.admin, objective=goal, title="K", target_value=2)

    grow("A", 2)
    small = _count_queries(member_client, team_url(world))
    grow("B", 6)
    assert _count_queries(member_client, team_url(world)) == small


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
