"""Cairn's own system checks (tag `cairn`), registered by OrgsConfig.ready().

They are deploy-only, so they run with `cairn check` (and `check --deploy`) and never slow
down tests or migrations.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.db import connections

TAG = "cairn"
# Values people paste from examples; a key anyone can read signs anyone's session.
PLACEHOLDER_KEYS = {"", "change-me", "changeme", "secret", "dev", "insecure", "cairn"}


@checks.register(TAG, deploy=True)
def check_data_dir(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    path = Path(settings.DATA_DIR)
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        return [
            checks.Error(
                f"The data directory {path} is not writable: {exc.strerror}.",
                hint="Set CAIRN_DATA_DIR to a directory the Cairn process can write to.",
                id="cairn.E001",
            )
        ]
    return []


@checks.register(TAG, deploy=True)
def check_secret_key(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    key = str(settings.SECRET_KEY)
    if key.lower() in PLACEHOLDER_KEYS or key.startswith("django-insecure") or len(key) < 32:
        return [
            checks.Error(
                "CAIRN_SECRET_KEY is a placeholder or shorter than 32 characters.",
                hint="Unset CAIRN_SECRET_KEY to have one generated in the data directory, "
                "or set it to a long random value.",
                id="cairn.E002",
            )
        ]
    return []


@checks.register(TAG, deploy=True)
def check_debug(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.DEBUG:
        return [
            checks.Error(
                "CAIRN_DEBUG is on: error pages would show settings and code to anyone.",
                hint="Unset CAIRN_DEBUG (or set it to 0) on a server people use.",
                id="cairn.E003",
            )
        ]
    return []


@checks.register(TAG, checks.Tags.database, deploy=True)
def check_sqlite_wal(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    connection = connections["default"]
    if connection.vendor != "sqlite" or not databases or "default" not in databases:
        return []
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = str(cursor.fetchone()[0]).lower()
    if mode != "wal":
        return [
            checks.Warning(
                f"SQLite runs in {mode!r} journal mode, not WAL: readers will block the writer.",
                hint="Check that the data directory's file system supports WAL (not NFS).",
                id="cairn.W001",
            )
        ]
    return []
