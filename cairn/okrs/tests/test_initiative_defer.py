"""Deferring an initiative to the next period straight from the objective page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from cairn.conftest import World
from cairn.okrs import services
from cairn.okrs.models import Initiative, InitiativeState, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import HistoryEvent, Period

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def url(name: str, *args: object) -> str:
    return reverse(f"okrs:{name}", args=["acme", *args])


@pytest.fixture
def next_quarter(world: World) -> Period:
    return org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2027 Q1",
        start=dt.date(2027, 1, 1),
        end=dt.date(2027, 3, 31),
    )


@pytest.fixture
def initiative(world: World, objective: Objective) -> Initiative:
    return services.create_initiative(
        actor=world.member,
        objective=objective,
        team=world.team,
        title="Write the launch plan",
        owner=world.member,
        state=InitiativeState.IN_PROGRESS,
    )


def reloaded(initiative: Initiative) -> Initiative:
    return Initiative.objects.select_related("period").get(pk=initiative.pk)


# Tenancy and rights -------------------------------------------------------------------------


def test_defer_is_a_404_for_another_organizations_admin(
    outsider_client: Client, initiative: Initiative, next_quarter: Period
) -> None:
    assert outsider_client.get(url("initiative_defer", initiative.uid)).status_code == 404
    assert outsider_client.post(url("initiative_defer", initiative.uid)).status_code == 404
    assert reloaded(initiative).period_id != next_quarter.pk


def test_defer_is_a_403_for_a_viewer(
    viewer_client: Client, initiative: Initiative, next_quarter: Period
) -> None:
    assert viewer_client.get(url("initiative_defer", initiative.uid)).status_code == 403
    assert viewer_client.post(url("initiative_defer", initiative.uid)).status_code == 403
    assert reloaded(initiative).state == InitiativeState.IN_PROGRESS


def test_defer_of_an_initiative_on_a_private_objective_is_a_404_for_a_member(
    world: World, member_client: Client, private_objective: Objective, next_quarter: Period
) -> None:
    hidden = services.create_initiative(
        actor=world.admin, objective=private_objective, team=world.other_team, title="Hidden"
    )
    assert member_client.get(url("initiative_defer", hidden.uid)).status_code == 404
    assert member_client.post(url("initiative_defer", hidden.uid)).status_code == 404
    assert reloaded(hidden).state == InitiativeState.PLANNED


def test_a_member_of_another_team_may_not_defer_it(
    world: World, initiative: Initiative, next_quarter: Period
) -> None:
    stranger = org_services.add_member(
        organization=world.org,
        email="sam@acme.test",
        role="member",
        name="Sam",
        actor=world.admin,
        team=world.other_team,
    )
    client = Client()
    client.force_login(stranger.user)
    assert client.post(url("initiative_defer", initiative.uid)).status_code == 403


# Deferring ----------------------------------------------------------------------------------


def test_the_confirmation_names_the_period_it_moves_to(
    member_client: Client, initiative: Initiative, next_quarter: Period
) -> None:
    response = member_client.get(url("initiative_defer", initiative.uid))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Write the launch plan" in html and "2027 Q1" in html
    assert reloaded(initiative).state == InitiativeState.IN_PROGRESS


def test_a_member_defers_it_and_it_moves_to_the_next_period(
    world: World,
    member_client: Client,
    initiative: Initiative,
    objective: Objective,
    next_quarter: Period,
) -> None:
    response = member_client.post(
        url("initiative_defer", initiative.uid), {"note": "Waiting for legal"}
    )
    assert response.status_code == 302
    assert response["Location"] == url("objective", objective.uid)
    moved = reloaded(initiative)
    assert moved.period == next_quarter and moved.state == InitiativeState.DEFERRED
    assert moved.objective.period == world.period
    event = HistoryEvent.objects.get(target_uid=initiative.uid, action="updated")
    assert event.note == "Waiting for legal"
    assert event.changes["period"] == ["2026 Q4", "2027 Q1"]


def test_defer_in_place_swaps_the_item_and_returns_the_section(
    member_client: Client, initiative: Initiative, next_quarter: Period
) -> None:
    confirm = member_client.get(url("initiative_defer", initiative.uid), headers=HTMX)
    html = confirm.content.decode()
    assert html.lstrip().startswith(f'<li id="ini-{initiative.uid}"')
    assert 'hx-post="' in html and "data-slot" in html
    done = member_client.post(url("initiative_defer", initiative.uid), headers=HTMX)
    html = done.content.decode()
    assert html.lstrip().startswith('<section id="initiatives"')
    assert "deferred to 2027 Q1" in html
    assert reloaded(initiative).period == next_quarter


def test_without_a_next_period_it_says_so_and_changes_nothing(
    world: World, member_client: Client, initiative: Initiative
) -> None:
    confirm = member_client.get(url("initiative_defer", initiative.uid)).content.decode()
    assert "There is no period after 2026 Q4 yet" in confirm
    assert '<button class="button" type="submit">' not in confirm
    response = member_client.post(url("initiative_defer", initiative.uid), headers=HTMX)
    assert response.status_code == 200
    assert "There is no period after 2026 Q4 yet" in response.content.decode()
    assert response["HX-Retarget"] == "closest [data-slot]"
    unchanged = reloaded(initiative)
    assert unchanged.period == world.period and unchanged.state == InitiativeState.IN_PROGRESS
    assert not HistoryEvent.objects.filter(target_uid=initiative.uid, action="updated").exists()


def test_a_done_initiative_cannot_be_deferred(
    world: World, admin_client: Client, initiative: Initiative, next_quarter: Period
) -> None:
    services.update_initiative(initiative=initiative, actor=world.admin, state="done")
    assert "A done initiative cannot be deferred." in (
        admin_client.get(url("initiative_defer", initiative.uid)).content.decode()
    )
    response = admin_client.post(url("initiative_defer", initiative.uid))
    assert response.status_code == 200
    assert "A done initiative cannot be deferred." in response.content.decode()
    assert reloaded(initiative).period == world.period


def test_a_too_long_note_is_a_form_error(
    member_client: Client, initiative: Initiative, next_quarter: Period
) -> None:
    response = member_client.post(url("initiative_defer", initiative.uid), {"note": "x" * 301})
    assert response.status_code == 200
    assert "note" in response.context["form"].errors
    assert reloaded(initiative).state == InitiativeState.IN_PROGRESS


# Where it shows -----------------------------------------------------------------------------


def test_the_objective_page_offers_defer_except_on_done_work(
    world: World, member_client: Client, initiative: Initiative, objective: Objective
) -> None:
    finished = services.create_initiative(
        actor=world.member, objective=objective, team=world.team, title="Done work", state="done"
    )
    html = member_client.get(url("objective", objective.uid)).content.decode()
    assert url("initiative_defer", initiative.uid) in html
    assert url("initiative_defer", finished.uid) not in html


def test_the_objective_and_team_pages_show_where_a_deferred_initiative_went(
    world: World,
    member_client: Client,
    initiative: Initiative,
    objective: Objective,
    next_quarter: Period,
) -> None:
    services.defer_initiative(initiative=initiative, actor=world.member)
    page = member_client.get(url("objective", objective.uid)).content.decode()
    assert "Write the launch plan" in page and "deferred to 2027 Q1" in page
    for period in (world.period, next_quarter):
        team_page = member_client.get(
            url("team", world.team.uid) + f"?period={period.uid}"
        ).content.decode()
        assert "Write the launch plan" in team_page and "deferred to 2027 Q1" in team_page
    person_page = member_client.get(url("person", world.member.uid)).content.decode()
    assert "deferred to 2027 Q1" in person_page


def test_work_in_its_own_period_says_nothing_about_a_move(
    member_client: Client, initiative: Initiative, objective: Objective
) -> None:
    page = member_client.get(url("objective", objective.uid)).content.decode()
    assert "deferred to" not in page and "moved to" not in page
