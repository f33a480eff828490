"""The alignment health report: each finding proven both ways, privacy, links, query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cairn.alignment import services as alignment_services
from cairn.alignment.models import Dependency, DependencyState
from cairn.alignment.queries import health as health_queries
from cairn.alignment.queries.health import HealthReport, alignment_health
from cairn.conftest import World
from cairn.okrs import services
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import Member, Team

pytestmark = pytest.mark.django_db


def health_url(**params: str) -> str:
    url = reverse("alignment:health", args=["acme"])
    if params:
        url += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return url


def page(client: Client, url: str | None = None) -> str:
    response = client.get(url or health_url())
    assert response.status_code == 200
    return response.content.decode()


def report(world: World, member: Member | None = None) -> HealthReport:
    return alignment_health(member or world.member, world.period)


def objective(world: World, title: str, *teams: Team, **kwargs: object) -> Objective:
    return services.create_objective(
        actor=world.admin,
        period=world.period,
        title=title,
        owner_teams=list(teams),
        **kwargs,  # type: ignore[arg-type]
    )


def ask(
    world: World, of: Objective, by: Team, of_team: Team, *, days_ago: int = 0, **kwargs: object
) -> Dependency:
    dependency = alignment_services.request_dependency(
        actor=world.admin,
        objective=of,
        requesting_team=by,
        providing_team=of_team,
        need="An API for sign-up",
        **kwargs,  # type: ignore[arg-type]
    )
    if days_ago:
        asked = timezone.now() - dt.timedelta(days=days_ago)
        Dependency.objects.filter(pk=dependency.pk).update(created_at=asked, asked_at=asked)
        dependency.refresh_from_db()
    return dependency


@pytest.fixture
def mobile(world: World) -> Team:
    """A team below Product: its objectives are below the top level."""
    return org_services.create_team(
        organization=world.org, actor=world.admin, name="Mobile", parent=world.team
    )


# Tenancy and roles ------------------------------------------------------------------------


def test_the_health_report_is_a_404_for_another_organization(
    world: World, outsider_client: Client, member_client: Client
) -> None:
    assert outsider_client.get(health_url()).status_code == 404
    assert member_client.get(health_url(period=str(world.other_period.uid))).status_code == 404
    assert member_client.get(health_url(period="nope")).status_code == 404


def test_a_viewer_reads_the_health_report(world: World, viewer_client: Client) -> None:
    assert "Alignment health" in page(viewer_client)


def test_an_htmx_period_change_returns_the_report_fragment(
    world: World, member_client: Client
) -> None:
    response = member_client.get(health_url(period=str(world.period.uid)), HTTP_HX_REQUEST="true")
    assert response.content.decode().lstrip().startswith('<div id="health"')


# Aligned to nothing -------------------------------------------------------------------------


def test_an_objective_below_the_top_level_aligned_to_nothing_is_a_finding(
    world: World, mobile: Team, member_client: Client
) -> None:
    lonely = objective(world, "Lonely mobile goal", mobile)
    assert [item.objective for item in report(world).unaligned] == [lonely]
    html = page(member_client)
    assert reverse("okrs:objective", args=["acme", lonely.uid]) + "#alignment" in html


def test_an_aligned_objective_is_no_finding(world: World, mobile: Team) -> None:
    parent = objective(world, "Product goal", world.team)
    child = objective(world, "Mobile goal", mobile)
    services.align(actor=world.admin, child=child, parent_objective=parent)
    assert report(world).unaligned == []


def test_a_top_level_objective_needs_no_parent(world: World, mobile: Team) -> None:
    objective(world, "Product goal", world.team)
    objective(world, "Shared with a sub-team", world.team, mobile)
    assert report(world).unaligned == []


def test_a_personal_objective_counts_as_below_the_top_level(world: World) -> None:
    mine = services.create_objective(
        actor=world.member, period=world.period, title="Learn Rust", owner_person=world.member
    )
    assert [item.objective for item in report(world).unaligned] == [mine]


def test_an_objective_aligned_to_a_private_parent_counts_as_aligned(
    world: World, mobile: Team, private_objective: Objective
) -> None:
    child = objective(world, "Mobile goal", mobile)
    services.align(actor=world.admin, child=child, parent_objective=private_objective)
    assert report(world).unaligned == []


# Silos --------------------------------------------------------------------------------------


def test_a_team_with_objectives_and_no_sideways_link_is_a_silo(
    world: World, member_client: Client
) -> None:
    objective(world, "Product goal", world.team)
    objective(world, "Platform goal", world.other_team)
    assert [silo.team for silo in report(world).silos] == [world.other_team, world.team]
    html = page(member_client)
    assert reverse("alignment:team_alignment", args=["acme", world.team.uid]) in html


def test_a_dependency_in_or_out_ends_a_silo(world: World, mobile: Team) -> None:
    goal = objective(world, "Product goal", world.team)
    objective(world, "Platform goal", world.other_team)
    objective(world, "Mobile goal", mobile)
    ask(world, goal, world.team, world.other_team)
    assert [silo.team for silo in report(world).silos] == [mobile]


def test_sharing_an_okr_with_another_team_ends_a_silo(world: World) -> None:
    objective(world, "Launch", world.team, world.other_team)
    assert report(world).silos == []


def test_a_team_without_objectives_is_no_silo(world: World, mobile: Team) -> None:
    objective(world, "Launch", world.team, world.other_team)
    assert mobile not in [silo.team for silo in report(world).silos]


def test_a_team_owning_only_private_objectives_is_no_silo_for_who_cannot_see_them(
    world: World, private_objective: Objective
) -> None:
    assert report(world).silos == []
    assert [silo.team for silo in report(world, world.admin).silos] == [world.other_team]


# Unanswered requests ------------------------------------------------------------------------


def test_a_request_unanswered_for_more_than_a_week_is_a_finding(
    world: World, objective: Objective, member_client: Client
) -> None:
    old = ask(world, objective, world.team, world.other_team, days_ago=8)
    findings = report(world).unanswered
    assert [item.dependency for item in findings] == [old]
    assert findings[0].days == 8
    html = page(member_client)
    assert reverse("alignment:dependency", args=["acme", old.uid]) in html
    assert "Product asked Platform" in html


def test_a_recent_or_answered_request_is_no_finding(world: World, objective: Objective) -> None:
    ask(world, objective, world.team, world.other_team, days_ago=3)
    answered = ask(world, objective, world.team, world.other_team, days_ago=10)
    alignment_services.change_dependency_state(
        actor=world.admin, dependency=answered, to_state=DependencyState.ACCEPTED, comment="Yes"
    )
    assert report(world).unanswered == []


def test_an_unanswered_request_from_a_private_objective_is_hidden_from_who_cannot_see_it(
    world: World, private_objective: Objective
) -> None:
    # A request from a private item must be readable by all of the providing team.
    services.update_objective(
        objective=private_objective, actor=world.admin, shared_with=[world.member]
    )
    hidden = ask(world, private_objective, world.other_team, world.team, days_ago=9)
    viewer_report = report(world, world.viewer)
    assert viewer_report.unanswered == []
    assert [item.dependency for item in report(world, world.admin).unanswered] == [hidden]


# Over-optimistic key results ----------------------------------------------------------------


def test_a_key_result_leaning_on_an_unaccepted_dependency_is_a_finding(
    world: World, objective: Objective, key_result: KeyResult, member_client: Client
) -> None:
    dependency = ask(world, objective, world.team, world.other_team, key_result=key_result)
    assert report(world).over_optimistic == [key_result]
    html = page(member_client)
    assert reverse("checkins:key_result", args=["acme", key_result.uid]) in html

    alignment_services.change_dependency_state(
        actor=world.admin, dependency=dependency, to_state=DependencyState.ACCEPTED, comment="OK"
    )
    assert report(world).over_optimistic == []


# Shared OKRs without an initiative of each team -------------------------------------------


def test_a_shared_okr_missing_a_teams_initiative_is_a_finding(
    world: World, member_client: Client
) -> None:
    shared = objective(world, "Launch", world.team, world.other_team)
    services.create_initiative(
        actor=world.admin, objective=shared, team=world.team, title="Landing page"
    )
    findings = report(world).shared_without_initiative
    assert [(item.objective, item.missing) for item in findings] == [(shared, [world.other_team])]
    html = page(member_client)
    assert reverse("okrs:objective", args=["acme", shared.uid]) + "#initiatives" in html

    services.create_initiative(
        actor=world.admin, objective=shared, team=world.other_team, title="Sign-up API"
    )
    assert report(world).shared_without_initiative == []


def test_a_single_team_okr_needs_no_initiative_for_this_finding(
    world: World, objective: Objective
) -> None:
    assert report(world).shared_without_initiative == []


# Private items ------------------------------------------------------------------------------


def test_the_number_of_hidden_private_items_is_told_only_to_those_who_may_not_see_them(
    world: World,
    private_objective: Objective,
    objective: Objective,
    member_client: Client,
    admin_client: Client,
) -> None:
    services.create_key_result(
        actor=world.admin,
        objective=objective,
        title="Product-only secret",
        target_value=10,
        visibility="private",
    )
    other_public = services.create_objective(
        actor=world.admin, period=world.period, title="Platform", owner_teams=[world.other_team]
    )
    services.create_key_result(
        actor=world.admin,
        objective=other_public,
        title="Platform secret",
        target_value=10,
        visibility="private",
    )
    # Mia sees Product's private key result, not Platform's objective nor its key result.
    assert report(world).private_hidden == 2
    assert report(world, world.viewer).private_hidden == 3
    assert report(world, world.admin).private_hidden == 0
    html = page(member_client)
    assert "2 private items in this period are not shown to you." in html
    assert "PRIVATE-MARKER" not in html and "Platform secret" not in html
    assert "not shown to you" not in page(admin_client)


# Query count --------------------------------------------------------------------------------


def grow(world: World, mobile: Team, n: int, prefix: str) -> None:
    for i in range(n):
        top = objective(world, f"{prefix} top {i}", world.team)
        kr = services.create_key_result(
            actor=world.admin, objective=top, title=f"{prefix} KR {i}", target_value=10
        )
        objective(world, f"{prefix} lonely {i}", mobile)
        objective(world, f"{prefix} platform {i}", world.other_team)
        objective(world, f"{prefix} secret {i}", world.other_team, visibility="private")
        shared = objective(world, f"{prefix} shared {i}", world.team, world.other_team)
        services.create_initiative(
            actor=world.admin, objective=shared, team=world.team, title=f"{prefix} work {i}"
        )
        ask(world, top, world.team, world.other_team, key_result=kr, days_ago=9)
        services.create_objective(
            actor=world.member,
            period=world.period,
            title=f"{prefix} personal {i}",
            owner_person=world.member,
        )


def count_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(health_url())
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["member", "admin"])
def test_the_health_query_count_does_not_grow_with_the_period(
    world: World, mobile: Team, who: str, member_client: Client, admin_client: Client
) -> None:
    client = member_client if who == "member" else admin_client
    grow(world, mobile, 2, "A")
    small = count_queries(client)
    grow(world, mobile, 4, "B")
    assert count_queries(client) == small
    assert small <= 15
    findings = report(world)
    assert len(findings.unaligned) == 12  # the mobile ones and the personal ones
    assert len(findings.unanswered) == len(findings.over_optimistic) == 6
    assert len(findings.shared_without_initiative) == 6


# Long reports: the first rows of each finding, the rest on demand -----------------------------


def finding_url(finding: str, page: int) -> str:
    url = reverse("alignment:health_finding", args=["acme", finding])
    return f"{url}?page={page}"


def test_a_long_finding_shows_its_first_rows_and_loads_the_rest_a_page_at_a_time(
    world: World, mobile: Team, member_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health_queries, "HEALTH_ROWS", 2)
    for i in range(5):
        objective(world, f"Lonely {i}", mobile)
    html = page(member_client)
    # The summary counts every finding; the list shows two and offers the rest.
    assert '<span class="health-summary__count" data-finding="unaligned">5</span>' in html
    assert "Lonely 1" in html and "Lonely 2" not in html
    more = reverse("alignment:health_finding", args=["acme", "unaligned"])
    assert f'hx-get="{more}?period={world.period.uid}&amp;page=2"' in html
    assert "Show more (3 left)" in html

    second = member_client.get(finding_url("unaligned", 2), headers={"HX-Request": "true"})
    rows = second.content.decode()
    assert "<html" not in rows and rows.lstrip().startswith('<li class="health-row">')
    assert "Lonely 2" in rows and "Lonely 3" in rows and "Lonely 1" not in rows
    assert "Show more (1 left)" in rows
    last = page(member_client, finding_url("unaligned", 3))
    assert "<html" in last  # without JavaScript, a page of its own
    assert "Lonely 4" in last and "Show more" not in last


def test_a_finding_page_keeps_private_items_out(
    world: World, mobile: Team, member_client: Client, private_objective: Objective
) -> None:
    services.update_objective(objective=private_objective, actor=world.admin, owner_teams=[mobile])
    objective(world, "Lonely", mobile)
    html = page(member_client, finding_url("unaligned", 1))
    assert "Lonely" in html and "PRIVATE-MARKER" not in html


def test_an_unknown_finding_or_another_organization_is_a_404(
    world: World, member_client: Client, outsider_client: Client
) -> None:
    assert member_client.get(finding_url("nothing", 1)).status_code == 404
    assert outsider_client.get(finding_url("unaligned", 1)).status_code == 404


@pytest.mark.parametrize("who", ["member", "admin"])
def test_a_finding_page_query_count_does_not_grow(
    world: World, mobile: Team, who: str, member_client: Client, admin_client: Client
) -> None:
    client = member_client if who == "member" else admin_client

    def count(finding: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(finding_url(finding, 2), headers={"HX-Request": "true"})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    findings = ("unaligned", "silos", "unanswered", "over_optimistic", "shared")
    grow(world, mobile, 2, "A")
    small = [count(finding) for finding in findings]
    grow(world, mobile, 4, "B")
    assert [count(finding) for finding in findings] == small
    assert max(small) <= 15
