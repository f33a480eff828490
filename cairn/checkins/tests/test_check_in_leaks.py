"""Check-ins leak nowhere the crawl (okrs/tests/test_leaks.py) cannot look: POSTs naming a
check-in one may not see, a tombstone's words (a resolved blocker's note included) on every
page an admin opens, and a team lead's digest about a key result of their team's member that
the lead may not see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cairn.checkins import reminders, services
from cairn.checkins.models import CheckIn, Reminder
from cairn.conftest import World
from cairn.okrs import services as okr_services
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import Member

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 10, 20, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def url(name: str, *args: object) -> str:
    return reverse(f"checkins:{name}", args=["acme", *args])


def secret_check_in(
    key_result: KeyResult,
    author: Member,
    word: str,
    *,
    blocker: bool = False,
    insight: bool = False,
) -> CheckIn:
    return services.record_check_in(
        key_result=key_result,
        author=author,
        at=NOW - dt.timedelta(days=5),
        progress=services.Progress(value=1, comment=f"{word}-progress"),
        confidence=services.Confidence(level=3, needs=f"{word}-needs", mitigation=f"{word}-mit"),
        next_up=services.NextUp(plan=f"{word}-plan"),
        context=services.Context(why=f"{word}-why", baseline=f"{word}-base", tactic=f"{word}-tac"),
        blocker=blocker,
        insight=insight,
    )


@pytest.fixture
def private_key_result(world: World, private_objective: Objective) -> KeyResult:
    return okr_services.create_key_result(
        actor=world.admin, objective=private_objective, title="PRIVATE-MARKER KR", target_value=10
    )


def test_posts_naming_a_check_in_one_may_not_see_are_a_404_and_change_nothing(
    world: World, member_client: Client, private_key_result: KeyResult
) -> None:
    blocker = secret_check_in(private_key_result, world.admin, "HIDDEN", blocker=True)
    for name, data in (
        ("blocker_resolve", {"how": "Sneaky"}),
        ("check_in_correct", {"progress_comment": "Sneaky"}),
        ("check_in_delete", {"reason": "Sneaky"}),
    ):
        response = member_client.post(url(name, blocker.uid), data, headers={"HX-Request": "true"})
        assert response.status_code == 404, name
        assert "HIDDEN" not in response.content.decode()
    blocker.refresh_from_db()
    assert blocker.is_open_blocker and not blocker.edited_at
    assert blocker.progress_comment == "HIDDEN-progress"


def test_a_tombstoned_resolved_blockers_words_show_to_nobody_not_even_an_admin(
    world: World, admin_client: Client, key_result: KeyResult
) -> None:
    gone = secret_check_in(key_result, world.member, "GONE", blocker=True, insight=True)
    services.resolve_blocker(check_in=gone, actor=world.admin, how="GONE-resolution")
    services.delete_check_in(check_in=gone, actor=world.admin, reason="spam")
    pages = [
        url("key_result", key_result.uid),
        url("check_in_delete", gone.uid),
        url("blockers"),
        url("blockers") + f"?team={world.team.uid}",
        url("insights"),
        url("inbox"),
    ]
    for page in pages:
        for headers in ({}, {"HX-Request": "true"}):
            body = admin_client.get(page, headers=headers).content.decode()
            assert "GONE" not in body, page
    assert "Deleted by" in admin_client.get(url("key_result", key_result.uid)).content.decode()


def test_a_leads_digest_leaves_out_their_members_key_result_they_may_not_see(
    world: World, key_result: KeyResult
) -> None:
    """The digest counts key results owned by the team's people as the team's; a private one
    in another team's objective, which its owner sees and the lead does not, stays out of
    the lead's e-mail."""
    lead = org_services.add_member(
        organization=world.org, email="lee@acme.test", role="member", name="Lee", actor=world.admin
    )
    org_services.update_team(team=world.team, actor=world.admin, lead=lead)
    platform = okr_services.create_objective(
        actor=world.admin, period=world.period, title="Scale", owner_teams=[world.other_team]
    )
    secret = okr_services.create_key_result(
        actor=world.admin,
        objective=platform,
        title="PRIVATE-MARKER member's KR",
        target_value=10,
        owner=world.member,
        visibility="private",
    )
    # Last week's insight and blocker, and a value moved: all a digest would report.
    secret_check_in(secret, world.member, "HIDDEN", blocker=True, insight=True)
    # The same on the team's public key result: the digest is not empty (the control).
    secret_check_in(key_result, world.member, "SHOWN", blocker=True, insight=True)
    week_start = reminders.digest_week(world.org, NOW.date())
    reminder = Reminder(
        organization=world.org, member=lead, kind=Reminder.Kind.DIGEST, window_start=week_start
    )
    email = reminders.render_reminder(reminder, today=week_start)
    assert email is not None and "SHOWN-needs" in email.text and "SHOWN-needs" in email.html
    for part in (email.subject, email.text, email.html):
        assert "HIDDEN" not in part and "PRIVATE-MARKER" not in part
    # The member who owns it does get it in their reminder (the control).
    member_reminder = Reminder(
        organization=world.org,
        member=world.member,
        kind=Reminder.Kind.REMINDER,
        window_start=week_start,
    )
    mine = reminders.render_reminder(member_reminder, today=NOW.date())
    assert mine is not None and "HIDDEN-needs" in mine.text and "HIDDEN-needs" in mine.html
