"""Dependency pages through the web UI: the gate on every URL (outsiders 404, viewers 403 on
writes, private requests 404), forms that offer only what the member may see, the moves and
their refusals, htmx partials, and list pages whose query count does not grow."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.alignment import services
from cairn.alignment.models import Dependency, DependencyEvent, DependencyState
from cairn.conftest import PASSWORD, World, login
from cairn.okrs import services as okr_services
from cairn.okrs.models import Initiative, KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import Member, Period, Role, Team

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
S = DependencyState


def url(name: str, *args: object) -> str:
    return reverse(f"alignment:{name}", args=["acme", *args])


@pytest.fixture
def provider(world: World) -> Member:
    """A member of Platform, the team asked for help."""
    return org_services.add_member(
        organization=world.org,
        email="pia@acme.test",
        role=Role.MEMBER,
        name="Pia Platform",
        password=PASSWORD,
        actor=world.admin,
        team=world.other_team,
    )


@pytest.fixture
def provider_client(provider: Member) -> Client:
    return login(Client(), provider)


@pytest.fixture
def next_period(world: World) -> Period:
    return org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2027 Q1",
        start=dt.date(2027, 1, 1),
        end=dt.date(2027, 3, 31),
    )


@pytest.fixture
def platform_objective(world: World, provider: Member) -> Objective:
    return okr_services.create_objective(
        actor=provider,
        period=world.period,
        title="A platform others can build on",
        owner_teams=[world.other_team],
    )


@pytest.fixture
def platform_initiative(provider: Member, platform_objective: Objective) -> Initiative:
    return okr_services.create_initiative(
        actor=provider,
        objective=platform_objective,
        team=platform_objective.owner_teams.get(),
        title="Public sign-up API",
    )


@pytest.fixture
def private_initiative(world: World, private_objective: Objective) -> Initiative:
    return okr_services.create_initiative(
        actor=world.admin,
        objective=private_objective,
        team=world.other_team,
        title="PRIVATE-MARKER initiative",
    )


def ask(
    world: World,
    objective: Objective,
    key_result: KeyResult | None,
    *,
    need: str = "A sign-up API that takes 10,000 requests a minute",
    initiative: Initiative | None = None,
) -> Dependency:
    return services.request_dependency(
        actor=world.member,
        objective=objective,
        requesting_team=world.team,
        providing_team=world.other_team,
        need=need,
        key_result=key_result,
        due=dt.date(2026, 11, 15),
        initiative=initiative,
    )


@pytest.fixture
def dependency(world: World, objective: Objective, key_result: KeyResult) -> Dependency:
    return ask(world, objective, key_result)


@pytest.fixture
def private_dependency(world: World, private_objective: Objective) -> Dependency:
    """Raised from the Platform team's private objective, to a team with nobody in it yet."""
    sales = org_services.create_team(organization=world.org, actor=world.admin, name="Sales")
    return services.request_dependency(
        actor=world.admin,
        objective=private_objective,
        requesting_team=world.other_team,
        providing_team=sales,
        need="PRIVATE-MARKER need",
    )


def new_data(world: World, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "requesting_team": str(world.team.uid),
        "providing_team": str(world.other_team.uid),
        "need": "Load tests of the sign-up flow",
        "due": "2026-11-30",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


# The gate: outsiders, viewers, private requests ----------------------------------------------


def all_urls(dependency: Dependency, world: World) -> list[str]:
    return [
        url("dependencies"),
        url("objective_dependencies", dependency.objective.uid),
        url("dependency_new", dependency.objective.uid),
        url("dependency", dependency.uid),
        url("dependency_edit", dependency.uid),
        url("dependency_move", dependency.uid),
        url("dependency_comment", dependency.uid),
        url("team_dependencies", world.team.uid),
    ]


def test_every_dependency_url_is_a_404_for_another_organizations_admin(
    world: World, outsider_client: Client, dependency: Dependency
) -> None:
    for address in all_urls(dependency, world):
        assert outsider_client.get(address).status_code == 404, address
        response = outsider_client.post(address, {"state": S.ACCEPTED, "comment": "Hijack"})
        assert response.status_code == 404, address
    dependency.refresh_from_db()
    assert dependency.state == S.PROPOSED
    assert not DependencyEvent.objects.exists()


def test_an_anonymous_visitor_is_sent_to_sign_in(dependency: Dependency) -> None:
    response = Client().get(url("dependency", dependency.uid))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("dependency_edit", {"need": "Changed"}),
        ("dependency_move", {"state": S.WITHDRAWN, "comment": "No"}),
        ("dependency_comment", {"comment": "Hello"}),
    ],
)
def test_dependency_writes_are_a_403_for_a_viewer(
    viewer_client: Client, dependency: Dependency, name: str, data: dict[str, str]
) -> None:
    assert viewer_client.post(url(name, dependency.uid), data).status_code == 403
    dependency.refresh_from_db()
    assert dependency.state == S.PROPOSED and dependency.need.startswith("A sign-up API")
    assert not DependencyEvent.objects.exists()


