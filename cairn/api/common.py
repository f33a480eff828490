"""What every router shares: list pages, the optimistic-concurrency check, small refs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Field, Schema

from cairn.api.errors import Conflict

T = TypeVar("T")

MAX_LIMIT = 200


class Page(Schema, Generic[T]):
    """One page of a list in a stable order. `next_offset` is null on the last page; a total
    is given only where it is cheap."""

    items: list[T]
    limit: int
    offset: int
    next_offset: int | None = None


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="Items per page (1 to 200).")
    offset: int = Field(0, ge=0, le=10_000_000, description="Items to skip.")


def paginate(items: QuerySet[Any] | list[Any], params: PageParams) -> dict[str, Any]:
    """One query for the page plus one row to know whether there is a next one."""
    window = list(items[params.offset : params.offset + params.limit + 1])
    more = len(window) > params.limit
    return {
        "items": window[: params.limit],
        "limit": params.limit,
        "offset": params.offset,
        "next_offset": params.offset + params.limit if more else None,
    }


def paginate_keys(
    items: QuerySet[Any], params: PageParams, rows: Callable[[list[Any]], QuerySet[Any]]
) -> dict[str, Any]:
    """As `paginate`, in two steps: the page's primary keys first (the sort carries only the
    columns it orders by, and no join or annotation is computed for the rows it skips), then
    `rows(keys)`, their rows with everything the representation reads. `items` is the gated
    queryset, so `rows` may read the keys without asking the gate again."""
    window = list(
        items.values_list("pk", flat=True)[params.offset : params.offset + params.limit + 1]
    )
    more = len(window) > params.limit
    keys = window[: params.limit]
    found = {row.pk: row for row in rows(keys)} if keys else {}
    return {
        "items": [found[key] for key in keys if key in found],
        "limit": params.limit,
        "offset": params.offset,
        "next_offset": params.offset + params.limit if more else None,
    }


def check_fresh(current: dt.datetime, sent: dt.datetime | None) -> None:
    """PATCH may send back the `updated_at` it read; if the object changed since, 409.

    JSON carries milliseconds (Django's encoder drops the rest), so both sides are cut to the
    millisecond before they are compared; a time without a zone is read as UTC."""
    if sent is None:
        return
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=dt.UTC)
    if _to_millisecond(current) != _to_millisecond(sent):
        raise Conflict(_("It changed since you read it: fetch it again and retry."))


def _to_millisecond(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class Ref(Schema):
    """Another object, by its opaque id and its name."""

    id: str
    name: str


class PersonRef(Schema):
    id: str
    name: str
    email: str | None = None
