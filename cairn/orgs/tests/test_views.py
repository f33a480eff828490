"""Sign-in, the organization chooser, and organization settings."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from cairn.conftest import PASSWORD, World
from cairn.orgs import services
from cairn.orgs.models import HistoryEvent, Organization, Role, User

HTMX = {"HTTP_HX_REQUEST": "true"}


def settings_data(**overrides: str) -> dict[str, str]:
    return {
        "name": "Acme Inc.",
        "time_zone": "Europe/Stockholm",
        "week_start": "0",
        "checkin_cadence": "biweekly",
        "checkin_weekday": "4",
        "default_language": "sv",
        **overrides,
    }


# Sign in -------------------------------------------------------------------------------------


def test_the_sign_in_page_asks_for_e_mail_and_password(client: Client, db: None) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "E-mail" in html
    assert 'type="email" name="username"' in html
    assert 'type="password" name="password"' in html


def test_a_person_signs_in_with_e_mail_and_password(client: Client, world: World) -> None:
    response = client.post(reverse("login"), {"username": "mia@acme.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("start")
    assert client.session.get("_auth_user_id") == str(world.member.user.pk)


def test_a_wrong_password_shows_an_error_and_does_not_sign_in(client: Client, world: World) -> None:
    response = client.post(reverse("login"), {"username": "mia@acme.test", "password": "nope"})
    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()
    assert "_auth_user_id" not in client.session


# The organization chooser -------------------------------------------------------------------


def test_a_person_in_one_organization_goes_straight_to_it(
    member_client: Client, world: World
) -> None:
    response = member_client.get(reverse("start"))
    assert response.status_code == 302
    assert response["Location"] == reverse("okrs:home", args=["acme"])


def test_a_person_in_several_organizations_picks_one(client: Client, world: World) -> None:
    services.add_member(
        organization=world.other_org, email="mia@acme.test", role=Role.VIEWER, actor=world.outsider
    )
    client.force_login(world.member.user)
    response = client.get(reverse("start"))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("okrs:home", args=["acme"]) in html
    assert reverse("okrs:home", args=["globex"]) in html


def test_a_person_in_no_organization_sees_a_friendly_message(client: Client, db: None) -> None:
    user = User.objects.create_user(email="lonely@example.test", password=PASSWORD)
    client.force_login(user)
    response = client.get(reverse("start"))
    assert response.status_code == 200
    assert "not a member of any organization" in response.content.decode()


# Organization settings ---------------------------------------------------------------------


def test_an_outsider_gets_404_on_the_settings(outsider_client: Client, world: World) -> None:
    path = reverse("orgs:settings", args=["acme"])
    assert outsider_client.get(path).status_code == 404
    assert outsider_client.post(path, settings_data()).status_code == 404
    assert Organization.objects.get(pk=world.org.pk).name == "Acme"


@pytest.mark.parametrize("who", ["viewer_client", "member_client"])
def test_only_admins_may_see_or_change_the_settings(
    request: pytest.FixtureRequest, who: str, world: World
) -> None:
    client: Client = request.getfixturevalue(who)
    path = reverse("orgs:settings", args=["acme"])
    assert client.get(path).status_code == 403
    assert client.post(path, settings_data()).status_code == 403
    assert Organization.objects.get(pk=world.org.pk).name == "Acme"


def test_an_admin_changes_the_settings_and_it_is_recorded(
    admin_client: Client, world: World
) -> None:
    path = reverse("orgs:settings", args=["acme"])
    response = admin_client.post(path, settings_data())
    assert response.status_code == 302
    org = Organization.objects.get(pk=world.org.pk)
    assert (org.name, org.time_zone, org.week_start, org.checkin_cadence, org.default_language) == (
        "Acme Inc.",
        "Europe/Stockholm",
        0,
        "biweekly",
        "sv",
    )
    event = HistoryEvent.objects.get(target_kind="organization", target_uid=org.uid)
    assert event.actor == world.admin
    assert event.changes["time_zone"] == ["UTC", "Europe/Stockholm"]
    page = admin_client.get(path).content.decode()
    assert "changed check-in cadence from Weekly to Every two weeks" in page


def test_settings_saved_over_htmx_return_the_refreshed_form(
    admin_client: Client, world: World
) -> None:
    response = admin_client.post(
        reverse("orgs:settings", args=["acme"]), settings_data(week_start="6"), **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "Saved." in html
    assert Organization.objects.get(pk=world.org.pk).week_start == 6


def test_an_unknown_time_zone_is_an_error_next_to_the_field(
    admin_client: Client, world: World
) -> None:
    response = admin_client.post(
        reverse("orgs:settings", args=["acme"]),
        settings_data(time_zone="Mars/Olympus_Mons", name=""),
    )
    assert response.status_code == 200
    assert {"time_zone", "name"} <= set(response.context["form"].errors)
    org = Organization.objects.get(pk=world.org.pk)
    assert (org.name, org.time_zone) == ("Acme", "UTC")
    assert not HistoryEvent.objects.filter(target_kind="organization").exists()


def test_the_settings_service_validates_on_its_own(world: World) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.update_organization(
            organization=world.org,
            actor=world.admin,
            time_zone="Nowhere/Land",
            week_start=9,
            checkin_cadence="hourly",
            default_language="xx",
        )
    assert set(caught.value.error_dict) == {
        "time_zone",
        "week_start",
        "checkin_cadence",
        "default_language",
    }
    with pytest.raises(TypeError):
        services.update_organization(organization=world.org, actor=world.admin, slug="evil")


def test_a_person_changes_their_password(member_client: Client, world: World) -> None:
    page = member_client.get(reverse("password_change"))
    assert page.status_code == 200
    response = member_client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-better-passphrase",
            "new_password2": "a-much-better-passphrase",
        },
    )
    assert response.status_code == 302
    world.member.user.refresh_from_db()
    assert world.member.user.check_password("a-much-better-passphrase")


def test_a_refused_write_explains_itself_on_a_page_with_navigation(
    viewer_client: Client, world: World
) -> None:
    response = viewer_client.get(reverse("orgs:team_create", args=["acme"]))
    assert response.status_code == 403
    body = response.content.decode()
    assert "Only admins can do this." in body
    assert reverse("okrs:home", args=["acme"]) in body


def test_a_missing_page_is_a_friendly_404(member_client: Client, world: World) -> None:
    response = member_client.get("/o/acme/objectives/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert "not shared with you" in response.content.decode()


def test_times_on_an_organizations_pages_use_its_time_zone(
    admin_client: Client, world: World
) -> None:
    services.update_organization(
        organization=world.org, actor=world.admin, time_zone="Asia/Ho_Chi_Minh"
    )
    event = HistoryEvent.objects.filter(organization=world.org).latest("at")
    local = event.at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    response = admin_client.get(reverse("orgs:settings", args=["acme"]))
    assert local.isoformat(timespec="seconds")[:19] in response.content.decode()
