"""`cairn demo`: load the demo organization Acme (PRODUCT.md, "Example organization")."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cairn.demo import loader as demo
from cairn.orgs.management.commands._common import migrate_if_needed, run_service


class Command(BaseCommand):
    help = "Load the demo organization Acme (refuses a non-empty database without --reset)."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--reset",
            action="store_true",
            help="delete ALL data in the database (flush), then load the demo",
        )
        group.add_argument(
            "--if-empty",
            action="store_true",
            help="load only into an empty database; otherwise just print the demo logins",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        migrate_if_needed(stdout=self.stdout)
        if options["reset"]:
            call_command("flush", interactive=False, verbosity=0)
        elif not demo.database_is_empty():
            if options["if_empty"]:
                if demo.demo_exists():
                    self.stdout.write(demo.format_logins())
                else:
                    self.stdout.write("The database already holds data; the demo was not loaded.")
                return
            raise CommandError(
                "The database is not empty; the demo is only loaded into an empty database. "
                "Use `cairn demo --reset` to delete ALL data and load the demo."
            )
        run_service(demo.load_demo)
        self.stdout.write(self.style.SUCCESS(f"Loaded the demo organization {demo.ORG_NAME!r}."))
        self.stdout.write(demo.format_logins())
