"""Database upkeep that Django leaves to the operator: the query planner's statistics.

SQLite keeps no statistics until ANALYZE runs, and without them it can pick an index that
matches a query's ORDER BY over one that matches its WHERE: on a two-million check-in
organization a key result's history read the whole organization's check-ins (6 s instead of
a few ms). PostgreSQL's autovacuum analyses by itself, but only after enough rows changed,
so a bulk load (a restore, `cairn bench generate`) analyses at once too.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections


def has_statistics(database: str = DEFAULT_DB_ALIAS) -> bool:
    connection = connections[database]
    if connection.vendor != "sqlite":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return False
        cursor.execute("SELECT 1 FROM sqlite_stat1 LIMIT 1")
        return cursor.fetchone() is not None


def refresh_statistics(*, database: str = DEFAULT_DB_ALIAS, only_if_missing: bool = False) -> bool:
    """ANALYZE the database (about a second for two million check-ins on SQLite); with
    `only_if_missing`, only when SQLite has no statistics yet. True when it ran."""
    if only_if_missing and has_statistics(database):
        return False
    with connections[database].cursor() as cursor:
        cursor.execute("ANALYZE")
    return True
