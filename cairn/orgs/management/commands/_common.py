"""Helpers shared by Cairn's management commands (the underscore keeps Django from listing it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, OutputWrapper
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

T = TypeVar("T")


def validation_message(exc: ValidationError) -> str:
    """One line out of a service's ValidationError, however it was built."""
    if hasattr(exc, "error_dict"):
        parts = []
        for field, errors in exc.message_dict.items():
            text = " ".join(errors)
            parts.append(text if field == "__all__" else f"{field}: {text}")
        return "; ".join(parts)
    return " ".join(exc.messages)


def run_service(call: Callable[[], T]) -> T:
    """Run a service call, turning its validation errors into a CommandError (exit 1)."""
    try:
        return call()
    except ValidationError as exc:
        raise CommandError(validation_message(exc)) from exc


def pending_migrations(database: str = DEFAULT_DB_ALIAS) -> int:
    connection = connections[database]
    connection.prepare_database()
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def migrate_if_needed(stdout: OutputWrapper) -> int:
    """Apply pending migrations (a fresh data directory has none applied); how many."""
    from django.core.management import call_command

    count = pending_migrations()
    if count:
        stdout.write(f"Applying {count} pending migration(s)...")
        call_command("migrate", interactive=False, verbosity=0)
    return count
