"""`cairn check`: Django's deployment checks plus Cairn's own (cairn/orgs/checks.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections


class Command(BaseCommand):
    help = "Run Django's deployment checks and Cairn's own (data dir, SQLite WAL, key, DEBUG)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fail-level",
            default="ERROR",
            choices=["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"],
            help="message level that makes the check fail (default ERROR)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # `check` raises SystemCheckError (exit 1) when a message reaches the fail level.
        call_command(
            "check",
            deploy=True,
            fail_level=options["fail_level"],
            databases=["default"],
            stdout=self.stdout,
            stderr=self.stderr,
        )
        self.stdout.write(f"Data directory: {settings.DATA_DIR}")
        self.stdout.write(f"Database: {connections['default'].vendor}")
