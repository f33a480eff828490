"""`cairn manage deliver_webhooks`: the periodic job of outbound webhooks.

Queues again due deliveries whose task was lost (retries are normally queued by the failed
attempt itself, to run at their time) and announces key results that became stale since the
last run. Idempotent; `cairn worker` runs it on its schedule, or run it from cron.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cairn.notifications import webhooks


class Command(BaseCommand):
    help = (
        "Queue due webhook deliveries again and announce key results that became stale "
        "(safe to run as often as you like)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now", metavar="ISO", help="act as if it were this date-time (with an offset)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = None
        if options["now"]:
            try:
                now = dt.datetime.fromisoformat(options["now"])
            except ValueError as exc:
                raise CommandError(
                    f"--now must be an ISO date-time such as 2026-10-09T09:30+00:00 "
                    f"(got {options['now']!r})."
                ) from exc
            if now.tzinfo is None:
                raise CommandError("--now needs a UTC offset, e.g. 2026-10-09T09:30+00:00.")
        result = webhooks.sweep(now=now)
        self.stdout.write(result.summary())
