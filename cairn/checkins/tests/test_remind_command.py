"""`cairn remind` and `cairn worker`: idempotent queueing, and e-mails that really leave.

Queued tasks are run the way production runs them: django-tasks-db's `db_worker` in batch
mode (`run_worker_once`), on the test database, so that what is tested is the database
backend's queue and not a stand-in (those tests commit: `runs_the_worker`). E-mails go to
Django's locmem outbox, and in one test to a real SMTP server on loopback (aiosmtpd).

Acme's rhythm is weekly (Monday to Sunday), check-ins due on Friday, time zone UTC; Friday
2026-10-16 10:00 is after that week's reminders open (09:00 on the check-in day).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from io import StringIO
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from cairn import cli
from cairn.checkins import tasks
from cairn.checkins.models import Reminder
from cairn.checkins.reminders import sending
from cairn.conftest import World
from cairn.okrs import services as okr_services

UTC = dt.UTC
# The worker closes the database connection between tasks, as it should in production; in a
# test wrapped in a transaction (PostgreSQL) that would close the test's own connection, so
# tests that run the worker commit for real and are flushed afterwards.
runs_the_worker = pytest.mark.django_db(transaction=True)
FRIDAY = dt.datetime(2026, 10, 16, 10, tzinfo=UTC)


@pytest.fixture
def clock(db: None) -> Iterator[time_machine.Traveller]:
    with time_machine.travel(dt.datetime(2026, 10, 1, 9, tzinfo=UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def acme(clock: time_machine.Traveller, world: World) -> World:
    """Two people with a key result each, and a lead of Product (Ada) for the digest."""
    objective = okr_services.create_objective(
        actor=world.member,
        period=world.period,
        title="Launch the Acme product successfully",
        owner_teams=[world.team],
    )
    for owner, title in ((world.member, "Reach 500 customers"), (world.admin, "Raise prices")):
        okr_services.create_key_result(
            actor=world.admin,
            objective=objective,
            title=title,
            start_value=0,
            target_value=100,
            owner=owner,
        )
    world.team.lead = world.admin
    world.team.save(update_fields=["lead"])
    return world


def remind(*args: str) -> str:
    out = StringIO()
    call_command("remind", *args, stdout=out)
    return out.getvalue()


def run_worker_once() -> None:
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0
    )


@runs_the_worker
def test_remind_twice_queues_each_reminder_once_and_sends_one_email_each(
    acme: World, clock: time_machine.Traveller
) -> None:
    clock.move_to(FRIDAY)

    first = remind("--org", "acme")
    second = remind("--org", "acme")

    assert first == "queued 2 reminders and 1 digest for Acme\n"
    assert second == "queued 0 reminders and 0 digests for Acme\n"
    assert Reminder.objects.count() == 3
    assert DBTaskResult.objects.count() == 3

    run_worker_once()
    remind()
    run_worker_once()

    recipients = sorted((m.to[0], m.subject) for m in mail.outbox)
    assert recipients == [
        ("ada@acme.test", "Acme: 1 key result to check in on"),
        ("ada@acme.test", "Acme: your teams' week from Oct. 5, 2026"),
        ("mia@acme.test", "Acme: 1 key result to check in on"),
    ]
    assert not Reminder.objects.filter(sent_at__isnull=True).exists()
    assert DBTaskResult.objects.successful().count() == 3


@runs_the_worker
def test_running_a_reminder_task_again_sends_nothing(
    acme: World, clock: time_machine.Traveller
) -> None:
    clock.move_to(FRIDAY)
    remind("--org", "acme")
    run_worker_once()
    sent = len(mail.outbox)

    for reminder in Reminder.objects.all():
        assert tasks.send_reminder.call(reminder.pk) == "already sent"

    assert len(mail.outbox) == sent == 3


def test_a_concurrent_second_run_hits_the_unique_reminder_and_queues_nothing(
    acme: World, clock: time_machine.Traveller
) -> None:
    # Two runs that both read "not queued yet" before either writes: the constraint decides.
    clock.move_to(FRIDAY)
    window = dt.date(2026, 10, 12)

    queued = [
        sending._queue_one(member=acme.member, kind=Reminder.Kind.REMINDER, window_start=window)
        for _run in range(2)
    ]

    assert queued == [True, False]
    assert Reminder.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


def test_reminders_wait_for_the_check_in_day_and_the_digest_for_the_new_week(
    acme: World, clock: time_machine.Traveller
) -> None:
    output = remind("--org", "acme", "--now", "2026-10-12T10:00")

    assert output == (
        "queued 0 reminders and 1 digest for Acme (reminders from Fri 2026-10-16 09:00 UTC)\n"
    )
    assert list(Reminder.objects.values_list("kind", "window_start")) == [
        ("digest", dt.date(2026, 10, 12))
    ]


def test_remind_runs_every_organization_by_default(
    acme: World, clock: time_machine.Traveller
) -> None:
    clock.move_to(FRIDAY)
    assert remind().splitlines() == [
        "queued 2 reminders and 1 digest for Acme",
        "queued 0 reminders and 0 digests for Globex",
    ]


def test_remind_refuses_an_unknown_organization(acme: World) -> None:
    with pytest.raises(CommandError, match="No organization with the slug 'nope'"):
        remind("--org", "nope")


def test_remind_refuses_a_bad_now(acme: World) -> None:
    with pytest.raises(CommandError, match="--now must be an ISO date-time"):
        remind("--now", "next friday")


def test_the_cairn_command_lists_remind_and_worker_and_exits_non_zero_on_a_bad_org(
    acme: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--help"]) == 0
    listing = capsys.readouterr().out
    assert "cairn remind [--org SLUG] [--now ISO]" in listing
    assert "cairn worker [--no-schedule]" in listing

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["remind", "--org", "nope"])
    assert exit_info.value.code == 1
    assert "No organization with the slug 'nope'" in capsys.readouterr().err


@runs_the_worker
def test_the_worker_in_batch_mode_runs_the_reminder_job_and_sends_the_emails(
    acme: World, clock: time_machine.Traveller
) -> None:
    clock.move_to(FRIDAY)
    out = StringIO()

    call_command("worker", batch=True, verbosity=0, stdout=out)

    assert "queued 2 reminders and 1 digest for Acme" in out.getvalue()
    assert len(mail.outbox) == 3


@runs_the_worker
def test_the_worker_without_schedule_only_runs_tasks(
    acme: World, clock: time_machine.Traveller
) -> None:
    clock.move_to(FRIDAY)

    call_command("worker", batch=True, no_schedule=True, verbosity=0, stdout=StringIO())

    assert Reminder.objects.count() == 0
    assert mail.outbox == []


def test_the_worker_refuses_a_zero_interval(acme: World) -> None:
    with pytest.raises(CommandError, match="--interval must be more than 0"):
        call_command("worker", interval=0)


class SMTPInbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[SMTPInbox, int]]:
    inbox = SMTPInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    # aiosmtpd logs each connection from its own thread, which can outlive pytest's capture
    # of the console; its log says nothing these tests need.
    server_log = logging.getLogger("mail.log")
    was_disabled, server_log.disabled = server_log.disabled, True
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
        server_log.disabled = was_disabled


@runs_the_worker
def test_reminders_and_digests_reach_a_real_smtp_server_as_text_and_html(
    smtp_server: tuple[SMTPInbox, int], acme: World, clock: time_machine.Traveller
) -> None:
    inbox, port = smtp_server
    clock.move_to(FRIDAY)
    remind("--org", "acme")

    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_USE_TLS=False,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
    ):
        run_worker_once()

    assert mail.outbox == []
    assert sorted(rcpt for rcpts, _message in inbox.messages for rcpt in rcpts) == [
        "ada@acme.test",
        "ada@acme.test",
        "mia@acme.test",
    ]
    [(_rcpts, mia)] = [(r, m) for r, m in inbox.messages if r == ["mia@acme.test"]]
    assert mia["Subject"] == "Acme: 1 key result to check in on"
    assert mia.get_content_type() == "multipart/alternative"
    text = mia.get_body(preferencelist=("plain",))
    html = mia.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "Reach 500 customers" in text.get_content()
    assert "http://127.0.0.1:8000/o/acme/inbox/" in text.get_content()
    assert '<a href="http://127.0.0.1:8000/o/acme/inbox/"' in html.get_content()
    assert not Reminder.objects.filter(sent_at__isnull=True).exists()


@runs_the_worker
def test_a_failed_send_leaves_the_reminder_unsent_so_the_task_can_run_again(
    acme: World, clock: time_machine.Traveller
) -> None:
    clock.move_to(FRIDAY)
    remind("--org", "acme")
    reminder = Reminder.objects.get(member=acme.member)

    # Nothing listens on this port: the send fails and the task is recorded as failed.
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=free_port(),
        EMAIL_USE_TLS=False,
        EMAIL_TIMEOUT=2,
    ):
        run_worker_once()

    reminder.refresh_from_db()
    assert reminder.sent_at is None
    assert DBTaskResult.objects.failed().count() == 3
    assert tasks.send_reminder.call(reminder.pk) == "sent"
    assert [m.to for m in mail.outbox] == [["mia@acme.test"]]
