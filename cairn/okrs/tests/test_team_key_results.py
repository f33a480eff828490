"""One rule for "a team's key results" (`queries.team_key_results_q`), the same on the
blockers board and insights filters and the team lead's digest: the key results of objectives
owned by the team or a team below it, plus those its people own. The team page draws the
team's own level of it (its objectives and its own people's key results elsewhere) and sums
up each sub-team in a line: for a team without sub-teams it is the same set."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.checkins import reminders
from cairn.checkins.services import Confidence, Progress, record_check_in
from cairn.conftest import World, login
from cairn.lib.rhythm import Staleness
from cairn.okrs import queries
from cairn.okrs import services as okr_services
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import Member, Role, Team

pytestmark = pytest.mark.django_db

CREATED = dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC)
# Four weeks on: nothing was checked in since, so every key result is stale or dead.
LATER = dt.datetime(2026, 10, 26, 10, tzinfo=dt.UTC)
TITLE = "Engineers trained for on-call"


@pytest.fixture
def clock(db: None) -> Iterator[time_machine.Traveller]:
    with time_machine.travel(CREATED, tick=False) as traveller:
        yield traveller


@dataclass
class Tree:
    engineering: Team
    platform: Team
    omar: Member
    on_call: KeyResult
    platform_objective: Objective


def make_kr(world: World, objective: Objective, title: str, **extra: object) -> KeyResult:
    return okr_services.create_key_result(
        actor=world.admin,
        objective=objective,
        title=title,
        start_value=0,
        target_value=10,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def tree(clock: time_machine.Traveller, world: World) -> Tree:
    """Engineering above Platform (the fixture's `other_team`); Omar leads Platform without
    being a member, and owns "Engineers trained for on-call" under his personal objective."""
    engineering = org_services.create_team(organization=world.org, actor=None, name="Engineering")
    platform = world.other_team
    omar = org_services.add_member(
        organization=world.org,
        email="omar@acme.test",
        role=Role.MEMBER,
        name="Omar Haddad",
        password="correct-horse-battery",
        actor=world.admin,
    )
    org_services.update_team(team=platform, actor=None, parent=engineering, lead=omar)
    bench = okr_services.create_objective(
        actor=omar, period=world.period, title="Grow the on-call bench", owner_person=omar
    )
    on_call = make_kr(world, bench, TITLE, owner=omar)
    platform_objective = okr_services.create_objective(
        actor=world.admin, period=world.period, title="Platform goal", owner_teams=[platform]
    )
    make_kr(world, platform_objective, "Platform KR")
    return Tree(engineering, platform, omar, on_call, platform_objective)


def team_url(world: World, team: Team, **params: str) -> str:
    url = reverse("okrs:team", args=[world.org.slug, team.uid])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def page_key_results(response) -> set[str]:  # type: ignore[no-untyped-def]
    context = response.context
    titles = {s.key_result.title for card in context["cards"] for s in card.signals}
    return titles | {s.key_result.title for s in context["people_signals"]}


def counts(response) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {item.state.value: item.count for item in response.context["staleness_counts"]}


def test_a_team_leads_personal_key_result_shows_on_the_team_page_with_its_staleness(
    tree: Tree, world: World, clock: time_machine.Traveller
) -> None:
    clock.move_to(LATER)
    member_client = login(Client(), world.member)  # a session from before would have expired
    response = member_client.get(team_url(world, tree.platform))
    html = response.content.decode()
    assert TITLE in html and "Grow the on-call bench" in html
    assert page_key_results(response) == {TITLE, "Platform KR"}
    assert sum(counts(response).values()) == 2
    state = queries.staleness_for(tree.on_call, world.org, LATER.date())
    assert state in (Staleness.STALE, Staleness.DEAD)
    filtered = member_client.get(team_url(world, tree.platform, staleness=state.value))
    assert TITLE in filtered.content.decode()
    assert counts(filtered) == counts(response)


def test_a_parent_team_sums_up_its_sub_teams_whose_pages_show_their_key_results(
    tree: Tree, world: World, clock: time_machine.Traveller
) -> None:
    clock.move_to(LATER)
    member_client = login(Client(), world.member)  # a session from before would have expired
    response = member_client.get(team_url(world, tree.engineering))
    html = response.content.decode()
    assert "Sub-teams" in html and "Platform" in html
    [line] = response.context["sub_teams"]
    assert (line.team, line.objectives, line.key_results) == (tree.platform, 1, 1)
    # Platform's objective and its lead's key result are on Platform's page, not drawn here;
    # the line counts Platform's key result in the page's staleness counts.
    assert "Platform goal" not in html and TITLE not in html
    assert page_key_results(response) == set()
    assert sum(counts(response).values()) == 1
    platform = member_client.get(team_url(world, tree.platform))
    assert page_key_results(platform) == {TITLE, "Platform KR"}
    # Product is no sub-team of Engineering.
    okr_services.create_objective(
        actor=world.admin, period=world.period, title="Product goal", owner_teams=[world.team]
    )
    response = member_client.get(team_url(world, tree.engineering))
    assert [line.team for line in response.context["sub_teams"]] == [tree.platform]


def test_a_filtered_parent_page_counts_each_sub_teams_key_results_in_that_state(
    tree: Tree, world: World, clock: time_machine.Traveller
) -> None:
    clock.move_to(LATER)
    member_client = login(Client(), world.member)
    kr = KeyResult.objects.get(title="Platform KR")
    state = queries.staleness_for(kr, world.org, LATER.date())
    response = member_client.get(team_url(world, tree.engineering, staleness=state.value))
    [line] = response.context["sub_teams"]
    assert line.shown_count == 1
    other = next(s for s in Staleness if s != state)
    response = member_client.get(team_url(world, tree.engineering, staleness=other.value))
    [line] = response.context["sub_teams"]
    assert line.shown_count == 0
    # The link to the sub-team keeps the filter.
    assert f"?period={world.period.uid}&amp;staleness={other.value}" in response.content.decode()


def test_the_blockers_board_and_insights_of_a_team_include_its_peoples_key_results(
    tree: Tree, world: World, member_client: Client
) -> None:
    record_check_in(
        key_result=tree.on_call,
        author=tree.omar,
        progress=Progress(value=2, comment="Rota tooling is missing"),
        confidence=Confidence(level=4),
        blocker=True,
        insight=True,
    )
    for team in (tree.platform, tree.engineering):
        board = member_client.get(
            reverse("checkins:blockers", args=[world.org.slug]) + f"?team={team.uid}"
        )
        assert "Rota tooling is missing" in board.content.decode()
        insights = member_client.get(
            reverse("checkins:insights", args=[world.org.slug]) + f"?team={team.uid}"
        )
        assert "Rota tooling is missing" in insights.content.decode()
    product = member_client.get(
        reverse("checkins:blockers", args=[world.org.slug]) + f"?team={world.team.uid}"
    )
    assert "Rota tooling is missing" not in product.content.decode()


def test_the_leads_digest_and_the_team_page_agree_on_the_teams_key_results(
    tree: Tree, world: World, clock: time_machine.Traveller
) -> None:
    # Sofia is a Platform member: her key result on Product's objective is Platform's too.
    sofia = org_services.add_member(
        organization=world.org,
        email="sofia@acme.test",
        role=Role.MEMBER,
        name="Sofia Rossi",
        password="correct-horse-battery",
        actor=world.admin,
        team=tree.platform,
    )
    product = okr_services.create_objective(
        actor=world.admin, period=world.period, title="Product goal", owner_teams=[world.team]
    )
    make_kr(world, product, "Sofia's part", owner=sofia)
    make_kr(world, product, "Not Platform's")
    clock.move_to(LATER)

    digest = reminders.digest_for(tree.omar, today=LATER.date())
    [team] = digest.teams
    in_digest = {s.key_result.title for s in (*team.stale, *team.dead)}
    page = login(Client(), tree.omar).get(team_url(world, tree.platform))
    assert in_digest == page_key_results(page) == {TITLE, "Platform KR", "Sofia's part"}


def test_private_key_results_of_the_teams_people_stay_hidden(
    tree: Tree, world: World, member_client: Client, admin_client: Client
) -> None:
    secret = okr_services.create_objective(
        actor=tree.omar,
        period=world.period,
        title="PRIVATE-MARKER objective",
        owner_person=tree.omar,
        visibility="private",
    )
    make_kr(world, secret, "PRIVATE-MARKER key result", owner=tree.omar)
    for team in (tree.platform, tree.engineering):
        assert "PRIVATE-MARKER" not in member_client.get(team_url(world, team)).content.decode()
    assert "PRIVATE-MARKER" in admin_client.get(team_url(world, tree.platform)).content.decode()
    assert "PRIVATE-MARKER key result" not in {
        kr.title for kr in queries.team_key_results(world.member, tree.platform)
    }


def _query_count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow(tree: Tree, world: World, n: int, prefix: str) -> None:
    for i in range(n):
        child = org_services.create_team(
            organization=world.org, actor=None, name=f"{prefix} squad {i}", parent=tree.platform
        )
        person = org_services.add_member(
            organization=world.org,
            email=f"{prefix.lower()}{i}@acme.test",
            role=Role.MEMBER,
            name=f"{prefix} person {i}",
            password="correct-horse-battery",
            actor=world.admin,
            team=child,
        )
        squad_goal = okr_services.create_objective(
            actor=world.admin, period=world.period, title=f"{prefix} goal {i}", owner_teams=[child]
        )
        make_kr(world, squad_goal, f"{prefix} squad KR {i}")
        personal = okr_services.create_objective(
            actor=world.admin, period=world.period, title=f"{prefix} own {i}", owner_person=person
        )
        make_kr(world, personal, f"{prefix} personal KR {i}", owner=person)


def test_the_team_page_query_count_does_not_grow_with_sub_teams_and_people(
    tree: Tree, world: World, member_client: Client
) -> None:
    _grow(tree, world, 2, "A")
    small = {
        team: _query_count(member_client, team_url(world, team))
        for team in (tree.engineering, tree.platform)
    }
    _grow(tree, world, 4, "B")
    for team, count in small.items():
        assert _query_count(member_client, team_url(world, team)) == count
    response = member_client.get(team_url(world, tree.platform))
    assert "B squad 3" in response.content.decode()
    squad = Team.objects.get(name="B squad 3")
    html = member_client.get(team_url(world, squad)).content.decode()
    assert "B goal 3" in html and "B personal KR 3" in html
