"""The planner's statistics: gathered once when missing, then on demand."""

from __future__ import annotations

import pytest
from django.db import connection

from cairn.lib.database import has_statistics, refresh_statistics

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps no statistics itself")
def test_sqlite_statistics_are_gathered_once_when_missing() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # creates sqlite_stat1 ...
        cursor.execute("DELETE FROM sqlite_stat1")  # ... and now it is empty again
    assert not has_statistics()
    assert refresh_statistics(only_if_missing=True) is True
    assert has_statistics()
    assert refresh_statistics(only_if_missing=True) is False
    assert refresh_statistics() is True


@pytest.mark.skipif(connection.vendor == "sqlite", reason="PostgreSQL keeps its own")
def test_postgres_analyzes_only_when_asked() -> None:
    assert has_statistics()
    assert refresh_statistics(only_if_missing=True) is False
    assert refresh_statistics() is True


def test_the_worker_refreshes_statistics_at_start_when_missing_then_daily(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cairn.orgs.management.commands import worker

    calls: list[bool] = []
    clock = [1000.0]
    monkeypatch.setattr(
        worker, "refresh_statistics", lambda *, only_if_missing: calls.append(only_if_missing)
    )
    monkeypatch.setattr(worker.time, "monotonic", lambda: clock[0])
    command = worker.Command()
    command._analyze()
    assert calls == [True]  # at start: only when there are none
    clock[0] += 3600
    command._analyze()
    assert calls == [True]  # not due within the day
    clock[0] += worker.ANALYZE_EVERY
    command._analyze()
    assert calls == [True, False]  # daily: always
