"""The objective page: key result rows, alignment up and down, initiatives by team, history."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cairn.okrs.models import (
    Alignment,
    Direction,
    Initiative,
    InitiativeState,
    KeyResult,
    KeyResultKind,
    Objective,
    Visibility,
)
from cairn.okrs.queries.common import ProgressView, Signals, visible_key_results
from cairn.orgs.access import can_edit_initiative, can_edit_key_result
from cairn.orgs.history import Action, HistoryLine, describe, history_of
from cairn.orgs.models import HistoryEvent, Member, Team

# Objective page -----------------------------------------------------------------------------


@dataclass
class KeyResultRow:
    key_result: KeyResult
    progress: ProgressView
    can_edit: bool
    # Confidence, staleness, open blockers and the over-optimistic flag, from the roll-ups.
    signals: Signals | None = None


@dataclass
class AlignmentLink:
    link: Alignment
    objective: Objective
    key_result: KeyResult | None


@dataclass
class InitiativeGroup:
    team: Team
    owning: bool
    items: list[tuple[Initiative, bool]]


def key_result_rows(member: Member, objective: Objective, today: dt.date) -> list[KeyResultRow]:
    rows = []
    for kr in visible_key_results(member).filter(objective=objective):
        kr.objective = objective  # the gate's checks read it; no query per row
        rows.append(
            KeyResultRow(
                key_result=kr,
                progress=ProgressView.of(kr.progress, objective.period, today),
                can_edit=can_edit_key_result(member, kr),
                signals=Signals.of(kr, member.organization, today),
            )
        )
    return rows


def alignment_up(member: Member, objective: Objective) -> list[AlignmentLink]:
    """What this objective contributes to: only parents the member can see."""
    links = (
        Alignment.objects.in_org(member.organization)
        .filter(child=objective)
        .filter(
            Q(parent_objective__in=Objective.objects.visible_to(member).values("pk"))
            | Q(parent_key_result__in=KeyResult.objects.visible_to(member).values("pk"))
        )
        .select_related(
            "parent_objective__period",
            "parent_objective__owner_person__user",
            "parent_key_result__objective__period",
        )
        .order_by("created_at")
    )
    result = []
    for link in links:
        if link.parent_key_result is not None:
            result.append(
                AlignmentLink(link, link.parent_key_result.objective, link.parent_key_result)
            )
        elif link.parent_objective is not None:
            result.append(AlignmentLink(link, link.parent_objective, None))
    return result


def alignment_down(
    member: Member, *, objective: Objective | None = None, key_result: KeyResult | None = None
) -> list[AlignmentLink]:
    """What contributes to this objective (or to one of its key results), visible only; a
    link through a key result the member cannot see is left out with the key result."""
    links = Alignment.objects.in_org(member.organization).filter(
        child__in=Objective.objects.visible_to(member).values("pk")
    )
    if key_result is not None:
        links = links.filter(parent_key_result=key_result)
    else:
        links = links.filter(
            Q(parent_objective=objective)
            | Q(
                parent_key_result__objective=objective,
                parent_key_result__in=KeyResult.objects.visible_to(member).values("pk"),
            )
        )
    links = links.select_related(
        "child__period", "child__owner_person__user", "parent_key_result"
    ).order_by("created_at")
    return [AlignmentLink(link, link.child, link.parent_key_result) for link in links]


def initiative_groups(
    member: Member, objective: Objective, owner_teams: list[Team]
) -> list[InitiativeGroup]:
    """Initiatives grouped by team: every owning team first, side by side (even with none yet),
    then other teams that work towards this objective under their own name."""
    initiatives = (
        Initiative.objects.visible_to(member)
        .filter(objective=objective)
        .select_related("team", "owner__user", "key_result", "period")
        .order_by("created_at", "id")
    )
    groups: dict[int, InitiativeGroup] = {
        team.pk: InitiativeGroup(team=team, owning=True, items=[]) for team in owner_teams
    }
    others: dict[int, InitiativeGroup] = {}
    for initiative in initiatives:
        initiative.objective = objective
        group = groups.get(initiative.team_id) or others.setdefault(
            initiative.team_id, InitiativeGroup(team=initiative.team, owning=False, items=[])
        )
        group.items.append((initiative, can_edit_initiative(member, initiative)))
    return [*groups.values(), *sorted(others.values(), key=lambda g: g.team.name.lower())]


# History ------------------------------------------------------------------------------------

# Added to the base labels of `cairn.orgs.history`; "<target_kind>.<field>" keys come first.
FIELD_LABELS: dict[str, Any] = {
    "period": gettext_lazy("period"),
    "owner_person": gettext_lazy("owner"),
    "owner_teams": gettext_lazy("owning teams"),
    "owner": gettext_lazy("owner"),
    "visibility": gettext_lazy("visibility"),
    "key_result.kind": gettext_lazy("kind"),
    "start_value": gettext_lazy("start"),
    "target_value": gettext_lazy("target"),
    "current_value": gettext_lazy("current value"),
    "unit": gettext_lazy("unit"),
    "direction": gettext_lazy("direction"),
    "weight": gettext_lazy("weight"),
    "team": gettext_lazy("team"),
    "key_result": gettext_lazy("key result"),
    "initiative.state": gettext_lazy("state"),
    "due": gettext_lazy("due"),
    "aligned_to": gettext_lazy("aligned to"),
    "shared_with": gettext_lazy("shared with"),
    "dependency": gettext_lazy("dependency request"),
    "next_sync": gettext_lazy("next sync"),
    "days_between_syncs": gettext_lazy("days between syncs"),
    "continued_from": gettext_lazy("continued from"),
    "continued_into": gettext_lazy("continued in"),
}

CHOICE_LABELS: dict[str, dict[Any, Any]] = {
    "key_result.kind": dict(KeyResultKind.choices),
    "direction": dict(Direction.choices),
    "visibility": dict(Visibility.choices),
    "initiative.state": dict(InitiativeState.choices),
}

NUMBER_FIELDS = frozenset({"start_value", "target_value", "current_value", "weight"})


def history_lines(member: Member, target_kind: str, target_uid: uuid.UUID) -> list[HistoryLine]:
    """The item's history as sentences ("changed target from 500,000 to 250,000").

    An alignment entry names its parent; a parent the member cannot see (a private objective
    or key result) is not named.
    """
    events = list(history_of(member.organization, target_kind, target_uid)[:100])
    aligned_titles = {
        str(value)
        for event in events
        for value in (event.changes or {}).get("aligned_to", [])
        if value
    }
    visible_titles: set[str] = set()
    if aligned_titles and not member.is_admin:
        visible_titles |= set(
            Objective.objects.visible_to(member)
            .filter(title__in=aligned_titles)
            .values_list("title", flat=True)
        )
        visible_titles |= set(
            KeyResult.objects.visible_to(member)
            .filter(title__in=aligned_titles)
            .values_list("title", flat=True)
        )

    def hide(name: str, value: Any) -> Any:
        if name != "aligned_to" or member.is_admin or value is None or value in visible_titles:
            return value
        return _("a private item")

    def sentences(event: HistoryEvent) -> list[HistoryLine]:
        return describe(
            [event], labels=FIELD_LABELS, choices=CHOICE_LABELS, numbers=NUMBER_FIELDS, hide=hide
        )

    lines: list[HistoryLine] = []
    for event in events:
        changes = event.changes or {}
        if event.action in (Action.CREATED, Action.DELETED) or not (
            set(changes) & set(LIST_SENTENCES)
        ):
            lines += sentences(event)
            continue
        # One event may hold several changes: each in its own line, in the recorded order.
        for name, pair in changes.items():
            if name in LIST_SENTENCES:
                lines += _list_change_lines(event, name, pair)
                continue
            single = copy.copy(event)
            single.changes = {name: pair}
            lines += sentences(single)
    return lines


def _names(value: Any) -> set[str]:
    if value is None or value == "":
        return set()
    if isinstance(value, list | tuple | set):
        return {str(item) for item in value if item not in (None, "")}
    return {str(value)}


def _sharing_sentence(added: bool, names: str, count: int) -> str:
    if added:
        return _("shared it with %(people)s") % {"people": names}
    return _("stopped sharing it with %(people)s") % {"people": names}


def _owner_teams_sentence(added: bool, names: str, count: int) -> str:
    if added:
        return ngettext(
            "added %(teams)s as an owning team", "added %(teams)s as owning teams", count
        ) % {"teams": names}
    return ngettext(
        "removed %(teams)s as an owning team", "removed %(teams)s as owning teams", count
    ) % {"teams": names}


# Changes to a list (who it is shared with, which teams own it) read as what was added and
# what was removed, not as "changed from <whole list> to <whole list>".
LIST_SENTENCES: dict[str, Callable[[bool, str, int], str]] = {
    "shared_with": _sharing_sentence,
    "owner_teams": _owner_teams_sentence,
}


def _list_change_lines(event: HistoryEvent, name: str, pair: Any) -> list[HistoryLine]:
    old, new = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
    before, after = _names(old), _names(new)
    actor = event.actor.name if event.actor else _("Someone")
    sentence = LIST_SENTENCES[name]
    lines = []
    for added, names in ((True, after - before), (False, before - after)):
        if names:
            text = sentence(added, ", ".join(sorted(names, key=str.lower)), len(names))
            lines.append(HistoryLine(actor=actor, text=text, at=event.at, note=event.note))
    return lines