def test_asking_another_team_is_a_403_for_a_viewer(
    world: World, viewer_client: Client, objective: Objective
) -> None:
    assert viewer_client.get(url("dependency_new", objective.uid)).status_code == 403
    response = viewer_client.post(url("dependency_new", objective.uid), new_data(world))
    assert response.status_code == 403
    assert not Dependency.objects.exists()


def test_a_viewer_reads_every_dependency_page_without_a_form(
    world: World, viewer_client: Client, dependency: Dependency
) -> None:
    for name, arg in [
        ("dependencies", None),
        ("objective_dependencies", dependency.objective.uid),
        ("dependency", dependency.uid),
        ("team_dependencies", world.other_team.uid),
    ]:
        response = viewer_client.get(url(name, arg) if arg else url(name))
        assert response.status_code == 200, name
        body = response.content.decode()
        assert "A sign-up API" in body
        assert '<form method="post"' not in body.split('id="main"')[1], name


def test_a_private_request_is_a_404_and_listed_nowhere_for_who_may_not_see_it(
    world: World,
    member_client: Client,
    viewer_client: Client,
    private_dependency: Dependency,
) -> None:
    for client in (member_client, viewer_client):
        for name in ("dependency", "dependency_edit", "dependency_move", "dependency_comment"):
            assert client.get(url(name, private_dependency.uid)).status_code == 404
        assert (
            client.post(
                url("dependency_comment", private_dependency.uid), {"comment": "x"}
            ).status_code
            == 404
        )
        objective_uid = private_dependency.objective.uid
        assert client.get(url("objective_dependencies", objective_uid)).status_code == 404
        assert client.get(url("dependency_new", objective_uid)).status_code == 404
        for address in (
            url("dependencies"),
            url("team_dependencies", world.other_team.uid),
            url("team_dependencies", private_dependency.providing_team.uid),
        ):
            response = client.get(address)
            assert response.status_code == 200
            assert "PRIVATE-MARKER" not in response.content.decode()


def test_an_admin_sees_a_private_request(
    admin_client: Client, private_dependency: Dependency
) -> None:
    response = admin_client.get(url("dependency", private_dependency.uid))
    assert response.status_code == 200
    assert "PRIVATE-MARKER need" in response.content.decode()


def test_a_linked_initiative_the_reader_may_not_see_is_not_named(
    world: World,
    member_client: Client,
    objective: Objective,
    private_initiative: Initiative,
) -> None:
    linked = services.request_dependency(
        actor=world.admin,
        objective=objective,
        requesting_team=world.team,
        providing_team=world.other_team,
        need="Reuse your work",
        initiative=private_initiative,
    )
    for address in (
        url("dependency", linked.uid),
        url("objective_dependencies", objective.uid),
        url("team_dependencies", world.team.uid),
        url("dependencies"),
        url("dependency_edit", linked.uid),
    ):
        response = member_client.get(address)
        assert response.status_code == 200
        assert "PRIVATE-MARKER" not in response.content.decode(), address
    # Saving the edit form leaves the link the member could not see in place.
    response = member_client.post(url("dependency_edit", linked.uid), {"need": "Reuse it"})
    assert response.status_code == 302
    linked.refresh_from_db()
    assert linked.initiative == private_initiative and linked.need == "Reuse it"


# Asking -------------------------------------------------------------------------------------


def test_a_member_asks_another_team_for_a_key_result(
    world: World, member_client: Client, objective: Objective, key_result: KeyResult
) -> None:
    response = member_client.post(
        url("dependency_new", objective.uid), new_data(world, key_result=str(key_result.uid))
    )
    created = Dependency.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("dependency", created.uid)
    assert created.key_result == key_result and created.providing_team == world.other_team
    assert created.state == S.PROPOSED and created.due == dt.date(2026, 11, 30)
    key_result.refresh_from_db()
    assert key_result.is_over_optimistic


