"""Initiative authoring, through the web UI."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cairn.conftest import World
from cairn.okrs import services
from cairn.okrs.models import Initiative, KeyResult, Objective

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def url(name: str, *args: object) -> str:
    return reverse(f"okrs:{name}", args=["acme", *args])


def data(world: World, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "title": "Run a closed beta",
        "team": str(world.team.uid),
        "state": "planned",
        "owner": str(world.member.uid),
        "due": "2026-11-30",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


@pytest.fixture
def initiative(world: World, objective: Objective) -> Initiative:
    return services.create_initiative(
        actor=world.member,
        objective=objective,
        team=world.team,
        title="Write the launch plan",
        owner=world.member,
    )


@pytest.fixture
def private_initiative(world: World, private_objective: Objective) -> Initiative:
    return services.create_initiative(
        actor=world.admin,
        objective=private_objective,
        team=world.other_team,
        title="PRIVATE-MARKER work",
    )


@pytest.mark.parametrize("name", ["initiative_edit", "initiative_delete"])
def test_initiative_urls_are_a_404_for_another_organizations_admin(
    outsider_client: Client, initiative: Initiative, name: str
) -> None:
    assert outsider_client.get(url(name, initiative.uid)).status_code == 404
    assert outsider_client.post(url(name, initiative.uid), {}).status_code == 404


def test_new_initiative_is_a_404_for_another_organizations_admin(
    world: World, outsider_client: Client, objective: Objective
) -> None:
    response = outsider_client.post(url("initiative_new", objective.uid), data(world))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["initiative_edit", "initiative_delete"])
def test_initiative_writes_are_a_403_for_a_viewer(
    viewer_client: Client, initiative: Initiative, name: str
) -> None:
    assert viewer_client.get(url(name, initiative.uid)).status_code == 403
    assert viewer_client.post(url(name, initiative.uid), {}).status_code == 403
    assert Initiative.objects.filter(pk=initiative.pk).exists()


def test_new_initiative_is_a_403_for_a_viewer(
    world: World, viewer_client: Client, objective: Objective
) -> None:
    assert viewer_client.get(url("initiative_new", objective.uid)).status_code == 403
    assert viewer_client.post(url("initiative_new", objective.uid), data(world)).status_code == 403
    assert not Initiative.objects.exists()


@pytest.mark.parametrize("name", ["initiative_edit", "initiative_delete"])
def test_an_initiative_of_a_private_objective_is_a_404_for_member_and_viewer(
    member_client: Client, viewer_client: Client, private_initiative: Initiative, name: str
) -> None:
    assert member_client.get(url(name, private_initiative.uid)).status_code == 404
    assert viewer_client.get(url(name, private_initiative.uid)).status_code == 404


def test_new_initiative_on_a_private_objective_is_a_404_for_a_member(
    world: World, member_client: Client, private_objective: Objective
) -> None:
    response = member_client.post(url("initiative_new", private_objective.uid), data(world))
    assert response.status_code == 404


def test_team_member_adds_an_initiative_to_a_key_result(
    world: World, member_client: Client, objective: Objective, key_result: KeyResult
) -> None:
    response = member_client.post(
        url("initiative_new", objective.uid), data(world, key_result=str(key_result.uid))
    )
    assert response.status_code == 302
    created = Initiative.objects.get()
    assert created.key_result == key_result and created.team == world.team
    assert created.period == objective.period


def test_add_initiative_over_htmx_opens_in_place_and_returns_the_section(
    world: World, member_client: Client, objective: Objective
) -> None:
    form = member_client.get(
        url("initiative_new", objective.uid) + f"?team={world.team.uid}", headers=HTMX
    )
    assert form.content.decode().lstrip().startswith(f'<div id="ini-new-{world.team.uid}"')
    saved = member_client.post(url("initiative_new", objective.uid), data(world), headers=HTMX)
    html = saved.content.decode()
    assert html.lstrip().startswith('<section id="initiatives"')
    assert "Run a closed beta" in html


def test_a_member_of_another_team_may_add_only_their_own_teams_work(
    world: World, member_client: Client
) -> None:
    theirs = services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Platform goal",
        owner_teams=[world.other_team],
    )
    form = member_client.get(url("initiative_new", theirs.uid)).context["form"]
    assert list(form.fields["team"].queryset) == [world.team]
    rejected = member_client.post(
        url("initiative_new", theirs.uid), data(world, team=str(world.other_team.uid))
    )
    assert "team" in rejected.context["form"].errors
    assert member_client.post(url("initiative_new", theirs.uid), data(world)).status_code == 302
    assert Initiative.objects.get().team == world.team


def test_new_initiative_without_a_title_shows_an_error(
    world: World, member_client: Client, objective: Objective
) -> None:
    response = member_client.post(url("initiative_new", objective.uid), data(world, title=""))
    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert not Initiative.objects.exists()


def test_initiative_edit_over_htmx_swaps_the_item_for_its_form(
    member_client: Client, initiative: Initiative
) -> None:
    response = member_client.get(url("initiative_edit", initiative.uid), headers=HTMX)
    assert response.content.decode().lstrip().startswith(f'<li id="ini-{initiative.uid}"')


def test_team_member_edits_an_initiative_in_place(
    world: World, member_client: Client, initiative: Initiative
) -> None:
    response = member_client.post(
        url("initiative_edit", initiative.uid), data(world, state="in_progress"), headers=HTMX
    )
    assert 'id="initiatives"' in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.state == "in_progress" and initiative.title == "Run a closed beta"


def test_initiative_edit_with_a_bad_state_saves_nothing(
    world: World, admin_client: Client, initiative: Initiative
) -> None:
    response = admin_client.post(
        url("initiative_edit", initiative.uid), data(world, state="finished")
    )
    assert "state" in response.context["form"].errors
    initiative.refresh_from_db()
    assert initiative.state == "planned"


def test_initiative_delete_in_place_and_as_a_plain_form(
    world: World,
    member_client: Client,
    admin_client: Client,
    initiative: Initiative,
    objective: Objective,
) -> None:
    other = services.create_initiative(
        actor=world.admin, objective=objective, team=world.team, title="Other work"
    )
    response = member_client.post(url("initiative_delete", initiative.uid), headers=HTMX)
    assert response.content.decode().lstrip().startswith('<section id="initiatives"')
    plain = admin_client.post(url("initiative_delete", other.uid))
    assert plain["Location"] == url("objective", objective.uid)
    assert not Initiative.objects.exists()
