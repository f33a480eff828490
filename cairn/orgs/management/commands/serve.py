"""`cairn serve`: apply pending migrations, then hand the process over to gunicorn."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from cairn.lib.database import refresh_statistics
from cairn.orgs.management.commands._common import migrate_if_needed


def static_files_current() -> bool:
    """Collected static files are current when the manifest is newer than every source file
    (compressing every file again, brotli included, takes half a minute of CPU)."""
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return False
    collected_at = manifest.stat().st_mtime
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            if Path(storage.path(path)).stat().st_mtime > collected_at:
                return False
    return True


class Command(BaseCommand):
    help = "Apply pending migrations and serve Cairn with gunicorn."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["port"] < 65536:
            raise CommandError(f"--port must be between 1 and 65535 (got {options['port']}).")
        if options["workers"] < 1:
            raise CommandError(f"--workers must be at least 1 (got {options['workers']}).")
        self.check(display_num_errors=False)
        migrated = migrate_if_needed(stdout=self.stdout)
        # The planner's statistics: when there are none, or after migrations (a new index has
        # none); later the worker refreshes them daily.
        if refresh_statistics(only_if_missing=not migrated):
            self.stdout.write("Gathered the database's query planner statistics (ANALYZE).")
        if not settings.DEBUG and not static_files_current():
            # The hashed-name manifest that the static storage needs to render any page.
            call_command("collectstatic", interactive=False, verbosity=0)
        host = options["host"]
        bind = f"[{host}]:{options['port']}" if ":" in host else f"{host}:{options['port']}"
        # The workers open their own connections; none may be inherited over exec.
        connections.close_all()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "cairn.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(options["workers"]),
            "--access-logfile",
            "-",
            "--forwarded-allow-ips",
            "127.0.0.1,::1",
        ]
        self.stdout.write(f"Serving Cairn at http://{bind}/ (Ctrl+C to stop)")
        self.stdout.flush()
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cairn.settings")
        os.execv(sys.executable, argv)
