"""Key result authoring through the web UI (the key result page is checkins' story page)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from cairn.conftest import World
from cairn.okrs import services
from cairn.okrs.models import KeyResult, Objective

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def url(name: str, *args: object) -> str:
    return reverse(f"okrs:{name}", args=["acme", *args])


def kr_data(world: World, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "5% conversion from free to paid",
        "kind": "metric",
        "start_value": "1",
        "target_value": "5",
        "unit": "%",
        "direction": "",
        "weight": "1",
        "owner": str(world.member.uid),
        "visibility": "public",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def private_key_result(world: World, private_objective: Objective) -> KeyResult:
    return services.create_key_result(
        actor=world.admin,
        objective=private_objective,
        title="PRIVATE-MARKER KR",
        target_value=10,
        owner=world.admin,
    )


# Tenancy and rights -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["key_result_edit", "key_result_delete"])
def test_key_result_urls_are_a_404_for_another_organizations_admin(
    outsider_client: Client, key_result: KeyResult, name: str
) -> None:
    assert outsider_client.get(url(name, key_result.uid)).status_code == 404
    assert outsider_client.post(url(name, key_result.uid), {}).status_code == 404


def test_new_key_result_is_a_404_for_another_organizations_admin(
    world: World, outsider_client: Client, objective: Objective
) -> None:
    response = outsider_client.post(url("key_result_new", objective.uid), kr_data(world))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["key_result_edit", "key_result_delete"])
def test_key_result_writes_are_a_403_for_a_viewer(
    viewer_client: Client, key_result: KeyResult, name: str
) -> None:
    assert viewer_client.get(url(name, key_result.uid)).status_code == 403
    assert viewer_client.post(url(name, key_result.uid), {}).status_code == 403
    assert KeyResult.objects.filter(pk=key_result.pk).exists()


def test_new_key_result_is_a_403_for_a_viewer(
    world: World, viewer_client: Client, objective: Objective
) -> None:
    assert viewer_client.get(url("key_result_new", objective.uid)).status_code == 403
    assert (
        viewer_client.post(url("key_result_new", objective.uid), kr_data(world)).status_code == 403
    )
    assert objective.key_results.count() == 1


@pytest.mark.parametrize("name", ["key_result_edit", "key_result_delete"])
def test_a_key_result_of_a_private_objective_is_a_404_for_member_and_viewer(
    member_client: Client, viewer_client: Client, private_key_result: KeyResult, name: str
) -> None:
    assert member_client.get(url(name, private_key_result.uid)).status_code == 404
    assert viewer_client.get(url(name, private_key_result.uid)).status_code == 404


# Creating -----------------------------------------------------------------------------------


def test_team_member_adds_a_key_result_as_a_plain_form(
    world: World, member_client: Client, objective: Objective
) -> None:
    response = member_client.post(url("key_result_new", objective.uid), kr_data(world))
    assert response.status_code == 302
    assert response["Location"] == url("objective", objective.uid)
    kr = objective.key_results.get(title="5% conversion from free to paid")
    assert kr.target_value == Decimal(5) and kr.direction == "up" and kr.owner == world.member


def test_a_new_key_result_starts_with_its_context(
    world: World, member_client: Client, objective: Objective
) -> None:
    data = kr_data(
        world,
        context_why="Paid users fund the roadmap",
        context_baseline="1% convert today",
        context_tactic="Onboarding emails",
    )
    assert member_client.post(url("key_result_new", objective.uid), data).status_code == 302
    kr = objective.key_results.get(title="5% conversion from free to paid")
    assert kr.context_why == "Paid users fund the roadmap"
    assert kr.context_baseline == "1% convert today"
    assert kr.context_tactic == "Onboarding emails"


def test_the_edit_form_does_not_offer_context(member_client: Client, key_result: KeyResult) -> None:
    new = member_client.get(url("key_result_new", key_result.objective.uid)).content.decode()
    edit = member_client.get(url("key_result_edit", key_result.uid)).content.decode()
    assert 'name="context_why"' in new and 'name="context_why"' not in edit


def test_add_key_result_over_htmx_opens_in_place_and_returns_the_section(
    world: World, member_client: Client, objective: Objective
) -> None:
    form = member_client.get(url("key_result_new", objective.uid), headers=HTMX)
    assert form.content.decode().lstrip().startswith('<div id="kr-new"')
    saved = member_client.post(url("key_result_new", objective.uid), kr_data(world), headers=HTMX)
    html = saved.content.decode()
    assert html.lstrip().startswith('<section id="key-results"')
    assert "5% conversion from free to paid" in html
    assert 'id="objective-head" class="objective-head" hx-swap-oob="true"' in html


def test_a_milestone_key_result_needs_no_start_or_target(
    world: World, admin_client: Client, objective: Objective
) -> None:
    data = kr_data(world, kind="milestone", start_value="", target_value="", unit="")
    assert admin_client.post(url("key_result_new", objective.uid), data).status_code == 302
    kr = objective.key_results.get(kind="milestone")
    assert (kr.start_value, kr.target_value) == (0, 1)


def test_new_key_result_rejects_a_target_equal_to_start(
    world: World, member_client: Client, objective: Objective
) -> None:
    data = kr_data(world, start_value="5", target_value="5")
    response = member_client.post(url("key_result_new", objective.uid), data)
    assert response.status_code == 200
    assert "target_value" in response.context["form"].errors
    assert objective.key_results.count() == 1


def test_new_key_result_requires_a_target_for_a_metric(
    world: World, member_client: Client, objective: Objective
) -> None:
    response = member_client.post(
        url("key_result_new", objective.uid), kr_data(world, target_value="")
    )
    assert "target_value" in response.context["form"].errors
    assert objective.key_results.count() == 1


def test_new_key_result_over_htmx_returns_the_form_with_errors_in_place(
    world: World, member_client: Client, objective: Objective
) -> None:
    response = member_client.post(
        url("key_result_new", objective.uid), kr_data(world, direction="down"), headers=HTMX
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="kr-new"')
    assert "errorlist" in html
    assert objective.key_results.count() == 1


# Editing and deleting -----------------------------------------------------------------------


def test_key_result_edit_over_htmx_swaps_the_row_for_its_form(
    member_client: Client, key_result: KeyResult
) -> None:
    response = member_client.get(url("key_result_edit", key_result.uid), headers=HTMX)
    assert response.content.decode().lstrip().startswith(f'<tr id="kr-{key_result.uid}"')


def test_team_member_edits_a_key_result_in_place(
    world: World, member_client: Client, key_result: KeyResult
) -> None:
    data = kr_data(
        world, title="Reach 600,000 DAU", start_value="0", target_value="600000", unit="DAU"
    )
    response = member_client.post(url("key_result_edit", key_result.uid), data, headers=HTMX)
    assert response.status_code == 200
    assert f'id="kr-{key_result.uid}"' in response.content.decode()
    key_result.refresh_from_db()
    assert key_result.title == "Reach 600,000 DAU"
    assert key_result.target_value == 600_000


def test_key_result_edit_as_a_plain_form_redirects_to_next(
    world: World, admin_client: Client, key_result: KeyResult
) -> None:
    back = reverse("checkins:key_result", args=["acme", key_result.uid])
    response = admin_client.post(
        url("key_result_edit", key_result.uid) + f"?next={back}",
        kr_data(world, start_value="0", target_value="1000"),
    )
    assert response.status_code == 302 and response["Location"] == back


def test_key_result_edit_ignores_an_offsite_next(
    world: World, admin_client: Client, key_result: KeyResult, objective: Objective
) -> None:
    response = admin_client.post(
        url("key_result_edit", key_result.uid) + "?next=https://evil.example/",
        kr_data(world, start_value="0", target_value="1000"),
    )
    assert response["Location"] == url("objective", objective.uid)


def test_key_result_edit_with_bad_input_saves_nothing(
    world: World, member_client: Client, key_result: KeyResult
) -> None:
    response = member_client.post(
        url("key_result_edit", key_result.uid),
        kr_data(world, kind="percentage", target_value="150"),
    )
    assert response.status_code == 200
    assert "target_value" in response.context["form"].errors
    key_result.refresh_from_db()
    assert key_result.kind == "metric" and key_result.target_value == 500_000


def test_team_member_deletes_a_key_result_in_place(
    member_client: Client, key_result: KeyResult
) -> None:
    response = member_client.post(url("key_result_delete", key_result.uid), headers=HTMX)
    assert response.content.decode().lstrip().startswith('<section id="key-results"')
    assert not KeyResult.objects.filter(pk=key_result.pk).exists()


def test_admin_deletes_a_key_result_as_a_plain_form(
    admin_client: Client, key_result: KeyResult, objective: Objective
) -> None:
    confirm = admin_client.get(url("key_result_delete", key_result.uid))
    assert "Delete this key result?" in confirm.content.decode()
    response = admin_client.post(url("key_result_delete", key_result.uid))
    assert response["Location"] == url("objective", objective.uid)
    assert not KeyResult.objects.filter(pk=key_result.pk).exists()


def test_an_invalid_in_place_edit_replaces_only_its_own_row(
    world: World, member_client: Client, key_result: KeyResult
) -> None:
    response = member_client.post(
        url("key_result_edit", key_result.uid),
        {**kr_data(world), "title": ""},
        headers=HTMX,
    )
    # The success response refreshes the whole section; an error must not wipe it out.
    assert response["HX-Retarget"] == "closest [data-slot]"
    assert response["HX-Reswap"] == "outerHTML"
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="kr-{key_result.uid}" class="row-form" data-slot>')
    assert "errorlist" in html


def test_a_valid_in_place_edit_is_not_retargeted(
    world: World, member_client: Client, key_result: KeyResult
) -> None:
    response = member_client.post(
        url("key_result_edit", key_result.uid), kr_data(world), headers=HTMX
    )
    assert "HX-Retarget" not in response
