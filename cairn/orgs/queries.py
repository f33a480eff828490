"""Reads for the organization pages: the team tree, the people list, readable history.

Each list is built from a fixed number of queries, whatever the size of the organization.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cairn.orgs.history import history_of
from cairn.orgs.models import (
    Cadence,
    HistoryEvent,
    Member,
    Organization,
    Period,
    PeriodKind,
    PeriodState,
    Role,
    Team,
    User,
    Weekday,
)


@dataclass
class TeamNode:
    team: Team
    depth: int = 0
    children: list[TeamNode] = field(default_factory=list)


def team_tree(organization: Organization) -> list[TeamNode]:
    """The org chart as a forest of TeamNode, built in Python from one query."""
    teams = list(
        Team.objects.in_org(organization)
        .select_related("lead__user")
        .annotate(member_count=Count("memberships", distinct=True))
        .order_by("name")
    )
    nodes = {team.pk: TeamNode(team) for team in teams}
    roots: list[TeamNode] = []
    for team in teams:
        parent = nodes.get(team.parent_id) if team.parent_id else None
        (parent.children if parent else roots).append(nodes[team.pk])

    def set_depth(items: list[TeamNode], depth: int) -> None:
        for node in items:
            node.depth = depth
            set_depth(node.children, depth + 1)

    set_depth(roots, 0)
    return roots


def flatten(nodes: Iterable[TeamNode]) -> list[TeamNode]:
    out: list[TeamNode] = []
    for node in nodes:
        out.append(node)
        out.extend(flatten(node.children))
    return out


def people(organization: Organization) -> QuerySet[Member]:
    """Every member of the organization with user and teams, in three queries."""
    return (
        Member.objects.in_org(organization)
        .select_related("user")
        .prefetch_related(Prefetch("teams", queryset=Team.objects.order_by("name")))
        .order_by("-is_active", "user__name", "user__email")
    )


def active_members(organization: Organization) -> QuerySet[Member]:
    return (
        Member.objects.in_org(organization)
        .filter(is_active=True)
        .select_related("user")
        .order_by("user__name", "user__email")
    )


def team_members(team: Team) -> QuerySet[Member]:
    return active_members(team.organization).filter(team_memberships__team=team)


def periods(organization: Organization) -> QuerySet[Period]:
    return Period.objects.in_org(organization).order_by("-start", "-end")


def user_exists(email: str) -> bool:
    return User.objects.filter(email__iexact=email.strip()).exists()


FIELD_LABELS: dict[str, Any] = {
    "name": gettext_lazy("name"),
    "description": gettext_lazy("description"),
    "parent": gettext_lazy("parent team"),
    "lead": gettext_lazy("lead"),
    "role": gettext_lazy("role"),
    "title": gettext_lazy("job title"),
    "is_active": gettext_lazy("active"),
    "kind": gettext_lazy("kind"),
    "start": gettext_lazy("start"),
    "end": gettext_lazy("end"),
    "state": gettext_lazy("state"),
    "time_zone": gettext_lazy("time zone"),
    "week_start": gettext_lazy("week start"),
    "checkin_cadence": gettext_lazy("check-in cadence"),
    "default_language": gettext_lazy("default language"),
}


# Stored values of choice fields, shown by their (translated) labels.
CHOICE_LABELS: dict[str, dict[Any, Any]] = {
    "role": dict(Role.choices),
    "kind": dict(PeriodKind.choices),
    "state": dict(PeriodState.choices),
    "week_start": dict(Weekday.choices),
    "checkin_cadence": dict(Cadence.choices),
}


@dataclass
class HistoryLine:
    actor: str
    text: str
    at: dt.datetime


def _value(value: Any, name: str = "") -> str:
    value = CHOICE_LABELS.get(name, {}).get(value, value)
    if value is None or value == "":
        return _("nothing")
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return str(value)


def _sentence(event: HistoryEvent, name: str, old: Any, new: Any) -> str:
    label = FIELD_LABELS.get(name, name.replace("_", " "))
    if name == "members":
        if event.action == HistoryEvent.Action.REMOVED:
            return _("removed %(person)s") % {"person": _value(old)}
        return _("added %(person)s") % {"person": _value(new)}
    if old in (None, ""):
        return _("set %(field)s to %(new)s") % {"field": label, "new": _value(new, name)}
    if new in (None, ""):
        return _("cleared %(field)s (was %(old)s)") % {"field": label, "old": _value(old, name)}
    return _("changed %(field)s from %(old)s to %(new)s") % {
        "field": label,
        "old": _value(old, name),
        "new": _value(new, name),
    }


def describe(events: Iterable[HistoryEvent]) -> list[HistoryLine]:
    """History events as readable sentences: "changed lead from X to Y"."""
    lines: list[HistoryLine] = []
    for event in events:
        actor = event.actor.name if event.actor else _("Someone")
        if event.action == HistoryEvent.Action.CREATED:
            lines.append(
                HistoryLine(actor, _("created %(label)s") % {"label": event.target_label}, event.at)
            )
            continue
        if event.action == HistoryEvent.Action.DELETED:
            lines.append(
                HistoryLine(actor, _("deleted %(label)s") % {"label": event.target_label}, event.at)
            )
            continue
        changes = event.changes or {}
        if not changes:
            lines.append(HistoryLine(actor, event.get_action_display(), event.at))
        for name, pair in changes.items():
            old, new = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
            lines.append(HistoryLine(actor, _sentence(event, name, old, new), event.at))
    return lines


def readable_history(
    organization: Organization, target_kind: str, target_uid: uuid.UUID, limit: int = 50
) -> list[HistoryLine]:
    return describe(history_of(organization, target_kind, target_uid)[:limit])
