"""The `cairn` command and its management commands: happy paths and every bad argument."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

from cairn import cli
from cairn.demo.loader import ORG_SLUG, load_demo
from cairn.orgs.models import Member, Organization, Role, TeamMembership, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_second_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    # cli.main -> execute_from_command_line -> django.setup() would reconfigure logging with
    # a handler bound to pytest's captured stderr, which is closed after the test.
    monkeypatch.setattr("django.setup", lambda *args, **kwargs: None)


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def globex() -> Organization:
    run(
        "createorg",
        "--name",
        "Globex",
        "--slug",
        "globex",
        "--admin",
        "otto@globex.test",
        "--password",
        "otto-password-1",
    )
    return Organization.objects.get(slug="globex")


# cairn --help and dispatch ---------------------------------------------------------------


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("serve", "demo", "createorg", "adduser", "check", "worker", "manage"):
        assert f"\n  {name} " in out
    assert "--workers" in out and "--if-empty" in out


def test_an_unknown_command_exits_non_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


def test_a_command_error_exits_1_with_a_one_line_message(
    globex: Organization, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["adduser", "--org", "nowhere", "--email", "a@b.test", "--role", "member"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err == "CommandError: No organization with the slug 'nowhere'."


def test_manage_passes_anything_through_to_django(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["manage", "help", "--commands"]) == 0
    out = capsys.readouterr().out
    assert "migrate" in out and "createorg" in out and "demo" in out


# createorg --------------------------------------------------------------------------------


def test_createorg_creates_the_organization_and_its_admin(globex: Organization) -> None:
    admin = Member.objects.get(organization=globex)
    assert admin.role == Role.ADMIN
    assert admin.user.email == "otto@globex.test"
    assert admin.user.check_password("otto-password-1")


def test_createorg_prints_a_generated_password_when_none_is_given() -> None:
    out = run("createorg", "--name", "Initech", "--slug", "initech", "--admin", "bill@initech.test")
    password = out.split("Generated password:")[1].strip()
    assert User.objects.get(email="bill@initech.test").check_password(password)


def test_createorg_rejects_a_taken_slug(globex: Organization) -> None:
    with pytest.raises(CommandError, match="already exists"):
        run("createorg", "--name", "Globex 2", "--slug", "globex", "--admin", "x@globex.test")


@pytest.mark.parametrize("slug", ["Bad Slug", "-edge", "UPPER", "a" * 51])
def test_createorg_rejects_a_bad_slug(slug: str) -> None:
    with pytest.raises(CommandError, match="Bad slug"):
        run("createorg", "--name", "X", f"--slug={slug}", "--admin", "x@x.test")
    assert not Organization.objects.exists()


def test_createorg_rejects_a_blank_name() -> None:
    with pytest.raises(CommandError, match="name"):
        run("createorg", "--name", "  ", "--slug", "blank", "--admin", "x@x.test")


def test_createorg_rejects_a_bad_email() -> None:
    with pytest.raises(CommandError, match="e-mail"):
        run("createorg", "--name", "X", "--slug", "x", "--admin", "not-an-email")
    assert not Organization.objects.exists()


# adduser ----------------------------------------------------------------------------------


def test_adduser_adds_a_member_to_a_team(globex: Organization) -> None:
    from cairn.orgs import services

    admin = Member.objects.get(organization=globex)
    team = services.create_team(organization=globex, actor=admin, name="Sales")
    out = run(
        "adduser",
        "--org",
        "globex",
        "--email",
        "Sam@Globex.test",
        "--role",
        "member",
        "--team",
        "sales",
        "--password",
        "sam-password-1",
    )
    assert "as member in team 'Sales'" in out
    member = Member.objects.get(organization=globex, user__email="sam@globex.test")
    assert member.role == Role.MEMBER
    assert TeamMembership.objects.filter(team=team, member=member).exists()
    assert member.user.check_password("sam-password-1")


def test_adduser_adds_a_viewer_with_a_generated_password(globex: Organization) -> None:
    out = run("adduser", "--org", "globex", "--email", "val@globex.test", "--role", "viewer")
    assert "Generated password:" in out
    assert Member.objects.get(user__email="val@globex.test").role == Role.VIEWER


def test_adduser_rejects_an_unknown_organization() -> None:
    with pytest.raises(CommandError, match="No organization with the slug 'nope'"):
        run("adduser", "--org", "nope", "--email", "a@b.test", "--role", "member")


def test_adduser_rejects_a_bad_role(globex: Organization) -> None:
    with pytest.raises(CommandError, match="Unknown role 'boss'"):
        run("adduser", "--org", "globex", "--email", "a@b.test", "--role", "boss")
    assert not User.objects.filter(email="a@b.test").exists()


def test_adduser_rejects_an_unknown_team(globex: Organization) -> None:
    with pytest.raises(CommandError, match="No team 'Nope'"):
        run(
            "adduser",
            "--org",
            "globex",
            "--email",
            "a@b.test",
            "--role",
            "member",
            "--team",
            "Nope",
        )


def test_adduser_rejects_a_duplicate_email(globex: Organization) -> None:
    with pytest.raises(CommandError, match="already a member"):
        run("adduser", "--org", "globex", "--email", "OTTO@globex.test", "--role", "member")


def test_adduser_rejects_a_bad_email(globex: Organization) -> None:
    with pytest.raises(CommandError, match="valid e-mail"):
        run("adduser", "--org", "globex", "--email", "nobody", "--role", "member")


def test_adduser_cannot_use_another_organizations_team(globex: Organization) -> None:
    load_demo()
    with pytest.raises(CommandError, match="No team 'Product' in 'globex'"):
        run(
            "adduser",
            "--org",
            "globex",
            "--email",
            "a@b.test",
            "--role",
            "member",
            "--team",
            "Product",
        )


# demo ---------------------------------------------------------------------------------


def test_demo_loads_into_an_empty_database_and_prints_the_logins() -> None:
    out = run("demo")
    assert Organization.objects.filter(slug=ORG_SLUG).exists()
    assert "ada@acme.example" in out and "mia@acme.example" in out
    assert "acme-demo-2026" in out


def test_demo_refuses_a_non_empty_database_without_reset(globex: Organization) -> None:
    with pytest.raises(CommandError, match=r"not empty.*--reset"):
        run("demo")
    assert not Organization.objects.filter(slug=ORG_SLUG).exists()


# flush truncates tables, which PostgreSQL refuses inside the test's transaction.
@pytest.mark.django_db(transaction=True)
def test_demo_reset_wipes_the_data_and_loads_the_demo(globex: Organization) -> None:
    run("demo", "--reset")
    assert list(Organization.objects.values_list("slug", flat=True)) == [ORG_SLUG]


def test_demo_if_empty_only_prints_the_logins_when_loaded() -> None:
    run("demo")
    count = Member.objects.count()
    out = run("demo", "--if-empty")
    assert "mia@acme.example" in out
    assert Member.objects.count() == count


def test_demo_if_empty_leaves_other_data_alone(globex: Organization) -> None:
    out = run("demo", "--if-empty")
    assert "not loaded" in out
    assert not Organization.objects.filter(slug=ORG_SLUG).exists()


# check --------------------------------------------------------------------------------


def test_check_runs_the_deploy_checks_and_cairns_own() -> None:
    out = run("cairn_check")
    assert "Data directory:" in out
    assert checks.Tags.security in checks.registry.registry.tags_available(deployment_checks=True)
    assert "cairn" in checks.registry.registry.tags_available(deployment_checks=True)


def test_check_fails_with_debug_on(settings: Any) -> None:
    settings.DEBUG = True
    with pytest.raises(SystemCheckError, match=r"cairn\.E003"):
        run("cairn_check")


def test_check_fails_with_a_placeholder_secret_key(settings: Any) -> None:
    settings.SECRET_KEY = "change-me"
    with pytest.raises(SystemCheckError, match=r"cairn\.E002"):
        run("cairn_check")


def test_check_fails_when_the_data_dir_is_not_writable(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path / "does-not-exist"
    with pytest.raises(SystemCheckError, match=r"cairn\.E001"):
        run("cairn_check")


# serve --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--port", "0"], "--port"), (["--workers", "0"], "--workers")],
)
def test_serve_rejects_bad_numbers(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run("serve", *args)
