"""`cairn worker`: the background task worker, and the reminder job on schedule.

It runs django-tasks-db's `db_worker` (which sends the e-mails `cairn remind` queues) and,
unless `--no-schedule`, calls `remind` itself every `--interval` seconds in a thread, so a
Cairn with a running worker needs no cron. `remind` is idempotent, so frequent runs (and a
cron job beside the worker) are harmless.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from cairn.lib.database import refresh_statistics

logger = logging.getLogger("cairn.worker")

DEFAULT_INTERVAL = 900
ANALYZE_EVERY = 24 * 3600  # seconds between two refreshes of the planner's statistics


class Command(BaseCommand):
    help = (
        "Run the background task worker (django-tasks database backend) and, unless "
        "--no-schedule, the reminder job (`remind`) every --interval seconds."
    )
    requires_system_checks: list[str] = []
    _analyzed_at: float | None = None

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-schedule",
            action="store_true",
            help="only run tasks; leave `cairn remind` to cron or a systemd timer",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=DEFAULT_INTERVAL,
            metavar="SECONDS",
            help=f"seconds between runs of the reminder job (default {DEFAULT_INTERVAL})",
        )
        parser.add_argument(
            "--poll",
            type=float,
            default=1.0,
            metavar="SECONDS",
            help="seconds the task worker waits before looking for new tasks (default 1)",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="run the reminder job once (unless --no-schedule), run every queued task, exit",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval, poll = options["interval"], options["poll"]
        if not interval > 0:
            raise CommandError(f"--interval must be more than 0 seconds (got {interval:g}).")
        if not poll >= 0:
            raise CommandError(f"--poll must be 0 seconds or more (got {poll:g}).")
        schedule = not options["no_schedule"]
        if options["batch"]:
            if schedule:
                self._analyze()
                self._remind()
        elif schedule:
            stop = threading.Event()
            thread = threading.Thread(
                target=self._schedule, args=(interval, stop), name="cairn-remind", daemon=True
            )
            thread.start()
            self.stdout.write(f"Running the reminder job every {interval:g} s.")
        call_command(
            "db_worker",
            interval=poll,
            batch=options["batch"],
            reload=False,
            startup_delay=not options["batch"],
            verbosity=options["verbosity"],
            stdout=self.stdout,
            stderr=self.stderr,
        )

    def _remind(self) -> None:
        try:
            call_command("remind", stdout=self.stdout, stderr=self.stderr)
        except Exception:
            # One failed run (a locked database, a bad template) must not stop the worker;
            # the next run catches up, as the job only queues what is not queued yet.
            logger.exception("The reminder job failed; it runs again at the next interval.")
        try:
            call_command("deliver_webhooks", stdout=self.stdout, stderr=self.stderr)
        except Exception:
            logger.exception("The webhook sweep failed; it runs again at the next interval.")

    def _analyze(self) -> None:
        """The planner's statistics (cairn.lib.database): at the first run only when there
        are none (`cairn serve` gathers them at start), then once a day."""
        now = time.monotonic()
        if self._analyzed_at is not None and now - self._analyzed_at < ANALYZE_EVERY:
            return
        try:
            refresh_statistics(only_if_missing=self._analyzed_at is None)
        except Exception:
            logger.exception("ANALYZE failed; it runs again at the next interval.")
            return
        self._analyzed_at = now

    def _schedule(self, interval: float, stop: threading.Event) -> None:
        while not stop.is_set():
            self._analyze()
            self._remind()
            # This thread's own database connection: closed between runs, not held open.
            connections.close_all()
            stop.wait(interval)
