"""The one history mechanism: services call `record` in the transaction of the change."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import models

from cairn.orgs.models import HistoryEvent, Member, Organization

Action = HistoryEvent.Action


def _plain(value: Any) -> Any:
    """A JSON-safe, human-readable form of a field value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        normal = value.normalize()
        return format(normal, "f")
    if isinstance(value, float):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, Iterable):
        return sorted(str(item) for item in value)
    return str(value)


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: _plain(getattr(instance, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as {field: [old, new]}."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }


def record(
    *,
    organization: Organization,
    actor: Member | None,
    action: str,
    target_kind: str,
    target_uid: uuid.UUID,
    target_label: str,
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> HistoryEvent:
    return HistoryEvent.objects.create(
        organization=organization,
        actor=actor,
        action=action,
        target_kind=target_kind,
        target_uid=target_uid,
        target_label=target_label[:300],
        changes=changes or {},
        note=note,
    )


def history_of(organization: Organization, target_kind: str, target_uid: uuid.UUID) -> Any:
    return (
        HistoryEvent.objects.in_org(organization)
        .filter(target_kind=target_kind, target_uid=target_uid)
        .select_related("actor__user")
    )
