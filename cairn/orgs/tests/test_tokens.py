"""Personal API tokens: the service rules, the page at /o/<org>/me/tokens/ for the four
people, and `cairn token`."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cairn import cli
from cairn.conftest import World
from cairn.orgs import services as org_services
from cairn.orgs.models import ApiToken, HistoryEvent, Member, Role
from cairn.orgs.tokens import (
    TOKEN_PREFIX,
    create_token,
    hash_token,
    member_for_token,
    revoke_token,
    token_for,
)

# The service ------------------------------------------------------------------------------


def test_a_new_token_is_shown_once_and_stored_only_as_a_hash(world: World) -> None:
    token, raw = create_token(member=world.member, name="  dashboard  ")
    assert raw.startswith(TOKEN_PREFIX) and len(raw) > 40
    assert token.name == "dashboard"
    assert token.prefix == raw[:12]
    assert token.token_hash == hash_token(raw) != raw
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert raw not in {str(value) for value in stored.values()}
    assert not token.read_only and token.organization_id == world.org.pk


def test_two_tokens_never_share_a_secret(world: World) -> None:
    assert (
        create_token(member=world.member, name="a")[1]
        != create_token(member=world.member, name="a")[1]
    )


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_it_rejects_a_blank_or_overlong_name(world: World, name: str) -> None:
    with pytest.raises(ValidationError) as error:
        create_token(member=world.member, name=name)
    assert "name" in error.value.message_dict
    assert not ApiToken.objects.exists()


def test_a_viewer_gets_only_read_only_tokens(world: World) -> None:
    with pytest.raises(ValidationError) as error:
        create_token(member=world.viewer, name="export")
    assert "read_only" in error.value.message_dict
    token, _raw = create_token(member=world.viewer, name="export", read_only=True)
    assert token.read_only


def test_an_inactive_member_gets_no_token(world: World) -> None:
    org_services.change_member(member=world.member, actor=world.admin, is_active=False)
    world.member.refresh_from_db()
    with pytest.raises(ValidationError):
        create_token(member=world.member, name="script")


def test_a_token_finds_its_member_until_revoked(world: World) -> None:
    token, raw = create_token(member=world.member, name="script")
    found = member_for_token(raw)
    assert found is not None and found[1] == world.member
    assert member_for_token(raw + "x") is None
    assert member_for_token(raw.removeprefix(TOKEN_PREFIX)) is None
    revoke_token(token=token, actor=world.member)
    assert member_for_token(raw) is None


def test_last_used_is_written_at_most_once_a_minute(world: World) -> None:
    token, raw = create_token(member=world.member, name="script")
    member_for_token(raw)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        member_for_token(raw)
    assert len(queries) == 1
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    member_for_token(raw)
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at > first - dt.timedelta(seconds=1)


def test_its_owner_and_an_admin_may_revoke_a_token_but_nobody_else(world: World) -> None:
    token, _raw = create_token(member=world.member, name="script")
    with pytest.raises(PermissionDenied):
        revoke_token(token=token, actor=world.viewer)
    with pytest.raises(ValidationError):
        revoke_token(token=token, actor=world.outsider)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    revoke_token(token=token, actor=world.admin)
    revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at
    assert revoked_at is not None
    revoke_token(token=token, actor=world.member)  # twice is harmless
    assert ApiToken.objects.get(pk=token.pk).revoked_at == revoked_at


def test_creating_and_revoking_are_in_the_members_history(world: World) -> None:
    token, _raw = create_token(member=world.member, name="script")
    revoke_token(token=token, actor=world.admin)
    events = HistoryEvent.objects.filter(target_uid=world.member.uid).order_by("at", "id")
    changes = [event.changes.get("api_token") for event in events]
    assert [None, "script"] in changes and ["script", None] in changes


def test_the_token_gate_gives_404_for_what_is_not_yours(world: World) -> None:
    mine, _ = create_token(member=world.member, name="mine")
    admins, _ = create_token(member=world.admin, name="admins")
    foreign, _ = create_token(member=world.outsider, name="foreign")
    assert token_for(world.member, mine.uid) == mine
    assert token_for(world.admin, mine.uid) == mine
    for who, token in [
        (world.member, admins),
        (world.viewer, mine),
        (world.admin, foreign),
        (world.outsider, mine),
    ]:
        with pytest.raises(Http404):
            token_for(who, token.uid)
    with pytest.raises(Http404):
        token_for(world.member, "not-a-uuid")


# The page ---------------------------------------------------------------------------------


def page(world: World) -> str:
    return reverse("orgs:api_tokens", args=[world.org.slug])


def revoke_url(world: World, token: ApiToken) -> str:
    return reverse("orgs:api_token_revoke", args=[world.org.slug, token.uid])


@pytest.mark.parametrize("who", ["admin", "member", "viewer"])
def test_everyone_in_the_organization_has_a_tokens_page(
    world: World, client: Client, who: str
) -> None:
    client.force_login(getattr(world, who).user)
    response = client.get(page(world))
    assert response.status_code == 200
    assert "API tokens" in response.content.decode()


def test_the_outsider_gets_a_404_and_a_stranger_the_sign_in(
    world: World, outsider_client: Client, client: Client
) -> None:
    assert outsider_client.get(page(world)).status_code == 404
    assert outsider_client.post(page(world), {"name": "x"}).status_code == 404
    assert not ApiToken.objects.exists()
    response = client.get(page(world))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_creating_a_token_shows_the_secret_once(world: World, member_client: Client) -> None:
    response = member_client.post(page(world), {"name": "Sales dashboard"})
    assert response.status_code == 200
    token = ApiToken.objects.get(member=world.member)
    html = response.content.decode()
    secret = html.split('id="token-secret">')[1].split("<")[0]
    assert hash_token(secret) == token.token_hash
    assert "no-store" in response["Cache-Control"]
    assert not token.read_only and token.name == "Sales dashboard"
    listing = member_client.get(page(world)).content.decode()
    assert "Sales dashboard" in listing and token.prefix in listing and secret not in listing


def test_a_member_can_create_a_read_only_token(world: World, member_client: Client) -> None:
    member_client.post(page(world), {"name": "export", "read_only": "on"})
    assert ApiToken.objects.get(member=world.member).read_only


def test_a_viewers_token_is_read_only_whatever_is_posted(
    world: World, viewer_client: Client
) -> None:
    form_html = viewer_client.get(page(world)).content.decode()
    assert "disabled" in form_html
    response = viewer_client.post(page(world), {"name": "export"})
    assert response.status_code == 200
    assert ApiToken.objects.get(member=world.viewer).read_only


def test_a_blank_name_shows_the_error_and_creates_nothing(
    world: World, member_client: Client
) -> None:
    response = member_client.post(page(world), {"name": "  "})
    assert response.status_code == 200
    assert "field--error" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_members_see_their_own_tokens_and_admins_everyones(
    world: World, member_client: Client, admin_client: Client
) -> None:
    create_token(member=world.member, name="MIA-TOKEN")
    create_token(member=world.admin, name="ADA-TOKEN")
    create_token(member=world.outsider, name="OTTO-TOKEN")
    mine = member_client.get(page(world)).content.decode()
    assert "MIA-TOKEN" in mine and "ADA-TOKEN" not in mine and "OTTO-TOKEN" not in mine
    everyone = admin_client.get(page(world)).content.decode()
    assert "MIA-TOKEN" in everyone and "ADA-TOKEN" in everyone and "OTTO-TOKEN" not in everyone
    assert "mia@acme.test" in everyone


def test_a_member_revokes_their_own_token(world: World, member_client: Client) -> None:
    token, raw = create_token(member=world.member, name="script")
    response = member_client.post(revoke_url(world, token))
    assert response.status_code == 302 and response["Location"] == page(world)
    assert member_for_token(raw) is None
    assert "Revoked" in member_client.get(page(world)).content.decode()


def test_revoking_with_htmx_returns_the_refreshed_list(world: World, member_client: Client) -> None:
    token, _raw = create_token(member=world.member, name="script")
    response = member_client.post(revoke_url(world, token), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="tokens"') and "<html" not in html
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_an_admin_revokes_anyones_token(world: World, admin_client: Client) -> None:
    token, raw = create_token(member=world.member, name="script")
    assert admin_client.post(revoke_url(world, token)).status_code == 302
    assert member_for_token(raw) is None


def test_nobody_else_can_revoke_a_token(
    world: World, viewer_client: Client, outsider_client: Client, member_client: Client
) -> None:
    token, raw = create_token(member=world.member, name="script")
    assert viewer_client.post(revoke_url(world, token)).status_code == 404
    assert outsider_client.post(revoke_url(world, token)).status_code == 404
    assert member_client.get(revoke_url(world, token)).status_code == 405
    admins, _ = create_token(member=world.admin, name="admin's")
    assert member_client.post(revoke_url(world, admins)).status_code == 404
    assert member_for_token(raw) is not None


def test_the_admins_tokens_page_needs_the_same_queries_for_more_tokens(
    world: World, admin_client: Client
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(page(world)).status_code == 200
        return len(queries)

    people = [world.admin, world.member]
    for number in range(2):
        create_token(member=people[number % 2], name=f"token {number}")
    small = count()
    for number in range(4):
        create_token(member=people[number % 2], name=f"more {number}")
    assert count() == small


def test_my_settings_links_to_the_tokens_page(world: World, viewer_client: Client) -> None:
    html = viewer_client.get(reverse("checkins:my_settings", args=[world.org.slug])).content
    assert page(world).encode() in html


# `cairn token` ----------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("token", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_token_create_prints_the_token_alone_on_its_last_line(world: World) -> None:
    out = run("create", "--email", "Mia@Acme.test", "--name", "nightly export")
    raw = out.strip().splitlines()[-1]
    found = member_for_token(raw)
    assert found is not None and found[1] == world.member
    assert found[0].name == "nightly export" and not found[0].read_only


def test_token_create_read_only(world: World) -> None:
    raw = run("create", "--email", "vic@acme.test", "--read-only").strip().splitlines()[-1]
    found = member_for_token(raw)
    assert found is not None and found[0].read_only and found[0].name == "command line"


@pytest.fixture
def ada_in_two(world: World) -> Member:
    return org_services.add_member(
        organization=world.other_org,
        email="ada@acme.test",
        role=Role.MEMBER,
        actor=world.outsider,
    )


def test_token_create_needs_org_for_someone_in_several(world: World, ada_in_two: Member) -> None:
    with pytest.raises(CommandError, match=r"several organizations \(acme, globex\).*--org"):
        run("create", "--email", "ada@acme.test")
    raw = run("create", "--email", "ada@acme.test", "--org", "globex").strip().splitlines()[-1]
    found = member_for_token(raw)
    assert found is not None and found[1] == ada_in_two


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Say what to do"),
        (("frobnicate",), "Unknown action 'frobnicate'"),
        (("create",), "--email"),
        (("create", "--email", "nobody@acme.test"), "not an active member"),
        (("create", "--email", "mia@acme.test", "--org", "nowhere"), "No organization"),
        (("create", "--email", "mia@acme.test", "--org", "globex"), "not an active member"),
        (("create", "--email", "vic@acme.test"), "is a viewer in 'acme'.*Add --read-only"),
        (("create", "--email", "mia@acme.test", "--name", " "), "name:"),
        (("list",), "--email EMAIL or --org SLUG"),
        (("revoke",), "Say which token"),
        (("revoke", "cairn_zzzzzz"), "No token"),
    ],
)
def test_token_rejects_bad_arguments(world: World, args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not ApiToken.objects.exists()


def test_token_bad_arguments_exit_1_with_one_line(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("django.setup", lambda *args, **kwargs: None)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["token", "create", "--email", "nobody@acme.test"])
    assert exit_info.value.code == 1
    assert capsys.readouterr().err.strip() == (
        "CommandError: nobody@acme.test is not an active member."
    )


def test_token_list_shows_prefixes_but_never_secrets(world: World) -> None:
    token, raw = create_token(member=world.member, name="script", read_only=True)
    create_token(member=world.outsider, name="foreign")
    out = run("list", "--org", "acme")
    assert token.prefix in out and raw not in out
    assert "'script'" in out and "read-only" in out and "foreign" not in out
    assert "'script'" in run("list", "--email", "mia@acme.test")


@pytest.mark.parametrize("how", ["prefix", "short", "secret", "id"])
def test_token_revoke_by_prefix_secret_or_id(world: World, how: str) -> None:
    token, raw = create_token(member=world.member, name="script")
    given = {
        "prefix": token.prefix,
        "short": token.prefix.removeprefix(TOKEN_PREFIX),
        "secret": raw,
        "id": str(token.uid),
    }[how]
    out = run("revoke", given)
    assert "Revoked 'script'" in out
    assert member_for_token(raw) is None
    assert HistoryEvent.objects.filter(actor=None, changes__api_token=["script", None]).exists()


def test_token_revoke_refuses_an_ambiguous_prefix(world: World) -> None:
    first, _ = create_token(member=world.member, name="one")
    second, _ = create_token(member=world.admin, name="two")
    ApiToken.objects.filter(pk=second.pk).update(prefix=first.prefix)
    with pytest.raises(CommandError, match="Several tokens"):
        run("revoke", first.prefix[:8])
    assert not ApiToken.objects.filter(revoked_at__lte=timezone.now()).exists()
    run("revoke", first.prefix[:8], "--email", "mia@acme.test")
    assert ApiToken.objects.get(pk=first.pk).revoked_at is not None


def test_a_token_is_letters_and_digits_so_no_shell_takes_it_for_an_option(world: World) -> None:
    for _ in range(50):
        _token, raw = create_token(member=world.member, name="script")
        secret = raw.removeprefix(TOKEN_PREFIX)
        assert secret.isalnum() and len(secret) == 43
