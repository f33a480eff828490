"""People: the member list, adding a person, changing role, title and active."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.conftest import PASSWORD, World
from cairn.orgs import services
from cairn.orgs.models import HistoryEvent, Member, Role, TeamMembership, User

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, *args: object, org: str = "acme") -> str:
    return reverse(f"orgs:{name}", args=[org, *args])


def queries_for(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_an_outsider_gets_404_on_every_people_page(outsider_client: Client, world: World) -> None:
    for path in (url("people"), url("person_create"), url("person_edit", world.member.uid)):
        assert outsider_client.get(path).status_code == 404, path
        assert outsider_client.post(path, {"role": "admin"}).status_code == 404, path
    path = url("person_edit", world.member.uid, org="globex")
    assert outsider_client.post(path, {"role": "viewer"}).status_code == 404
    assert Member.objects.get(pk=world.member.pk).role == Role.MEMBER


@pytest.mark.parametrize("who", ["viewer_client", "member_client"])
def test_a_viewer_or_member_cannot_add_a_person(
    request: pytest.FixtureRequest, who: str, world: World
) -> None:
    client: Client = request.getfixturevalue(who)
    assert client.get(url("person_create")).status_code == 403
    response = client.post(url("person_create"), {"email": "new@acme.test", "role": "admin"})
    assert response.status_code == 403
    assert not User.objects.filter(email="new@acme.test").exists()


@pytest.mark.parametrize("who", ["viewer_client", "member_client"])
def test_a_viewer_or_member_cannot_change_anyones_role(
    request: pytest.FixtureRequest, who: str, world: World
) -> None:
    client: Client = request.getfixturevalue(who)
    path = url("person_edit", world.member.uid)
    assert client.get(path).status_code == 403
    assert client.post(path, {"role": "admin", "is_active": "on"}).status_code == 403
    assert Member.objects.get(pk=world.member.pk).role == Role.MEMBER


def test_everyone_sees_the_people_with_role_teams_and_title(
    viewer_client: Client, world: World
) -> None:
    services.change_member(member=world.member, actor=world.admin, title="Product manager")
    response = viewer_client.get(url("people"))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Ada Admin", "Mia Member", "Vic Viewer", "Product manager", "Viewer (read-only)"):
        assert text in html
    assert reverse("okrs:team", args=["acme", world.team.uid]) in html
    assert reverse("okrs:person", args=["acme", world.member.uid]) in html
    assert "Otto Outsider" not in html
    assert url("person_create") not in html  # no admin actions for a viewer


def test_the_people_list_takes_the_same_number_of_queries_for_3x_the_people(
    admin_client: Client, world: World
) -> None:
    def grow(count: int, start: int) -> None:
        for i in range(start, start + count):
            team = services.create_team(organization=world.org, actor=world.admin, name=f"T{i}")
            services.add_member(
                organization=world.org,
                email=f"p{i}@acme.test",
                role=Role.MEMBER,
                actor=world.admin,
                team=team,
                title=f"Job {i}",
            )

    grow(4, 0)
    small = queries_for(admin_client, url("people"))
    grow(8, 4)
    large = queries_for(admin_client, url("people"))
    assert small == large


def test_an_admin_adds_a_person_and_sees_the_generated_password_once(
    admin_client: Client, world: World
) -> None:
    response = admin_client.post(
        url("person_create"),
        {
            "email": "Nia@Acme.test",
            "name": "Nia New",
            "role": "member",
            "title": "Engineer",
            "team": str(world.team.uid),
            "password": "",
        },
    )
    assert response.status_code == 200
    person = Member.objects.get(organization=world.org, user__email="nia@acme.test")
    assert (person.role, person.title, person.user.name) == ("member", "Engineer", "Nia New")
    assert TeamMembership.objects.filter(team=world.team, member=person).exists()
    generated = response.context["generated"]
    assert generated and generated in response.content.decode()
    assert person.user.check_password(generated)
    assert HistoryEvent.objects.filter(
        target_kind="member", target_uid=person.uid, action="created", actor=world.admin
    ).exists()
    # The people page does not show the password again.
    assert generated not in admin_client.get(url("people")).content.decode()


def test_an_admin_can_choose_the_initial_password(admin_client: Client, world: World) -> None:
    response = admin_client.post(
        url("person_create"),
        {
            "email": "pat@acme.test",
            "role": "viewer",
            "password": "a-long-chosen-passphrase",
        },
    )
    assert response.status_code == 200
    assert not response.context["generated"]
    assert User.objects.get(email="pat@acme.test").check_password("a-long-chosen-passphrase")


def test_adding_someone_who_already_has_an_account_keeps_their_password(
    outsider_client: Client, world: World
) -> None:
    # Otto administers Globex; adding Ada there must not hand him Ada's Acme sign-in.
    response = outsider_client.post(
        url("person_create", org="globex"),
        {
            "email": "ada@acme.test",
            "role": "member",
            "password": "hijacked-password-123",
        },
    )
    assert response.status_code == 200
    assert response.context["existing"]
    ada = User.objects.get(email="ada@acme.test")
    assert ada.check_password(PASSWORD)
    assert not ada.check_password("hijacked-password-123")


def test_adding_an_existing_member_again_shows_an_error_on_the_email_field(
    admin_client: Client, world: World
) -> None:
    before = Member.objects.count()
    response = admin_client.post(url("person_create"), {"email": "mia@acme.test", "role": "member"})
    assert response.status_code == 200
    assert "already a member" in response.context["form"].errors["email"][0]
    assert Member.objects.count() == before


def test_a_bad_email_or_weak_password_shows_form_errors_and_adds_nobody(
    admin_client: Client, world: World
) -> None:
    before = Member.objects.count()
    response = admin_client.post(
        url("person_create"), {"email": "not-an-email", "role": "member", "password": "123"}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"email", "password"}
    assert Member.objects.count() == before


def test_an_admin_changes_a_persons_role_and_title(admin_client: Client, world: World) -> None:
    response = admin_client.post(
        url("person_edit", world.viewer.uid),
        {
            "role": "member",
            "title": "Analyst",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == url("people")
    viewer = Member.objects.get(pk=world.viewer.pk)
    assert (viewer.role, viewer.title, viewer.is_active) == ("member", "Analyst", True)
    event = HistoryEvent.objects.get(target_uid=viewer.uid, action="updated")
    assert event.changes["role"] == ["viewer", "member"]
    page = admin_client.get(url("person_edit", world.viewer.uid)).content.decode()
    assert "changed role from Viewer (read-only) to Member" in page


def test_an_admin_deactivates_a_person_in_place_with_htmx(
    admin_client: Client, world: World
) -> None:
    response = admin_client.post(
        url("person_edit", world.member.uid), {"role": "member", "title": ""}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "Saved." in html
    assert not Member.objects.get(pk=world.member.pk).is_active


def test_the_last_admin_cannot_demote_themselves(admin_client: Client, world: World) -> None:
    response = admin_client.post(
        url("person_edit", world.admin.uid), {"role": "viewer", "is_active": "on"}, **HTMX
    )
    assert response.status_code == 200
    assert "at least one active admin" in response.content.decode()
    assert Member.objects.get(pk=world.admin.pk).role == Role.ADMIN
    assert not HistoryEvent.objects.filter(target_uid=world.admin.uid, action="updated").exists()


def test_an_unknown_role_is_a_form_error(admin_client: Client, world: World) -> None:
    response = admin_client.post(
        url("person_edit", world.member.uid), {"role": "owner", "is_active": "on"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    assert Member.objects.get(pk=world.member.pk).role == Role.MEMBER
