"""Bulk inserts for the generator: rows as tuples in a model's column order, written with
`executemany` on SQLite and `COPY` on PostgreSQL, with ids assigned by the generator so that
rows can point at each other before they are written."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models

Converter = Callable[[Any], Any]


def _sqlite_converter(field: models.Field[Any, Any]) -> Converter | None:
    kind = field.get_internal_type()
    if kind == "UUIDField":
        return lambda v: None if v is None else v.hex
    if kind == "DateTimeField":
        # Django keeps naive UTC text in SQLite when USE_TZ is on.
        return lambda v: None if v is None else str(v.astimezone(dt.UTC).replace(tzinfo=None))
    if kind == "DateField":
        return lambda v: None if v is None else v.isoformat()
    if kind == "JSONField":
        return lambda v: json.dumps(v)
    if kind == "DecimalField":
        return lambda v: None if v is None else str(v)
    return None


def _postgres_converter(field: models.Field[Any, Any]) -> Converter | None:
    if field.get_internal_type() == "JSONField":
        return lambda v: json.dumps(v)
    return None


class Table:
    """One model's insert: `row(**values)` fills every concrete column (defaults for the rest)
    in the order of `columns`; `id` is included unless `with_id` is False."""

    def __init__(self, model: type[models.Model], *, with_id: bool = True) -> None:
        self.model = model
        self.name = model._meta.db_table
        fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
        self.columns = [f.column for f in fields]
        self.index = {f.attname: i for i, f in enumerate(fields)}
        defaults: list[Any] = []
        for f in fields:
            default = f.get_default()
            if isinstance(default, uuid.UUID | dt.datetime):
                default = None  # per row: never one random uid or one clock for all
            defaults.append(default)
        self.defaults = defaults
        pick = _sqlite_converter if connection.vendor == "sqlite" else _postgres_converter
        self.converters = [(i, c) for i, f in enumerate(fields) if (c := pick(f)) is not None]
        self.count = 0

    def row(self, **values: Any) -> list[Any]:
        r = list(self.defaults)
        index = self.index
        for name, value in values.items():
            r[index[name]] = value
        return r

    def next_id(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.name}")
            return int(cursor.fetchone()[0]) + 1

    def write(self, rows: Sequence[list[Any]]) -> None:
        if not rows:
            return
        for i, convert in self.converters:
            for r in rows:
                r[i] = convert(r[i])
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                raw = cursor.cursor  # psycopg's own cursor: COPY streams the rows
                with raw.copy(f"COPY {self.name} ({cols}) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                sql = f"INSERT INTO {self.name} ({cols}) VALUES ({marks})"
                cursor.executemany(sql, rows)
        self.count += len(rows)


class Buffer:
    """Rows waiting for their table, written every `size` rows (and at `flush`)."""

    def __init__(self, table: Table, size: int = 20_000) -> None:
        self.table = table
        self.size = size
        self.rows: list[list[Any]] = []

    def add(self, row: list[Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.size:
            self.flush()

    def extend(self, rows: Iterable[list[Any]]) -> None:
        for row in rows:
            self.add(row)

    def flush(self) -> None:
        self.table.write(self.rows)
        self.rows = []


def reset_sequences(tables: Iterable[Table]) -> None:
    """PostgreSQL's identity sequences after rows with explicit ids (SQLite keeps up itself)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            if "id" not in table.columns:
                continue
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                f"GREATEST((SELECT MAX(id) FROM {table.name}), 1))",
                [table.name],
            )