def test_the_key_result_in_the_query_string_is_preselected(
    member_client: Client, objective: Objective, key_result: KeyResult
) -> None:
    response = member_client.get(
        url("dependency_new", objective.uid) + f"?key_result={key_result.uid}"
    )
    assert f'<option value="{key_result.uid}" selected>' in response.content.decode()
    ignored = member_client.get(url("dependency_new", objective.uid) + "?key_result=nonsense")
    assert ignored.status_code == 200


def test_the_form_offers_only_the_organizations_teams_and_visible_initiatives(
    world: World,
    member_client: Client,
    objective: Objective,
    platform_initiative: Initiative,
    private_initiative: Initiative,
) -> None:
    foreign = org_services.create_team(
        organization=world.other_org, actor=world.outsider, name="Globex Ops"
    )
    body = member_client.get(url("dependency_new", objective.uid)).content.decode()
    assert str(world.other_team.uid) in body and "Public sign-up API" in body
    assert str(foreign.uid) not in body
    assert "PRIVATE-MARKER" not in body


@pytest.mark.parametrize("field", ["initiative", "key_result", "providing_team"])
def test_a_post_naming_an_invisible_or_foreign_item_is_a_form_error(
    world: World,
    member_client: Client,
    objective: Objective,
    private_initiative: Initiative,
    platform_objective: Objective,
    field: str,
) -> None:
    foreign_team = org_services.create_team(
        organization=world.other_org, actor=world.outsider, name="Globex Ops"
    )
    other_kr = okr_services.create_key_result(
        actor=world.admin, objective=platform_objective, title="Not this objective's"
    )
    value = {
        "initiative": private_initiative.uid,
        "key_result": other_kr.uid,
        "providing_team": foreign_team.uid,
    }[field]
    response = member_client.post(
        url("dependency_new", objective.uid), new_data(world, **{field: str(value)})
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Select a valid choice" in body
    assert "PRIVATE-MARKER" not in body
    assert not Dependency.objects.exists()


def test_a_service_refusal_is_shown_on_the_field(
    world: World, member_client: Client, objective: Objective, platform_initiative: Initiative
) -> None:
    third = org_services.create_team(organization=world.org, actor=world.admin, name="Sales")
    response = member_client.post(
        url("dependency_new", objective.uid),
        new_data(world, providing_team=str(third.uid), initiative=str(platform_initiative.uid)),
    )
    assert response.status_code == 200
    assert "Link an initiative of the providing team, or none." in response.content.decode()
    assert not Dependency.objects.exists()


def test_only_someone_who_may_change_the_objective_asks_for_it(
    world: World, provider_client: Client, objective: Objective
) -> None:
    response = provider_client.post(url("dependency_new", objective.uid), new_data(world))
    assert response.status_code == 403
    assert not Dependency.objects.exists()


def test_asking_in_place_opens_in_the_section_and_returns_it(
    world: World, member_client: Client, objective: Objective
) -> None:
    form = member_client.get(url("dependency_new", objective.uid), headers=HTMX)
    assert form.content.decode().lstrip().startswith('<div id="dep-new"')
    saved = member_client.post(url("dependency_new", objective.uid), new_data(world), headers=HTMX)
    body = saved.content.decode().lstrip()
    assert saved.status_code == 200 and body.startswith('<section id="dependencies"')
    assert "Load tests of the sign-up flow" in body


def test_a_failing_in_place_form_keeps_its_slot(
    world: World, member_client: Client, objective: Objective
) -> None:
    response = member_client.post(
        url("dependency_new", objective.uid), new_data(world, need=""), headers=HTMX
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "closest [data-slot]"
    assert response.content.decode().lstrip().startswith('<div id="dep-new"')
    assert "field--error" in response.content.decode()


# The objective's section and the team's requests ---------------------------------------------


def test_the_objective_page_loads_the_section_with_a_real_link(
    member_client: Client, objective: Objective
) -> None:
    body = member_client.get(
        reverse("okrs:objective", args=["acme", objective.uid])
    ).content.decode()
    section = url("objective_dependencies", objective.uid)
    assert f'href="{section}" hx-get="{section}" hx-trigger="load"' in body


def test_the_objective_section_lists_requests_and_flags_over_optimistic_key_results(
    member_client: Client, dependency: Dependency, key_result: KeyResult
) -> None:
    full = member_client.get(url("objective_dependencies", dependency.objective.uid))
    assert "<html" in full.content.decode()
    fragment = member_client.get(
        url("objective_dependencies", dependency.objective.uid), headers=HTMX
    ).content.decode()
    assert fragment.lstrip().startswith('<section id="dependencies"')
    assert "A sign-up API" in fragment and "Platform" in fragment
    assert key_result.title in fragment and "Over-optimistic" in fragment
    assert "Ask another team" in fragment


def test_the_team_page_loads_its_requests_and_links_its_alignment_view(
    world: World, member_client: Client
) -> None:
    body = member_client.get(reverse("okrs:team", args=["acme", world.team.uid])).content.decode()
    assert url("team_dependencies", world.team.uid) in body and 'hx-trigger="load"' in body
    assert url("team_alignment", world.team.uid) in body


def test_incoming_requests_show_first_on_the_providing_teams_card(
    world: World, provider_client: Client, dependency: Dependency
) -> None:
    response = provider_client.get(url("team_dependencies", world.other_team.uid), headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="team-dependencies"')
    incoming, outgoing = body.split("Asked by this team")
    assert "A sign-up API" in incoming and "Awaiting your team" in incoming
    assert "A sign-up API" not in outgoing
    asking = provider_client.get(url("team_dependencies", world.team.uid)).content.decode()
    assert "A sign-up API" in asking.split("Asked by this team")[1]


# One request: the thread and the moves -------------------------------------------------------


def test_the_providing_team_sees_its_moves_and_the_asking_team_only_withdraw(
    provider_client: Client, member_client: Client, dependency: Dependency
) -> None:
    provider_page = provider_client.get(url("dependency", dependency.uid)).content.decode()
    for state in (S.ACCEPTED, S.DECLINED, S.MADE_SHARED, S.DEFERRED):
        assert f'name="state" value="{state}"' in provider_page
    assert f'name="state" value="{S.WITHDRAWN}"' not in provider_page
    member_page = member_client.get(url("dependency", dependency.uid)).content.decode()
    assert f'name="state" value="{S.WITHDRAWN}"' in member_page
    assert f'name="state" value="{S.ACCEPTED}"' not in member_page


def test_only_the_providing_team_accepts_a_request(
    member_client: Client, provider_client: Client, dependency: Dependency
) -> None:
    refused = member_client.post(
        url("dependency_move", dependency.uid), {"state": S.ACCEPTED, "comment": "Sure"}
    )
    assert refused.status_code == 403
    assert "Only Platform can answer this request." in refused.content.decode()
    dependency.refresh_from_db()
    assert dependency.state == S.PROPOSED

    accepted = provider_client.post(
        url("dependency_move", dependency.uid), {"state": S.ACCEPTED, "comment": "By Nov 10."}
    )
    assert accepted.status_code == 302
    dependency.refresh_from_db()
    assert dependency.state == S.ACCEPTED
    page = provider_client.get(url("dependency", dependency.uid)).content.decode()
    assert "By Nov 10." in page and "Accepted" in page


def test_only_the_providing_team_declines_a_request(
    member_client: Client, provider_client: Client, dependency: Dependency
) -> None:
    data = {"state": S.DECLINED, "comment": "No"}
    assert member_client.post(url("dependency_move", dependency.uid), data).status_code == 403
    assert provider_client.post(url("dependency_move", dependency.uid), data).status_code == 302
    dependency.refresh_from_db()
    assert dependency.state == S.DECLINED


def test_an_illegal_move_is_a_409_with_its_message(
    member_client: Client, dependency: Dependency
) -> None:
    services.change_dependency_state(
        actor=dependency.created_by,  # type: ignore[arg-type]
        dependency=dependency,
        to_state=S.WITHDRAWN,
        comment="Not needed",
    )
    response = member_client.post(
        url("dependency_move", dependency.uid), {"state": S.PROPOSED, "comment": "Again"}
    )
    assert response.status_code == 409
    assert "cannot become" in response.content.decode()
    dependency.refresh_from_db()
    assert dependency.state == S.WITHDRAWN


def test_an_illegal_move_over_htmx_goes_to_the_request_with_its_message(
    provider_client: Client, dependency: Dependency
) -> None:
    provider_client.post(
        url("dependency_move", dependency.uid), {"state": S.ACCEPTED, "comment": "Ok"}
    )
    response = provider_client.post(
        url("dependency_move", dependency.uid),
        {"state": S.ACCEPTED, "comment": "Twice"},
        headers=HTMX,
    )
    assert response.status_code == 409
    assert response["HX-Redirect"] == url("dependency", dependency.uid)
    page = provider_client.get(url("dependency", dependency.uid)).content.decode()
    assert "cannot become" in page


def test_an_unknown_state_is_a_400(provider_client: Client, dependency: Dependency) -> None:
    response = provider_client.post(
        url("dependency_move", dependency.uid), {"state": "done", "comment": "x"}
    )
    assert response.status_code == 400
    assert "Unknown state." in response.content.decode()


def test_a_move_needs_a_comment(provider_client: Client, dependency: Dependency) -> None:
    response = provider_client.post(
        url("dependency_move", dependency.uid), {"state": S.ACCEPTED, "comment": "  "}
    )
    assert response.status_code == 200
    assert "Say why, for the discussion." in response.content.decode()
    dependency.refresh_from_db()
    assert dependency.state == S.PROPOSED


def test_made_shared_over_htmx_returns_the_request_and_the_objective_is_shared(
    world: World, provider_client: Client, dependency: Dependency, objective: Objective
) -> None:
    response = provider_client.post(
        url("dependency_move", dependency.uid),
        {"state": S.MADE_SHARED, "comment": "Our goal too."},
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<div id="dependency"')
    assert "Our goal too." in body
    assert set(objective.owner_teams.all()) == {world.team, world.other_team}


def test_deferred_with_no_following_period_shows_a_clear_error(
    world: World,
    provider_client: Client,
    objective: Objective,
    key_result: KeyResult,
    platform_initiative: Initiative,
) -> None:
    linked = ask(world, objective, key_result, initiative=platform_initiative)
    response = provider_client.post(
        url("dependency_move", linked.uid), {"state": S.DEFERRED, "comment": "Later"}
    )
    assert response.status_code == 200
    assert "There is no period after 2026 Q4 yet" in response.content.decode()
    linked.refresh_from_db()
    platform_initiative.refresh_from_db()
    assert linked.state == S.PROPOSED and platform_initiative.period == world.period


def test_deferred_moves_the_linked_initiative_to_the_next_period(
    world: World,
    provider_client: Client,
    objective: Objective,
    key_result: KeyResult,
    platform_initiative: Initiative,
    next_period: Period,
) -> None:
    linked = ask(world, objective, key_result, initiative=platform_initiative)
    response = provider_client.post(
        url("dependency_move", linked.uid), {"state": S.DEFERRED, "comment": "Next quarter"}
    )
    assert response.status_code == 302
    platform_initiative.refresh_from_db()
    assert platform_initiative.period == next_period
    key_result.refresh_from_db()
    assert key_result.is_over_optimistic


def test_the_asking_team_withdraws_its_request(
    member_client: Client, dependency: Dependency, key_result: KeyResult
) -> None:
    response = member_client.post(
        url("dependency_move", dependency.uid), {"state": S.WITHDRAWN, "comment": "Solved it"}
    )
    assert response.status_code == 302
    dependency.refresh_from_db()
    key_result.refresh_from_db()
    assert dependency.state == S.WITHDRAWN and not key_result.is_over_optimistic


def test_a_comment_joins_the_thread(member_client: Client, dependency: Dependency) -> None:
    response = member_client.post(url("dependency_comment", dependency.uid), {"comment": "News?"})
    assert response.status_code == 302
    assert DependencyEvent.objects.get().comment == "News?"
    fragment = member_client.post(
        url("dependency_comment", dependency.uid), {"comment": "Still?"}, headers=HTMX
    ).content.decode()
    assert fragment.lstrip().startswith('<div id="dependency"') and "Still?" in fragment
    empty = member_client.post(url("dependency_comment", dependency.uid), {"comment": " "})
    assert empty.status_code == 200 and "Write a comment." in empty.content.decode()
    assert DependencyEvent.objects.count() == 2


def test_the_asking_side_edits_its_request_and_the_other_side_may_not(
    member_client: Client, provider_client: Client, dependency: Dependency
) -> None:
    data = {"need": "A smaller API", "due": "2026-12-01"}
    assert provider_client.post(url("dependency_edit", dependency.uid), data).status_code == 403
    assert member_client.post(url("dependency_edit", dependency.uid), data).status_code == 302
    dependency.refresh_from_db()
    assert dependency.need == "A smaller API" and dependency.due == dt.date(2026, 12, 1)
    failing = member_client.post(url("dependency_edit", dependency.uid), {"need": ""}, headers=HTMX)
    assert failing["HX-Retarget"] == "closest [data-slot]"
    assert failing.content.decode().lstrip().startswith('<section id="dep-request"')


# The organization's list ---------------------------------------------------------------------


def test_the_list_filters_by_state_team_and_period(
    world: World,
    member_client: Client,
    objective: Objective,
    key_result: KeyResult,
    next_period: Period,
) -> None:
    ask(world, objective, key_result, need="First need")
    second = ask(world, objective, key_result, need="Second need")
    services.change_dependency_state(
        actor=world.admin, dependency=second, to_state=S.ACCEPTED, comment="Yes"
    )
    body = member_client.get(url("dependencies") + "?state=accepted").content.decode()
    assert "Second need" in body and "First need" not in body
    sales = org_services.create_team(organization=world.org, actor=world.admin, name="Sales")
    body = member_client.get(url("dependencies") + f"?team={sales.uid}").content.decode()
    assert "First need" not in body
    body = member_client.get(url("dependencies") + f"?team={world.team.uid}").content.decode()
    assert "First need" in body and "Second need" in body
    body = member_client.get(url("dependencies") + f"?period={next_period.uid}").content.decode()
    assert "First need" not in body
    fragment = member_client.get(url("dependencies"), headers=HTMX).content.decode()
    assert fragment.lstrip().startswith('<div id="dependency-list"')


def test_the_list_answers_bad_filters_with_4xx(member_client: Client) -> None:
    bad_state = member_client.get(url("dependencies") + "?state=finished")
    assert bad_state.status_code == 400
    assert "There is no such state" in bad_state.content.decode()
    assert member_client.get(url("dependencies") + f"?team={uuid.uuid4()}").status_code == 404
    assert member_client.get(url("dependencies") + "?team=nonsense").status_code == 404
    assert member_client.get(url("dependencies") + f"?period={uuid.uuid4()}").status_code == 404


# Query counts --------------------------------------------------------------------------------


def make_requests(world: World, objective: Objective, initiative: Initiative, n: int) -> None:
    key_result = objective.key_results.get()
    for index in range(n):
        dependency = ask(
            world, objective, key_result, initiative=initiative, need=f"Need number {index}"
        )
        services.comment_on_dependency(actor=world.member, dependency=dependency, comment="Hi")


def count_queries(client: Client, address: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["dependencies", "team", "objective"])
def test_list_pages_do_not_grow_with_the_number_of_requests(
    world: World,
    member_client: Client,
    objective: Objective,
    platform_initiative: Initiative,
    page: str,
) -> None:
    address = {
        "dependencies": url("dependencies"),
        "team": url("team_dependencies", world.other_team.uid),
        "objective": url("objective_dependencies", objective.uid),
    }[page]
    make_requests(world, objective, platform_initiative, 2)
    small = count_queries(member_client, address)
    make_requests(world, objective, platform_initiative, 4)
    assert Dependency.objects.count() == 6
    assert count_queries(member_client, address) == small


def test_the_request_page_does_not_grow_with_its_thread(
    world: World, member_client: Client, dependency: Dependency
) -> None:
    services.comment_on_dependency(actor=world.member, dependency=dependency, comment="One")
    small = count_queries(member_client, url("dependency", dependency.uid))
    for index in range(5):
        services.comment_on_dependency(
            actor=world.admin, dependency=dependency, comment=f"Comment {index}"
        )
    assert count_queries(member_client, url("dependency", dependency.uid)) == small


def test_team_choices_never_include_another_organizations_team(
    world: World, member_client: Client, objective: Objective
) -> None:
    Team.objects.create(organization=world.other_org, name="GLOBEX-MARKER")
    body = member_client.get(url("dependency_new", objective.uid)).content.decode()
    assert "GLOBEX-MARKER" not in body
