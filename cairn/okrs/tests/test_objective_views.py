"""The objective page, objective authoring and alignment links, through the web UI."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from cairn.conftest import World
from cairn.okrs import services
from cairn.okrs.models import Alignment, Initiative, Objective, ObjectiveTeam
from cairn.orgs import services as org_services
from cairn.orgs.models import HistoryEvent
from cairn.reporting import services as reporting

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def url(name: str, *args: object) -> str:
    return reverse(f"okrs:{name}", args=["acme", *args])


def objective_form_data(world: World, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Delight our first customers",
        "description": "Why it matters",
        "period": str(world.period.uid),
        "owner_teams": [str(world.team.uid)],
        "visibility": "public",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# Tenancy and rights -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["objective", "objective_edit", "objective_delete", "objective_align"]
)
def test_objective_urls_are_a_404_for_another_organizations_admin(
    outsider_client: Client, objective: Objective, name: str
) -> None:
    assert outsider_client.get(url(name, objective.uid)).status_code == 404
    assert outsider_client.post(url(name, objective.uid), {}).status_code == 404


def test_new_objective_is_a_404_for_another_organizations_admin(
    outsider_client: Client, world: World
) -> None:
    assert outsider_client.get(url("objective_new")).status_code == 404
    assert outsider_client.post(url("objective_new"), objective_form_data(world)).status_code == 404


@pytest.mark.parametrize("name", ["objective_edit", "objective_delete", "objective_align"])
def test_objective_writes_are_a_403_for_a_viewer(
    viewer_client: Client, objective: Objective, name: str
) -> None:
    assert viewer_client.get(url(name, objective.uid)).status_code == 403
    assert viewer_client.post(url(name, objective.uid), {}).status_code == 403
    assert Objective.objects.filter(pk=objective.pk).exists()


def test_new_objective_is_a_403_for_a_viewer(viewer_client: Client, world: World) -> None:
    assert viewer_client.get(url("objective_new")).status_code == 403
    assert viewer_client.post(url("objective_new"), objective_form_data(world)).status_code == 403
    assert not Objective.objects.filter(title="Delight our first customers").exists()


def test_editing_another_teams_objective_is_a_403_for_a_member(
    world: World, member_client: Client
) -> None:
    theirs = services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Platform goal",
        owner_teams=[world.other_team],
    )
    assert member_client.get(url("objective_edit", theirs.uid)).status_code == 403
    assert member_client.post(url("objective_delete", theirs.uid)).status_code == 403


@pytest.mark.parametrize(
    "name", ["objective", "objective_edit", "objective_delete", "objective_align"]
)
def test_a_private_objective_is_a_404_for_member_and_viewer(
    member_client: Client, viewer_client: Client, private_objective: Objective, name: str
) -> None:
    assert member_client.get(url(name, private_objective.uid)).status_code == 404
    assert viewer_client.get(url(name, private_objective.uid)).status_code == 404


def test_an_unknown_objective_is_a_404(member_client: Client, world: World) -> None:
    assert member_client.get(url("objective", world.org.uid)).status_code == 404


# The objective page -------------------------------------------------------------------------


def test_objective_page_shows_key_results_progress_owners_and_history(
    member_client: Client, objective: Objective, key_result
) -> None:
    services.set_current_value(key_result=key_result, actor=None, value=125_000)
    html = member_client.get(url("objective", objective.uid)).content.decode()
    assert "Launch the Acme product successfully" in html
    assert "Reach 500,000 daily active users" in html
    assert "125,000" in html and "500,000" in html and "DAU" in html
    assert "25%" in html
    assert "Product" in html
    assert "History" in html and "Mia Member" in html
    assert "Edit" in html and "Add key result" in html


def test_objective_page_shows_every_owning_team_of_a_shared_objective_and_their_initiatives(
    world: World, viewer_client: Client
) -> None:
    biz = org_services.create_team(organization=world.org, actor=world.admin, name="BizDev")
    shared = services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Shared launch",
        owner_teams=[world.team, world.other_team],
    )
    services.create_initiative(
        actor=world.admin, objective=shared, team=world.team, title="Product initiative"
    )
    services.create_initiative(
        actor=world.admin, objective=shared, team=world.other_team, title="Platform initiative"
    )
    services.create_initiative(actor=world.admin, objective=shared, team=biz, title="BizDev helps")
    html = viewer_client.get(url("objective", shared.uid)).content.decode()
    assert "Shared: Platform, Product" in html
    assert "Product initiative" in html and "Platform initiative" in html
    assert "BizDev helps" in html and "Contributing team" in html
    assert "Edit" not in html and "Add key result" not in html


def test_objective_page_hides_a_private_key_result_from_a_member_who_may_not_see_it(
    world: World, member_client: Client, admin_client: Client
) -> None:
    theirs = services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Platform goal",
        owner_teams=[world.other_team],
    )
    services.create_key_result(
        actor=world.admin, objective=theirs, title="Public KR", target_value=10, owner=world.admin
    )
    services.create_key_result(
        actor=world.admin,
        objective=theirs,
        title="PRIVATE-MARKER KR",
        target_value=10,
        owner=world.admin,
        visibility="private",
    )
    html = member_client.get(url("objective", theirs.uid)).content.decode()
    assert "Public KR" in html
    assert "PRIVATE-MARKER" not in html
    assert "PRIVATE-MARKER" in admin_client.get(url("objective", theirs.uid)).content.decode()


def test_admin_sees_a_private_objective_with_its_badge(
    admin_client: Client, private_objective: Objective
) -> None:
    html = admin_client.get(url("objective", private_objective.uid)).content.decode()
    assert "PRIVATE-MARKER" in html and "badge--private" in html


def test_objective_page_lists_alignment_up_and_down_but_only_what_the_member_sees(
    world: World,
    member_client: Client,
    objective: Objective,
    key_result,
    private_objective: Objective,
) -> None:
    company = services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Company goal",
        owner_person=world.admin,
    )
    services.align(actor=world.admin, child=objective, parent_objective=company)
    services.align(actor=world.admin, child=objective, parent_objective=private_objective)
    child = services.create_objective(
        actor=world.admin, period=world.period, title="Child goal", owner_teams=[world.team]
    )
    services.align(actor=world.admin, child=child, parent_key_result=key_result)
    secret_child = services.create_objective(
        actor=world.admin,
        period=world.period,
        title="PRIVATE-MARKER child",
        owner_teams=[world.other_team],
        visibility="private",
    )
    services.align(actor=world.admin, child=secret_child, parent_objective=objective)
    html = member_client.get(url("objective", objective.uid)).content.decode()
    assert "Company goal" in html
    assert "Child goal" in html
    assert "PRIVATE-MARKER" not in html


def test_objective_history_does_not_name_a_private_parent(
    world: World, member_client: Client, objective: Objective, private_objective: Objective
) -> None:
    link = services.align(actor=world.admin, child=objective, parent_objective=private_objective)
    services.unalign(actor=world.admin, link=link)
    html = member_client.get(url("objective", objective.uid)).content.decode()
    assert "PRIVATE-MARKER" not in html
    assert "a private item" in html


# Creating -----------------------------------------------------------------------------------


def test_member_creates_a_team_objective_and_is_redirected_to_it(
    world: World, member_client: Client
) -> None:
    response = member_client.post(url("objective_new"), objective_form_data(world))
    created = Objective.objects.get(title="Delight our first customers")
    assert response.status_code == 302
    assert response["Location"] == url("objective", created.uid)
    assert list(created.owner_teams.all()) == [world.team]
    assert HistoryEvent.objects.filter(target_uid=created.uid, action="created").exists()


def test_admin_creates_a_shared_objective_for_any_teams(world: World, admin_client: Client) -> None:
    data = objective_form_data(world, owner_teams=[str(world.team.uid), str(world.other_team.uid)])
    assert admin_client.post(url("objective_new"), data).status_code == 302
    created = Objective.objects.get(title="Delight our first customers")
    assert created.owner_teams.count() == 2


def test_new_objective_form_offers_a_member_only_their_own_teams(
    world: World, member_client: Client
) -> None:
    form = member_client.get(url("objective_new")).context["form"]
    assert list(form.fields["owner_teams"].queryset) == [world.team]


def test_new_objective_rejects_another_teams_ownership_for_a_member(
    world: World, member_client: Client
) -> None:
    data = objective_form_data(world, owner_teams=[str(world.other_team.uid)])
    response = member_client.post(url("objective_new"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["owner_teams"]
    assert not Objective.objects.filter(title="Delight our first customers").exists()


def test_new_objective_shows_an_error_next_to_the_title_when_it_is_missing(
    world: World, member_client: Client
) -> None:
    response = member_client.post(url("objective_new"), objective_form_data(world, title=""))
    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert "field--error" in response.content.decode()
    assert not Objective.objects.exists()


def test_new_objective_shows_the_services_error_when_it_has_no_owner(
    world: World, member_client: Client
) -> None:
    response = member_client.post(
        url("objective_new"), objective_form_data(world, owner_teams=None)
    )
    assert response.status_code == 200
    assert "owner_person" in response.context["form"].errors
    assert not Objective.objects.exists()


def test_new_objective_for_a_person_and_teams_at_once_is_rejected(
    world: World, member_client: Client
) -> None:
    data = objective_form_data(world, owner_person=str(world.member.uid))
    response = member_client.post(url("objective_new"), data)
    assert "owner_teams" in response.context["form"].errors
    assert not Objective.objects.exists()


# Editing ------------------------------------------------------------------------------------


def test_team_member_edits_an_objective_as_a_plain_form(
    world: World, member_client: Client, objective: Objective
) -> None:
    data = objective_form_data(world, title="Launch it well")
    response = member_client.post(url("objective_edit", objective.uid), data)
    assert response.status_code == 302
    objective.refresh_from_db()
    assert objective.title == "Launch it well"
    assert HistoryEvent.objects.filter(target_uid=objective.uid, action="updated").exists()


def test_objective_edit_over_htmx_swaps_the_head_in_place(
    world: World, member_client: Client, objective: Objective
) -> None:
    form = member_client.get(url("objective_edit", objective.uid), headers=HTMX)
    assert (
        form.content.decode().lstrip().startswith('<div class="card form-card" id="objective-head"')
    )
    data = objective_form_data(world, title="Launch it well")
    saved = member_client.post(url("objective_edit", objective.uid), data, headers=HTMX)
    html = saved.content.decode()
    assert saved.status_code == 200
    assert html.lstrip().startswith('<div id="objective-head"')
    assert "Launch it well" in html
    assert 'id="history" class="section" hx-swap-oob="true"' in html


def test_objective_edit_over_htmx_returns_the_form_with_errors(
    world: World, member_client: Client, objective: Objective
) -> None:
    response = member_client.post(
        url("objective_edit", objective.uid), objective_form_data(world, title=""), headers=HTMX
    )
    html = response.content.decode()
    assert "errorlist" in html and "<html" not in html
    objective.refresh_from_db()
    assert objective.title == "Launch the Acme product successfully"


def test_admin_edits_any_objective(
    world: World, admin_client: Client, private_objective: Objective
) -> None:
    data = objective_form_data(
        world,
        owner_teams=[str(world.other_team.uid)],
        title="PRIVATE-MARKER renamed",
        visibility="private",
    )
    assert admin_client.post(url("objective_edit", private_objective.uid), data).status_code == 302
    private_objective.refresh_from_db()
    assert private_objective.title == "PRIVATE-MARKER renamed"


# Deleting -----------------------------------------------------------------------------------


def test_delete_asks_for_confirmation_then_deletes(
    world: World, member_client: Client, objective: Objective
) -> None:
    confirm = member_client.get(url("objective_delete", objective.uid))
    assert confirm.status_code == 200 and "Delete this objective?" in confirm.content.decode()
    response = member_client.post(url("objective_delete", objective.uid))
    assert response.status_code == 302
    assert response["Location"] == reverse("okrs:home", args=["acme"])
    assert not Objective.objects.filter(pk=objective.pk).exists()


def test_admin_deletes_an_objective(admin_client: Client, objective: Objective) -> None:
    assert admin_client.post(url("objective_delete", objective.uid)).status_code == 302
    assert not Objective.objects.filter(pk=objective.pk).exists()


# Alignment ----------------------------------------------------------------------------------


def test_align_offers_visible_objectives_and_key_results_of_enclosing_periods_only(
    world: World, member_client: Client, objective: Objective, private_objective: Objective
) -> None:
    year = org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2026",
        kind="year",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
        state="active",
    )
    earlier = org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2026 Q3",
        start=dt.date(2026, 7, 1),
        end=dt.date(2026, 9, 30),
    )
    company = services.create_objective(
        actor=world.admin, period=year, title="Company year", owner_person=world.admin
    )
    services.create_key_result(
        actor=world.admin, objective=company, title="Year KR", target_value=10
    )
    services.create_objective(
        actor=world.admin, period=earlier, title="Old goal", owner_person=world.admin
    )
    reporting.close_period(period=earlier, actor=world.admin)
    html = member_client.get(url("objective_align", objective.uid)).content.decode()
    assert "Company year" in html and "Year KR" in html
    assert "Old goal" not in html
    assert "PRIVATE-MARKER" not in html
    assert "Objective: Launch the Acme" not in html


def test_member_aligns_an_objective_to_a_key_result(
    world: World, member_client: Client, objective: Objective
) -> None:
    company = services.create_objective(
        actor=world.admin, period=world.period, title="Company goal", owner_person=world.admin
    )
    kr = services.create_key_result(
        actor=world.admin, objective=company, title="Company KR", target_value=10
    )
    response = member_client.post(url("objective_align", objective.uid), {"parent": f"k:{kr.uid}"})
    assert response.status_code == 302
    assert Alignment.objects.filter(child=objective, parent_key_result=kr).exists()


def test_align_over_htmx_returns_the_alignment_section(
    world: World, member_client: Client, objective: Objective
) -> None:
    company = services.create_objective(
        actor=world.admin, period=world.period, title="Company goal", owner_person=world.admin
    )
    response = member_client.post(
        url("objective_align", objective.uid), {"parent": f"o:{company.uid}"}, headers=HTMX
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="alignment"')
    assert "Company goal" in html


def test_align_rejects_a_cycle_with_an_error_next_to_the_parent(
    world: World, member_client: Client, objective: Objective
) -> None:
    child = services.create_objective(
        actor=world.member, period=world.period, title="Child", owner_teams=[world.team]
    )
    services.align(actor=world.member, child=child, parent_objective=objective)
    response = member_client.post(
        url("objective_align", objective.uid), {"parent": f"o:{child.uid}"}
    )
    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    assert not Alignment.objects.filter(child=objective).exists()


def test_align_rejects_a_parent_the_member_cannot_see(
    member_client: Client, objective: Objective, private_objective: Objective
) -> None:
    response = member_client.post(
        url("objective_align", objective.uid), {"parent": f"o:{private_objective.uid}"}
    )
    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    assert not Alignment.objects.exists()


def test_alignment_removal_rights_and_tenancy(
    world: World,
    objective: Objective,
    member_client: Client,
    viewer_client: Client,
    outsider_client: Client,
) -> None:
    company = services.create_objective(
        actor=world.admin, period=world.period, title="Company goal", owner_person=world.admin
    )
    link = services.align(actor=world.member, child=objective, parent_objective=company)
    target = url("alignment_delete", link.uid)
    assert outsider_client.post(target).status_code == 404
    assert viewer_client.post(target).status_code == 403
    assert member_client.get(target).status_code == 200
    response = member_client.post(target, headers=HTMX)
    assert response.status_code == 200
    assert 'id="alignment"' in response.content.decode()
    assert not Alignment.objects.filter(pk=link.pk).exists()


def test_admin_removes_an_alignment_as_a_plain_form(
    world: World, objective: Objective, admin_client: Client
) -> None:
    company = services.create_objective(
        actor=world.admin, period=world.period, title="Company goal", owner_person=world.admin
    )
    link = services.align(actor=world.admin, child=objective, parent_objective=company)
    response = admin_client.post(url("alignment_delete", link.uid))
    assert response.status_code == 302
    assert not Alignment.objects.exists()


def test_alignment_of_a_private_child_is_a_404_for_a_member(
    world: World, member_client: Client, private_objective: Objective, objective: Objective
) -> None:
    link = services.align(actor=world.admin, child=private_objective, parent_objective=objective)
    assert member_client.post(url("alignment_delete", link.uid)).status_code == 404
    assert Alignment.objects.filter(pk=link.pk).exists()


def test_objective_delete_keeps_nothing_behind(
    world: World, admin_client: Client, objective: Objective
) -> None:
    services.create_initiative(
        actor=world.admin, objective=objective, team=world.team, title="Some work"
    )
    admin_client.post(url("objective_delete", objective.uid))
    assert not Initiative.objects.exists()
    assert not ObjectiveTeam.objects.exists()
