"""Teams: the org chart, create, edit, delete and membership, through the web UI."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.conftest import World
from cairn.orgs import services
from cairn.orgs.models import HistoryEvent, Role, Team, TeamMembership

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, *args: object, org: str = "acme") -> str:
    return reverse(f"orgs:{name}", args=[org, *args])


def team_urls(world: World) -> list[str]:
    uid = world.team.uid
    return [
        url("teams"),
        url("team_create"),
        url("team_edit", uid),
        url("team_delete", uid),
        url("team_members", uid),
    ]


def queries_for(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# Tenancy and rights -------------------------------------------------------------------------


def test_an_outsider_gets_404_on_every_team_page(outsider_client: Client, world: World) -> None:
    for path in team_urls(world):
        assert outsider_client.get(path).status_code == 404, path
        assert outsider_client.post(path, {"name": "X"}).status_code == 404, path


def test_an_outsider_cannot_reach_acme_teams_through_their_own_org(
    outsider_client: Client, world: World
) -> None:
    for name in ("team_edit", "team_delete", "team_members"):
        path = url(name, world.team.uid, org="globex")
        assert outsider_client.get(path).status_code == 404
        assert outsider_client.post(path, {"name": "Stolen"}).status_code == 404
    world.team.refresh_from_db()
    assert world.team.name == "Product"


def test_a_signed_out_visitor_is_sent_to_sign_in(client: Client, world: World) -> None:
    response = client.get(url("teams"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("who", ["viewer_client", "member_client"])
def test_a_viewer_or_member_cannot_create_a_team(
    request: pytest.FixtureRequest, who: str, world: World
) -> None:
    client: Client = request.getfixturevalue(who)
    assert client.get(url("team_create")).status_code == 403
    assert client.post(url("team_create"), {"name": "Rogue"}).status_code == 403
    assert not Team.objects.filter(name="Rogue").exists()


@pytest.mark.parametrize("who", ["viewer_client", "member_client"])
def test_a_viewer_or_member_cannot_edit_delete_or_staff_a_team(
    request: pytest.FixtureRequest, who: str, world: World
) -> None:
    client: Client = request.getfixturevalue(who)
    uid = world.team.uid
    assert client.post(url("team_edit", uid), {"name": "Renamed"}).status_code == 403
    assert client.post(url("team_delete", uid)).status_code == 403
    response = client.post(url("team_members", uid), {"op": "add", "member": str(world.viewer.uid)})
    assert response.status_code == 403
    assert Team.objects.filter(pk=world.team.pk, name="Product").exists()
    assert not TeamMembership.objects.filter(team=world.team, member=world.viewer).exists()


# The org chart -------------------------------------------------------------------------------


def test_everyone_in_the_organization_sees_the_org_chart_as_a_tree(
    viewer_client: Client, world: World
) -> None:
    services.update_team(
        team=world.team, actor=world.admin, parent=world.other_team, lead=world.member
    )
    response = viewer_client.get(url("teams"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Platform") < html.index("Product")  # Product sits below Platform
    assert "Lead: Mia Member" in html
    assert "1 member" in html
    assert reverse("okrs:team", args=["acme", world.team.uid]) in html
    assert url("team_edit", world.team.uid) not in html  # no admin links for a viewer


def test_the_org_chart_takes_the_same_number_of_queries_for_3x_the_teams(
    admin_client: Client, world: World
) -> None:
    def grow(count: int, start: int) -> None:
        for i in range(start, start + count):
            person = services.add_member(
                organization=world.org, email=f"p{i}@acme.test", role=Role.MEMBER, actor=world.admin
            )
            parent = services.create_team(
                organization=world.org, actor=world.admin, name=f"Dept {i}", lead=person
            )
            services.create_team(
                organization=world.org,
                actor=world.admin,
                name=f"Team {i}",
                parent=parent,
                lead=person,
            )

    grow(3, 0)
    small = queries_for(admin_client, url("teams"))
    grow(6, 3)
    large = queries_for(admin_client, url("teams"))
    assert small == large
    assert "Team 8" in admin_client.get(url("teams")).content.decode()


# Create ------------------------------------------------------------------------------------------


def test_an_admin_creates_a_team_below_a_parent_and_it_is_recorded(
    admin_client: Client, world: World
) -> None:
    response = admin_client.post(
        url("team_create"),
        {
            "name": "Growth",
            "description": "Funnels",
            "parent": str(world.team.uid),
            "lead": str(world.member.uid),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == url("teams")
    team = Team.objects.get(organization=world.org, name="Growth")
    assert team.parent == world.team
    assert team.lead == world.member
    assert TeamMembership.objects.filter(team=team, member=world.member).exists()
    event = HistoryEvent.objects.get(target_kind="team", target_uid=team.uid, action="created")
    assert event.actor == world.admin


def test_a_team_without_a_name_shows_an_error_next_to_the_field(
    admin_client: Client, world: World
) -> None:
    before = Team.objects.count()
    response = admin_client.post(url("team_create"), {"name": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert 'class="field field--error"' in response.content.decode()
    assert Team.objects.count() == before


def test_a_duplicate_team_name_is_refused_by_the_service_as_a_form_error(
    admin_client: Client, world: World
) -> None:
    response = admin_client.post(url("team_create"), {"name": "platform"})
    assert response.status_code == 200
    assert "Another team already has this name." in response.context["form"].errors["name"]
    assert Team.objects.filter(organization=world.org).count() == 2


def test_a_team_cannot_take_a_parent_or_lead_from_another_organization(
    admin_client: Client, world: World
) -> None:
    foreign = services.create_team(
        organization=world.other_org, actor=world.outsider, name="Globex team"
    )
    response = admin_client.post(
        url("team_create"),
        {
            "name": "Mixed",
            "parent": str(foreign.uid),
            "lead": str(world.outsider.uid),
        },
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"parent", "lead"}
    assert not Team.objects.filter(name="Mixed").exists()


# Edit --------------------------------------------------------------------------------------------


def test_an_admin_changes_a_teams_lead_and_the_history_says_so(
    admin_client: Client, world: World
) -> None:
    response = admin_client.post(
        url("team_edit", world.team.uid),
        {
            "name": "Product",
            "description": "",
            "parent": "",
            "lead": str(world.admin.uid),
        },
    )
    assert response.status_code == 302
    world.team.refresh_from_db()
    assert world.team.lead == world.admin
    event = HistoryEvent.objects.filter(target_uid=world.team.uid, action="updated").get()
    assert event.changes == {"lead": [None, "Ada Admin"]}
    page = admin_client.get(url("team_edit", world.team.uid)).content.decode()
    assert "Ada Admin</strong> set lead to Ada Admin" in page


def test_editing_a_team_over_htmx_returns_the_refreshed_form_with_its_history(
    admin_client: Client, world: World
) -> None:
    response = admin_client.post(
        url("team_edit", world.team.uid),
        {"name": "Product & Design", "lead": str(world.member.uid)},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="team-form"' in html
    assert "Saved." in html
    assert "changed name from Product to Product &amp; Design" in html
    assert Team.objects.get(pk=world.team.pk).name == "Product & Design"


def test_a_team_cannot_be_moved_below_its_own_sub_team(admin_client: Client, world: World) -> None:
    services.update_team(team=world.other_team, actor=world.admin, parent=world.team)
    response = admin_client.post(
        url("team_edit", world.team.uid),
        {"name": "Product", "parent": str(world.other_team.uid)},
        **HTMX,
    )
    assert response.status_code == 200
    assert response.context["form"].errors["parent"]
    assert 'class="field field--error"' in response.content.decode()
    world.team.refresh_from_db()
    assert world.team.parent is None


def test_the_parent_choices_leave_out_the_team_and_its_sub_teams(
    admin_client: Client, world: World
) -> None:
    services.update_team(team=world.other_team, actor=world.admin, parent=world.team)
    form = admin_client.get(url("team_edit", world.team.uid)).context["form"]
    offered = {value for value, _label in form.fields["parent"].choices}
    assert str(world.team.uid) not in offered
    assert str(world.other_team.uid) not in offered


# Delete ------------------------------------------------------------------------------------------


def test_an_admin_deletes_a_team_after_confirming(admin_client: Client, world: World) -> None:
    confirm = admin_client.get(url("team_delete", world.other_team.uid))
    assert confirm.status_code == 200
    assert "Delete the team" in confirm.content.decode()
    response = admin_client.post(url("team_delete", world.other_team.uid))
    assert response.status_code == 302
    assert not Team.objects.filter(pk=world.other_team.pk).exists()
    assert HistoryEvent.objects.filter(target_uid=world.other_team.uid, action="deleted").exists()


def test_deleting_a_team_with_sub_teams_is_refused_with_a_message_not_a_500(
    admin_client: Client, world: World
) -> None:
    services.update_team(team=world.other_team, actor=world.admin, parent=world.team)
    response = admin_client.post(url("team_delete", world.team.uid))
    assert response.status_code == 200
    assert "Move or delete this team" in response.content.decode()
    assert Team.objects.filter(pk=world.team.pk).exists()


# Membership --------------------------------------------------------------------------------------


def test_an_admin_adds_a_person_to_a_team_in_place_with_htmx(
    admin_client: Client, world: World
) -> None:
    response = admin_client.post(
        url("team_members", world.team.uid),
        {"op": "add", "member": str(world.viewer.uid)},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="team-members"' in html
    assert "Vic Viewer" in html
    assert TeamMembership.objects.filter(team=world.team, member=world.viewer).exists()
    assert HistoryEvent.objects.filter(
        target_uid=world.team.uid, action="added", changes__members=[None, "Vic Viewer"]
    ).exists()


def test_an_admin_removes_a_person_from_a_team_without_javascript(
    admin_client: Client, world: World
) -> None:
    response = admin_client.post(
        url("team_members", world.team.uid), {"op": "remove", "member": str(world.member.uid)}
    )
    assert response.status_code == 302
    assert response["Location"] == url("team_members", world.team.uid)
    assert not TeamMembership.objects.filter(team=world.team, member=world.member).exists()
    assert HistoryEvent.objects.filter(target_uid=world.team.uid, action="removed").exists()
    page = admin_client.get(url("team_edit", world.team.uid)).content.decode()
    assert "removed Mia Member" in page


def test_a_person_from_another_organization_cannot_be_added_to_a_team(
    admin_client: Client, world: World
) -> None:
    response = admin_client.post(
        url("team_members", world.team.uid),
        {"op": "add", "member": str(world.outsider.uid)},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Select a valid choice" in html
    assert 'class="field field--error"' in html
    assert not TeamMembership.objects.filter(member=world.outsider).exists()


def test_the_membership_page_lists_members_and_offers_only_the_others(
    admin_client: Client, world: World
) -> None:
    response = admin_client.get(url("team_members", world.team.uid))
    assert response.status_code == 200
    assert [p.name for p in response.context["current"]] == ["Mia Member"]
    assert "Mia Member" not in {p.name for p in response.context["candidates"]}
    assert 'hx-post="' + url("team_members", world.team.uid) in response.content.decode()
