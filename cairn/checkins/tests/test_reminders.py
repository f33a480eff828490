"""What reminders and digests contain, for whom, and what they never contain.

Dates are pinned with time-machine. Acme's rhythm is the default: weekly, weeks start on
Monday, check-ins due on Friday, time zone UTC. The weeks used below:

- Mon 2026-10-05 .. Sun 10-11: "last week" for the digest sent on Mon 10-12
- Mon 2026-10-12 .. Sun 10-18: the reminder window; Fri 10-16 is its check-in day
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from cairn.checkins import reminders
from cairn.checkins.models import Reminder
from cairn.checkins.services import Confidence, NextUp, Progress, record_check_in, resolve_blocker
from cairn.conftest import World
from cairn.lib.rhythm import Staleness
from cairn.okrs import services as okr_services
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import Member, Role

UTC = dt.UTC
MARKER = "PRIVATE-MARKER"


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@pytest.fixture
def clock(db: None) -> Iterator[time_machine.Traveller]:
    """Started before `world`, so that everything is created at the pinned time."""
    with time_machine.travel(at("2026-09-25", 9), tick=False) as traveller:
        yield traveller


@pytest.fixture
def acme(clock: time_machine.Traveller, world: World) -> World:
    return world


def new_key_result(world: World, objective: Objective, title: str, **extra: object) -> KeyResult:
    return okr_services.create_key_result(
        actor=world.admin,
        objective=objective,
        title=title,
        start_value=0,
        target_value=100,
        **extra,  # type: ignore[arg-type]
    )


def team_objective(world: World) -> Objective:
    return okr_services.create_objective(
        actor=world.member,
        period=world.period,
        title="Launch the Acme product successfully",
        owner_teams=[world.team],
    )


def add_lead(world: World) -> Member:
    lead = org_services.add_member(
        organization=world.org,
        email="leo@acme.test",
        role=Role.MEMBER,
        name="Leo Lead",
        password="correct-horse-battery",
        actor=world.admin,
    )
    world.team.lead = lead
    world.team.save(update_fields=["lead"])
    return lead


def private_key_result_of_the_member(world: World) -> KeyResult:
    """A key result the member owns, in a private objective of the Platform team that the
    member (and the Product team's lead) may not see, with check-ins carrying the marker."""
    objective = okr_services.create_objective(
        actor=world.admin,
        period=world.period,
        title=f"{MARKER} secret objective",
        owner_teams=[world.other_team],
        visibility="private",
    )
    key_result = new_key_result(world, objective, f"{MARKER} secret key result", owner=world.member)
    return key_result


def check_in_on_private(world: World, key_result: KeyResult, when: dt.datetime) -> None:
    record_check_in(
        key_result=key_result,
        author=world.admin,
        progress=Progress(value=40, comment=f"{MARKER} progress"),
        confidence=Confidence(level=2, needs=f"{MARKER} needs"),
        insight=True,
        blocker=True,
        at=when,
    )


class TestReminderContent:
    def test_it_lists_exactly_the_key_results_due_and_the_open_blockers_of_the_person(
        self, acme: World, clock: time_machine.Traveller
    ) -> None:
        objective = team_objective(acme)
        owned = {"owner": acme.member}
        done_this_week = new_key_result(acme, objective, "Fresh with a plan", **owned)
        not_checked_in = new_key_result(acme, objective, "Not checked in this week", **owned)
        overdue = new_key_result(acme, objective, "Next Up overdue", **owned)
        no_next_up = new_key_result(acme, objective, "No Next Up", **owned)
        new_key_result(acme, objective, "Somebody else's", owner=acme.admin)

        record_check_in(
            key_result=not_checked_in,
            author=acme.member,
            progress=Progress(value=5),
            next_up=NextUp(plan="Call customers", due=dt.date(2026, 10, 23)),
            at=at("2026-10-08"),
        )
        clock.move_to(at("2026-10-13"))
        record_check_in(
            key_result=done_this_week,
            author=acme.member,
            progress=Progress(value=10),
            next_up=NextUp(plan="Ship it", due=dt.date(2026, 10, 23)),
            blocker=True,
            confidence=Confidence(level=5, needs="Waiting for the legal review"),
            at=at("2026-10-13"),
        )
        resolved = record_check_in(
            key_result=done_this_week,
            author=acme.member,
            confidence=Confidence(level=6, needs="An old worry"),
            blocker=True,
            at=at("2026-10-13", 11),
        )
        resolve_blocker(check_in=resolved, actor=acme.member, how="Sorted")
        record_check_in(
            key_result=overdue,
            author=acme.member,
            next_up=NextUp(plan="Draft the plan", due=dt.date(2026, 10, 14)),
            at=at("2026-10-13"),
        )
        record_check_in(
            key_result=no_next_up,
            author=acme.member,
            progress=Progress(value=1),
            at=at("2026-10-13"),
        )
        clock.move_to(at("2026-10-16"))

        reminder = reminders.reminder_for(acme.member, today=dt.date(2026, 10, 16))

        by_title = {item.key_result.title: item for item in reminder.due}
        assert set(by_title) == {"Not checked in this week", "Next Up overdue", "No Next Up"}
        assert by_title["Not checked in this week"].reasons == (reminders.DueReason.CHECK_IN,)
        assert by_title["Next Up overdue"].reasons == (reminders.DueReason.NEXT_UP_OVERDUE,)
        assert by_title["No Next Up"].reasons == (reminders.DueReason.NO_NEXT_UP,)
        assert [note.text for note in reminder.blockers] == ["Waiting for the legal review"]
        assert (reminder.window_start, reminder.window_end) == (
            dt.date(2026, 10, 12),
            dt.date(2026, 10, 18),
        )
        assert reminder.check_in_day == dt.date(2026, 10, 16)
        assert reminder.inbox_url == "http://127.0.0.1:8000/o/acme/inbox/"
        assert by_title["No Next Up"].key_result.url.startswith(
            "http://127.0.0.1:8000/o/acme/key-results/"
        )

    def test_a_person_with_nothing_due_gets_an_empty_reminder(self, acme: World) -> None:
        reminder = reminders.reminder_for(acme.viewer, today=dt.date(2026, 10, 16))
        assert reminder.is_empty

    def test_people_who_opted_out_get_no_reminder(
        self, acme: World, clock: time_machine.Traveller
    ) -> None:
        objective = team_objective(acme)
        new_key_result(acme, objective, "Due for Mia", owner=acme.member)
        new_key_result(acme, objective, "Due for Ada", owner=acme.admin)
        acme.member.reminder_emails = False
        acme.member.save(update_fields=["reminder_emails"])
        clock.move_to(at("2026-10-16"))

        reminders.queue_due(organization=acme.org)

        assert list(Reminder.objects.values_list("member__user__email", flat=True)) == [
            "ada@acme.test"
        ]

    def test_a_queued_reminder_is_not_sent_once_the_person_opts_out(
        self, acme: World, clock: time_machine.Traveller
    ) -> None:
        new_key_result(acme, team_objective(acme), "Due for Mia", owner=acme.member)
        clock.move_to(at("2026-10-16"))
        reminders.queue_due(organization=acme.org)
        reminder = Reminder.objects.get(member=acme.member)
        acme.member.reminder_emails = False
        acme.member.save(update_fields=["reminder_emails"])

        assert reminders.deliver(reminder_id=reminder.pk) == "recipient opted out or left"
        assert mail.outbox == []


class TestDigest:
    def test_it_lists_moves_confidence_changes_new_blockers_insights_stale_and_dead_results(
        self, acme: World, clock: time_machine.Traveller
    ) -> None:
        lead = add_lead(acme)
        objective = team_objective(acme)
        new_key_result(acme, objective, "Dead one")
        clock.move_to(at("2026-10-01"))
        moved = new_key_result(acme, objective, "Moved one", unit="DAU")
        flagged = new_key_result(acme, objective, "Flagged one")
        stale = new_key_result(acme, objective, "Stale one")
        record_check_in(
            key_result=moved,
            author=acme.member,
            progress=Progress(value=10),
            confidence=Confidence(level=7),
            at=at("2026-10-01"),
        )
        record_check_in(
            key_result=stale,
            author=acme.member,
            progress=Progress(value=3),
            next_up=NextUp(plan="Keep going", due=dt.date(2026, 10, 14)),
            at=at("2026-10-01"),
        )
        clock.move_to(at("2026-10-07"))
        record_check_in(
            key_result=moved,
            author=acme.member,
            progress=Progress(value=25),
            confidence=Confidence(level=4, needs="The vendor is late"),
            blocker=True,
            at=at("2026-10-07"),
        )
        record_check_in(
            key_result=flagged,
            author=acme.member,
            progress=Progress(value=5, comment="Onboarding emails double activation"),
            confidence=Confidence(level=6),
            insight=True,
            at=at("2026-10-08"),
        )
        clock.move_to(at("2026-10-12"))
        # This week's check-ins belong to next week's digest.
        record_check_in(
            key_result=flagged,
            author=acme.member,
            progress=Progress(value=90, comment="Not in this digest"),
            insight=True,
            at=at("2026-10-12", 8),
        )

        digest = reminders.digest_for(lead, today=dt.date(2026, 10, 12))

        assert (digest.since, digest.until) == (dt.date(2026, 10, 5), dt.date(2026, 10, 11))
        [team] = digest.teams
        assert team.team_name == "Product"
        assert [(m.key_result.title, m.before, m.after, m.unit) for m in team.moved] == [
            ("Moved one", Decimal(10), Decimal(25), "DAU"),
            ("Flagged one", Decimal(0), Decimal(5), ""),
        ]
        assert [(c.key_result.title, c.before, c.after) for c in team.confidence] == [
            ("Moved one", 7, 4),
            ("Flagged one", None, 6),
        ]
        assert [(n.key_result.title, n.text, n.is_open) for n in team.blockers] == [
            ("Moved one", "The vendor is late", True)
        ]
        assert [(n.key_result.title, n.text) for n in team.insights] == [
            ("Flagged one", "Onboarding emails double activation")
        ]
        assert [s.key_result.title for s in team.stale] == ["Stale one"]
        assert [s.key_result.title for s in team.dead] == ["Dead one"]
        assert team.dead[0].staleness == Staleness.DEAD

        email = reminders.render_reminder(
            Reminder(
                organization=acme.org,
                member=lead,
                kind=Reminder.Kind.DIGEST,
                window_start=digest.week_start,
            ),
            today=dt.date(2026, 10, 12),
        )
        assert email is not None
        for part in (email.text, email.html):
            for expected in (
                "Moved one",
                "The vendor is late",
                "Onboarding emails double activation",
                "Stale one",
                "Dead one",
            ):
                assert expected in part
            assert "Not in this digest" not in part

    def test_a_lead_of_no_team_gets_no_digest(self, acme: World) -> None:
        digest = reminders.digest_for(acme.member, today=dt.date(2026, 10, 12))
        assert digest.teams == ()
        assert digest.is_empty


class TestPrivacy:
    def test_a_private_key_result_never_appears_in_the_reminder_or_digest_of_who_may_not_see_it(
        self, acme: World, clock: time_machine.Traveller
    ) -> None:
        lead = add_lead(acme)
        # Ada leads Platform, which owns the private objective: she may see it (the control).
        acme.other_team.lead = acme.admin
        acme.other_team.save(update_fields=["lead"])
        new_key_result(acme, team_objective(acme), "A public key result", owner=acme.member)
        private = private_key_result_of_the_member(acme)
        clock.move_to(at("2026-10-07"))
        check_in_on_private(acme, private, at("2026-10-07"))
        clock.move_to(at("2026-10-16"))

        result = reminders.queue_due(organization=acme.org)
        # Reminders: Mia (her public key result), Ada (the blocker she raised); digests: Leo, Ada.
        assert (result.reminders, result.digests) == (2, 2)

        mia = Reminder.objects.get(member=acme.member, kind=Reminder.Kind.REMINDER)
        leo = Reminder.objects.get(member=lead, kind=Reminder.Kind.DIGEST)
        ada = Reminder.objects.get(member=acme.admin, kind=Reminder.Kind.DIGEST)
        today = dt.date(2026, 10, 16)
        for hidden in (mia, leo):
            email = reminders.render_reminder(hidden, today=today)
            assert email is not None
            assert MARKER not in email.subject + email.text + email.html
        assert MARKER not in repr(reminders.reminder_for(acme.member, today=today))
        assert MARKER not in repr(reminders.digest_for(lead, today=today))
        seen = reminders.render_reminder(ada, today=today)
        assert seen is not None
        assert MARKER in seen.text
        assert MARKER in seen.html


class TestEmails:
    def test_a_reminder_email_has_a_text_and_an_html_part_with_links_to_the_inbox(
        self, acme: World, clock: time_machine.Traveller, settings: object
    ) -> None:
        settings.CAIRN_BASE_URL = "https://okr.example.com"  # type: ignore[attr-defined]
        new_key_result(acme, team_objective(acme), "Reach 500 customers", owner=acme.member)
        clock.move_to(at("2026-10-16"))
        reminders.queue_due(organization=acme.org)
        reminder = Reminder.objects.get(member=acme.member)

        assert reminders.deliver(reminder_id=reminder.pk) == "sent"

        [message] = mail.outbox
        assert message.to == ["mia@acme.test"]
        assert message.subject == "Acme: 1 key result to check in on"
        assert "Reach 500 customers" in message.body
        assert "https://okr.example.com/o/acme/inbox/" in message.body
        [(html, mimetype)] = message.alternatives  # type: ignore[attr-defined]
        assert mimetype == "text/html"
        assert 'href="https://okr.example.com/o/acme/inbox/"' in str(html)
        assert "Reach 500 customers" in str(html)
        reminder.refresh_from_db()
        assert reminder.sent_at == at("2026-10-16")

    def test_a_task_for_a_reminder_already_sent_does_nothing(
        self, acme: World, clock: time_machine.Traveller
    ) -> None:
        new_key_result(acme, team_objective(acme), "Reach 500 customers", owner=acme.member)
        clock.move_to(at("2026-10-16"))
        reminders.queue_due(organization=acme.org)
        reminder = Reminder.objects.get(member=acme.member)

        assert reminders.deliver(reminder_id=reminder.pk) == "sent"
        assert reminders.deliver(reminder_id=reminder.pk) == "already sent"
        assert len(mail.outbox) == 1

    def test_emails_are_written_in_the_organization_time_zone(
        self, acme: World, clock: time_machine.Traveller
    ) -> None:
        # 00:30 on Friday, the check-in day, in UTC is 09:30 in Tokyo: reminders go out there
        # (from 09:00 local time) while a UTC organization would still wait.
        acme.org.time_zone = "Asia/Tokyo"
        acme.org.save(update_fields=["time_zone"])
        new_key_result(acme, team_objective(acme), "Reach 500 customers", owner=acme.member)
        clock.move_to(at("2026-10-16", 0) + dt.timedelta(minutes=30))

        result = reminders.queue_due(organization=acme.org)

        assert result.reminders == 1
        reminder = Reminder.objects.get(member=acme.member)
        assert reminder.window_start == dt.date(2026, 10, 12)
        assert reminders.deliver(reminder_id=reminder.pk) == "sent"
        assert "Oct. 16, 2026" in mail.outbox[0].body
