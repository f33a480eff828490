"""`cairn remind`: queue check-in reminders and team lead digests that are due.

Meant for cron (or `cairn worker`, which runs it on schedule): it is idempotent, so running it
every few minutes queues each reminder once per person per cadence window and each digest
once per lead per week.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cairn.checkins import reminders
from cairn.notifications import emails
from cairn.orgs.models import Organization


def _parse_now(raw: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise CommandError(
            f"--now must be an ISO date-time such as 2026-10-09T09:30 (got {raw!r})."
        ) from exc


class Command(BaseCommand):
    help = (
        "Queue this cadence's check-in reminders and this week's team lead digests "
        "(one e-mail task each; running it again queues nothing twice)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--org", metavar="SLUG", help="only this organization (default: all of them)"
        )
        parser.add_argument(
            "--now",
            metavar="ISO",
            help=(
                "act as if it were this date-time (default: now); without an offset it is "
                "read in each organization's time zone"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = _parse_now(options["now"]) if options["now"] else None
        organizations = Organization.objects.order_by("name", "id")
        if options["org"]:
            organizations = organizations.filter(slug=options["org"])
            if not organizations.exists():
                raise CommandError(f"No organization with the slug {options['org']!r}.")
        for organization in organizations:
            at = now or timezone.now()
            if timezone.is_naive(at):
                at = at.replace(tzinfo=emails.organization_zone(organization))
            result = reminders.queue_due(organization=organization, now=at)
            self.stdout.write(result.summary())
