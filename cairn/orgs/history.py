"""The one history mechanism: services call `record` in the transaction of the change, and
pages show it through `describe`, which writes each change as a sentence.

`orgs` knows only its own fields; an app above it (`okrs`) passes its extra labels and choice
labels to `describe` rather than being imported here (`lib` <- `orgs` <- `okrs`)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cairn.lib.numbers import tidy
from cairn.orgs.models import (
    Cadence,
    HistoryEvent,
    Member,
    Organization,
    PeriodKind,
    PeriodState,
    Role,
    Weekday,
)

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


def snapshot_value(value: Any) -> Any:
    """One value as `snapshot` records it, to compare a proposed change with a snapshot."""
    return _plain(value)


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


# Presentation -------------------------------------------------------------------------------

# Labels and choice labels are looked up as "<target_kind>.<field>" first, then "<field>", so
# that a period's `kind` and a key result's `kind` (or a member's `title` and an objective's)
# each read as what they are.
FIELD_LABELS: Mapping[str, Any] = {
    "name": gettext_lazy("name"),
    "description": gettext_lazy("description"),
    "parent": gettext_lazy("parent team"),
    "lead": gettext_lazy("lead"),
    "role": gettext_lazy("role"),
    "member.title": gettext_lazy("job title"),
    "title": gettext_lazy("title"),
    "is_active": gettext_lazy("active"),
    "kind": gettext_lazy("kind"),
    "start": gettext_lazy("start"),
    "end": gettext_lazy("end"),
    "state": gettext_lazy("state"),
    "time_zone": gettext_lazy("time zone"),
    "week_start": gettext_lazy("week start"),
    "checkin_cadence": gettext_lazy("check-in cadence"),
    "checkin_weekday": gettext_lazy("check-in day"),
    "default_language": gettext_lazy("default language"),
    "achieved_threshold": gettext_lazy("achieved-at score"),
}

# Stored values of choice fields, shown by their (translated) labels.
CHOICE_LABELS: Mapping[str, Mapping[Any, Any]] = {
    "role": dict(Role.choices),
    "period.kind": dict(PeriodKind.choices),
    "period.state": dict(PeriodState.choices),
    "week_start": dict(Weekday.choices),
    "checkin_cadence": dict(Cadence.choices),
    "checkin_weekday": dict(Weekday.choices),
}

Hide = Callable[[str, Any], Any]


@dataclass(frozen=True)
class HistoryLine:
    """One readable line: "<actor> <text>", when, and the note recorded with it."""

    actor: str
    text: str
    at: dt.datetime
    note: str = ""


def _lookup(table: Mapping[str, Any], kind: str, name: str) -> Any:
    return table.get(f"{kind}.{name}", table.get(name))


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _number(value: Any) -> str | None:
    try:
        return number_format(tidy(Decimal(str(value))), force_grouping=True)
    except (InvalidOperation, ValueError):
        return None


def _shown(value: Any, choices: Mapping[Any, Any] | None, is_number: bool) -> str:
    if isinstance(value, list):
        return ", ".join(_shown(item, choices, is_number) for item in value) or _("nothing")
    if choices is not None:
        value = choices.get(value, value)
    if _is_empty(value):
        return _("nothing")
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if is_number:
        return _number(value) or str(value)
    return str(value)


def _sentence(
    event: HistoryEvent,
    name: str,
    old: Any,
    new: Any,
    *,
    labels: Mapping[str, Any],
    choices: Mapping[str, Mapping[Any, Any]],
    numbers: Collection[str],
) -> str:
    kind = event.target_kind
    label = _lookup(labels, kind, name) or name.replace("_", " ")
    options = _lookup(choices, kind, name)
    is_number = name in numbers

    def shown(value: Any) -> str:
        return _shown(value, options, is_number)

    if name == "members":
        if event.action == Action.REMOVED:
            return _("removed %(person)s") % {"person": shown(old)}
        return _("added %(person)s") % {"person": shown(new)}
    if name in ("continued_into", "continued_from") and not _is_empty(new):
        # Carry-over between periods: the other side, named with its period.
        if name == "continued_into":
            return _("continued it in %(item)s") % {"item": shown(new)}
        return _("continued it from %(item)s") % {"item": shown(new)}
    if name == "closed_for":
        # A team closing the period for its own OKRs, or an admin reopening that.
        if _is_empty(new):
            return _("reopened it for %(team)s") % {"team": shown(old)}
        return _("closed it for %(team)s") % {"team": shown(new)}
    if name == "aligned_to":
        if event.action == Action.REMOVED or _is_empty(new):
            return _("removed alignment to %(parent)s") % {"parent": shown(old)}
        return _("aligned to %(parent)s") % {"parent": shown(new)}
    if _is_empty(old):
        return _("set %(field)s to %(new)s") % {"field": label, "new": shown(new)}
    if _is_empty(new):
        return _("cleared %(field)s (was %(old)s)") % {"field": label, "old": shown(old)}
    return _("changed %(field)s from %(old)s to %(new)s") % {
        "field": label,
        "old": shown(old),
        "new": shown(new),
    }


def describe(
    events: Iterable[HistoryEvent],
    *,
    labels: Mapping[str, Any] | None = None,
    choices: Mapping[str, Mapping[Any, Any]] | None = None,
    numbers: Collection[str] = (),
    hide: Hide | None = None,
) -> list[HistoryLine]:
    """History events as readable sentences: "changed lead from X to Y".

    `labels` and `choices` are added to (and override) the base ones for orgs' fields;
    `numbers` names fields shown as localized numbers; `hide(field, value)` returns the value
    to show in place of one the reader must not see.
    """
    all_labels = {**FIELD_LABELS, **(labels or {})}
    all_choices = {**CHOICE_LABELS, **(choices or {})}
    lines: list[HistoryLine] = []
    for event in events:
        actor = event.actor.name if event.actor else _("Someone")

        def line(text: str, event: HistoryEvent = event, actor: str = actor) -> HistoryLine:
            return HistoryLine(actor=actor, text=text, at=event.at, note=event.note)

        if event.action == Action.CREATED:
            lines.append(line(_("created %(label)s") % {"label": event.target_label}))
            continue
        if event.action == Action.DELETED:
            lines.append(line(_("deleted %(label)s") % {"label": event.target_label}))
            continue
        changes = event.changes or {}
        if not changes:
            lines.append(line(event.get_action_display()))
        for name, pair in changes.items():
            old, new = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
            if hide is not None:
                old, new = hide(name, old), hide(name, new)
            text = _sentence(
                event, name, old, new, labels=all_labels, choices=all_choices, numbers=numbers
            )
            lines.append(line(text))
    return lines


def readable_history(
    organization: Organization, target_kind: str, target_uid: uuid.UUID, limit: int = 50
) -> list[HistoryLine]:
    return describe(history_of(organization, target_kind, target_uid)[:limit])
