"""The organization home at scale: the reader's sections in full, and "All objectives" a page
at a time (`okrs.queries.home`), narrowed to a team, through the gate."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.conftest import World
from cairn.okrs import services
from cairn.okrs.models import Objective
from cairn.okrs.queries import home as home_queries
from cairn.okrs.tests.test_okr_page_views import all_section, home_url, make_objectives
from cairn.orgs import services as org_services

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# All objectives: the rest of the period, a page at a time ---------------------------------


def objectives_url(org: str = "acme") -> str:
    return reverse("okrs:objectives", args=[org])


def many_objectives(world: World, n: int, team=None) -> list[Objective]:
    return [
        services.create_objective(
            actor=world.admin,
            period=world.period,
            title=f"Numbered {i:03d}",
            owner_teams=[team or world.other_team],
        )
        for i in range(n)
    ]


def test_home_lists_all_objectives_a_page_at_a_time_with_a_link_to_the_next(
    world: World, member_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(home_queries, "ALL_PAGE_SIZE", 5)
    many_objectives(world, 12)
    html = all_section(member_client.get(home_url()).content.decode())
    assert [f"Numbered {i:03d}" in html for i in range(7)] == [True] * 5 + [False] * 2
    next_page = f"{objectives_url()}?period={world.period.uid}&amp;page=2"
    assert f'href="{next_page}"' in html and f'hx-get="{next_page}"' in html
    # Over htmx the next page comes as list items and the link to the one after it.
    fragment = member_client.get(
        objectives_url(), {"period": str(world.period.uid), "page": "2"}, headers=HTMX
    ).content.decode()
    assert fragment.lstrip().startswith("<li")
    assert "Numbered 005" in fragment and "Numbered 009" in fragment
    assert "Numbered 004" not in fragment and "Numbered 010" not in fragment
    assert "page=3" in fragment
    # Without JavaScript the link is a page of its own; the last page has no further link.
    last = member_client.get(objectives_url(), {"period": str(world.period.uid), "page": "3"})
    page = last.content.decode()
    assert "<html" in page and "Numbered 011" in page and "Numbered 009" not in page
    assert "page=4" not in page and "Earlier objectives" in page


def test_all_objectives_narrow_to_a_team_and_the_teams_below_it(
    world: World, member_client: Client
) -> None:
    growth = org_services.create_team(
        organization=world.org, actor=world.admin, name="Growth", parent=world.team
    )
    services.create_objective(
        actor=world.admin, period=world.period, title="Product goal", owner_teams=[world.team]
    )
    services.create_objective(
        actor=world.admin, period=world.period, title="Growth goal", owner_teams=[growth]
    )
    services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Platform goal",
        owner_teams=[world.other_team],
    )
    response = member_client.get(
        objectives_url(),
        {"period": str(world.period.uid), "team": str(world.team.uid)},
        headers=HTMX,
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="all-objectives"')
    assert "Product goal" in html and "Growth goal" in html
    assert "Platform goal" not in html
    assert f'<option value="{world.team.uid}" selected>' in html


def test_all_objectives_pass_the_gate(
    world: World,
    member_client: Client,
    admin_client: Client,
    outsider_client: Client,
    private_objective: Objective,
) -> None:
    params = {"period": str(world.period.uid)}
    assert "PRIVATE-MARKER" not in member_client.get(objectives_url(), params).content.decode()
    assert "PRIVATE-MARKER" in admin_client.get(objectives_url(), params).content.decode()
    # Another organization's page, period or team is a 404.
    assert outsider_client.get(objectives_url(), params).status_code == 404
    other = {"period": str(world.other_period.uid)}
    assert member_client.get(objectives_url(), other).status_code == 404
    globex_team = org_services.create_team(
        organization=world.other_org, actor=world.outsider, name="Globex team"
    )
    foreign = {**params, "team": str(globex_team.uid)}
    assert member_client.get(objectives_url(), foreign).status_code == 404
    assert member_client.get(home_url(), {"team": str(globex_team.uid)}).status_code == 404


def test_all_objectives_use_as_many_queries_for_three_times_the_objectives(
    world: World, member_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(home_queries, "ALL_PAGE_SIZE", 100)
    make_objectives(world, 3, prefix="A")
    params = f"?period={world.period.uid}&page=1"
    small = _count_queries(member_client, objectives_url() + params)
    make_objectives(world, 6, prefix="B")
    assert _count_queries(member_client, objectives_url() + params) == small


def test_any_page_number_is_a_page_never_a_server_error(
    world: World, member_client: Client
) -> None:
    many_objectives(world, 3)
    for page in ("abc", "-3", "0", "999999999999999999999999999999"):
        for url in (objectives_url(), home_url()):
            response = member_client.get(f"{url}?page={page}")
            assert response.status_code == 200, (url, page)
    fragment = member_client.get(f"{objectives_url()}?page=2", headers=HTMX)
    assert "HX-Request" in fragment.headers.get("Vary", "")
