"""Queueing reminders once per window and delivering them once (see the package docstring)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from cairn.checkins.models import Reminder
from cairn.checkins.reminders.content import (
    SEND_HOUR,
    digest_for,
    digest_week,
    reminder_for,
    settings_url,
)
from cairn.lib import rhythm
from cairn.notifications import emails
from cairn.orgs.models import Member, Organization, Team


@dataclass(frozen=True)
class QueueResult:
    organization_name: str
    reminders: int
    digests: int
    # When the current window's reminders start, if that is still ahead.
    reminders_from: dt.datetime | None = None
    digests_from: dt.datetime | None = None

    def summary(self) -> str:
        line = (
            f"queued {self.reminders} reminder{'s' if self.reminders != 1 else ''} and "
            f"{self.digests} digest{'s' if self.digests != 1 else ''} for {self.organization_name}"
        )
        waiting = []
        if self.reminders_from is not None:
            waiting.append(f"reminders from {self.reminders_from:%a %Y-%m-%d %H:%M %Z}")
        if self.digests_from is not None:
            waiting.append(f"digests from {self.digests_from:%a %Y-%m-%d %H:%M %Z}")
        return line + (f" ({'; '.join(waiting)})" if waiting else "")


def _recipients(organization: Organization) -> QuerySet[Member, Member]:
    return (
        Member.objects.in_org(organization)
        .filter(is_active=True, reminder_emails=True, user__is_active=True)
        .select_related("user", "organization")
        .order_by("id")
    )


def _queue_one(*, member: Member, kind: str, window_start: dt.date) -> bool:
    """Create the Reminder row and enqueue its task in one transaction; False when the row
    exists already (queued by an earlier or a concurrent run)."""
    from cairn.checkins import tasks

    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                organization_id=member.organization_id,
                member=member,
                kind=kind,
                window_start=window_start,
            )
            # With the database backend the task row commits or rolls back with the
            # Reminder row: never a reminder without its e-mail, never an e-mail twice.
            tasks.send_reminder.enqueue(reminder.pk)
    except IntegrityError:
        return False
    return True


def queue_due(*, organization: Organization, now: dt.datetime | None = None) -> QueueResult:
    """Queue this window's reminders and this week's digests for `organization` that are due
    and not queued yet. Safe to run as often as you like."""
    now = now or timezone.now()
    zone = emails.organization_zone(organization)
    local_now = now.astimezone(zone)
    today = local_now.date()

    window_start, _end = rhythm.window(
        cadence=organization.checkin_cadence, week_start=organization.week_start, today=today
    )
    day = rhythm.check_in_day(
        cadence=organization.checkin_cadence,
        week_start=organization.week_start,
        weekday=organization.checkin_weekday,
        today=today,
    )
    reminders_from = dt.datetime.combine(day, dt.time(SEND_HOUR), tzinfo=zone)
    week_start = digest_week(organization, today)
    digests_from = dt.datetime.combine(week_start, dt.time(SEND_HOUR), tzinfo=zone)

    recipients = list(_recipients(organization))
    reminders = 0
    if local_now >= reminders_from:
        already = set(
            Reminder.objects.filter(
                organization=organization, kind=Reminder.Kind.REMINDER, window_start=window_start
            ).values_list("member_id", flat=True)
        )
        for member in recipients:
            if member.pk in already or reminder_for(member, today=today).is_empty:
                continue
            if _queue_one(member=member, kind=Reminder.Kind.REMINDER, window_start=window_start):
                reminders += 1

    digests = 0
    if local_now >= digests_from:
        already = set(
            Reminder.objects.filter(
                organization=organization, kind=Reminder.Kind.DIGEST, window_start=week_start
            ).values_list("member_id", flat=True)
        )
        leads = set(
            Team.objects.in_org(organization)
            .filter(lead__isnull=False)
            .values_list("lead_id", flat=True)
        )
        for member in recipients:
            if member.pk not in leads or member.pk in already:
                continue
            if digest_for(member, today=today).is_empty:
                continue
            if _queue_one(member=member, kind=Reminder.Kind.DIGEST, window_start=week_start):
                digests += 1

    return QueueResult(
        organization_name=organization.name,
        reminders=reminders,
        digests=digests,
        reminders_from=reminders_from if local_now < reminders_from else None,
        digests_from=digests_from if local_now < digests_from else None,
    )


def _clamp(day: dt.date, start: dt.date, end: dt.date) -> dt.date:
    return min(max(day, start), end)


def render_reminder(
    reminder: Reminder, *, today: dt.date | None = None
) -> emails.RenderedEmail | None:
    """The e-mail for a queued Reminder row, as of `today` clamped into its window (a task
    that runs late still describes the window it was queued for); None if nothing is left."""
    member = reminder.member
    organization = reminder.organization
    local_today = today or timezone.localdate(timezone=emails.organization_zone(organization))
    if reminder.kind == Reminder.Kind.DIGEST:
        day = _clamp(
            local_today, reminder.window_start, reminder.window_start + dt.timedelta(days=6)
        )
        digest = digest_for(member, today=day)
        if digest.is_empty:
            return None
        return emails.render(
            template="checkins/email/digest",
            organization=organization,
            context={
                "member": member,
                "digest": digest,
                "settings_url": settings_url(organization),
            },
        )
    start, end = rhythm.window(
        cadence=organization.checkin_cadence,
        week_start=organization.week_start,
        today=reminder.window_start,
    )
    content = reminder_for(member, today=_clamp(local_today, start, end))
    if content.is_empty:
        return None
    return emails.render(
        template="checkins/email/reminder",
        organization=organization,
        context={
            "member": member,
            "reminder": content,
            "settings_url": settings_url(organization),
        },
    )


def deliver(*, reminder_id: int) -> str:
    """Send the e-mail of one queued Reminder and mark it sent. Does nothing for a reminder
    that is sent already (or being sent by another worker), whose recipient has left or
    opted out, or for whom nothing is due any more. Returns what it did, for the task log."""
    reminder = (
        Reminder.objects.select_related("member__user", "member__organization", "organization")
        .filter(pk=reminder_id)
        .first()
    )
    if reminder is None:
        return "missing"
    if reminder.sent_at is not None:
        return "already sent"
    member = reminder.member
    if not (member.is_active and member.user.is_active and member.reminder_emails):
        return "recipient opted out or left"
    email = render_reminder(reminder)
    if email is None:
        return "nothing due"
    # Claim the row before sending: of two runs of this task, only one sends.
    claimed = Reminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    if not claimed:
        return "already sent"
    try:
        emails.send(to=member.user.email, email=email)
    except BaseException:
        # Unclaim, so that running the task again (after fixing the mail server) sends it.
        Reminder.objects.filter(pk=reminder.pk).update(sent_at=None)
        raise
    return "sent"
