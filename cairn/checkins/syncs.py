"""A shared OKR's regular meeting: recording a sync, and the sync view it is held over.

The sync view answers "what happened since we last met?" for one objective: per key result
the value and confidence then and now, new blockers and insights, each owning team's Next
Ups, the open dependencies and the syncs so far. Everything is read through the gate
(`visible_to`), so a private key result inside a public objective never shows to someone who
may not see it, and in a fixed number of queries whatever the number of key results or
check-ins.

"Since D" means since the start of day D on the organization's calendar: a check-in made on
the day of the last sync, before or after the meeting, counts as new rather than being lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DecimalField, F, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cairn.alignment.models import OPEN_STATES, Dependency
from cairn.checkins.models import CheckIn, Sync
from cairn.lib import charts, rhythm
from cairn.okrs import closing
from cairn.okrs.models import KeyResult, Objective
from cairn.okrs.queries import Signals
from cairn.orgs import history
from cairn.orgs.access import can_edit_objective
from cairn.orgs.models import Member, Team, TeamMembership

MIN_CADENCE_DAYS = 1
MAX_CADENCE_DAYS = 90
# The syncs listed under the view: a quarter of weekly syncs, and then some.
SYNCS_SHOWN = 20


def start_of_day(day: dt.date, time_zone: str) -> dt.datetime:
    """Midnight at the start of `day` in the organization's time zone (UTC when unknown)."""
    try:
        zone = ZoneInfo(time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def earliest_day(objective: Objective) -> dt.date:
    """The earliest day a sync (or a "since") may name: a year before the period starts."""
    return objective.period.start - dt.timedelta(days=366)


def owning_teams(objective: Objective) -> list[Team]:
    """The owning teams, by name; from the prefetch when the gate loaded the objective."""
    return sorted((link.team for link in objective.team_links.all()), key=lambda t: t.name)


# Recording a sync --------------------------------------------------------------------------


@transaction.atomic
def record_sync(
    *,
    actor: Member,
    objective: Objective,
    held_on: dt.date,
    attendees: Iterable[Member],
    notes: str,
    next_sync_on: dt.date | None = None,
    cadence_days: int | None = None,
) -> Sync:
    """Record a sync of the objective's owning teams: when it was held, who was there, the
    notes, and when the next one is (`held_on` + the objective's cadence unless given). A
    given cadence becomes the objective's own for the syncs after it."""
    organization = actor.organization
    if objective.organization_id != actor.organization_id:
        raise ValidationError(_("That objective is not in this organization."))
    if not actor.can_write:
        raise PermissionDenied(_("Viewers have read-only access."))
    if not can_edit_objective(actor, objective):
        raise PermissionDenied(_("Only the objective's owners record its syncs."))
    closing.ensure_open(objective)

    errors: dict[str, list[str]] = {}
    people = list({person.pk: person for person in attendees}.values())
    if any(person.organization_id != actor.organization_id for person in people):
        errors.setdefault("attendees", []).append(
            _("Attendees must be people of this organization.")
        )
    elif any(not person.is_active for person in people):
        errors.setdefault("attendees", []).append(
            _("Not active in this organization: %(names)s.")
            % {"names": ", ".join(sorted(p.name for p in people if not p.is_active))}
        )
    today = organization.today()
    if held_on > today:
        errors.setdefault("held_on", []).append(_("A sync is recorded once it is held."))
    elif held_on < earliest_day(objective):
        errors.setdefault("held_on", []).append(
            _("Choose a day after %(day)s: a sync long before the period says nothing.")
            % {"day": formats.date_format(earliest_day(objective), "SHORT_DATE_FORMAT")}
        )
    if cadence_days is not None and (
        isinstance(cadence_days, bool)
        or not isinstance(cadence_days, int)
        or not MIN_CADENCE_DAYS <= cadence_days <= MAX_CADENCE_DAYS
    ):
        errors.setdefault("cadence_days", []).append(
            _("Sync every %(low)d to %(high)d days.")
            % {"low": MIN_CADENCE_DAYS, "high": MAX_CADENCE_DAYS}
        )
        cadence_days = None
    cadence = cadence_days or objective.sync_cadence_days
    next_on = next_sync_on or held_on + dt.timedelta(days=cadence)
    if next_on <= held_on:
        errors.setdefault("next_sync_on", []).append(_("The next sync comes after this one."))
    if errors:
        raise ValidationError(errors)

    previous = Sync.objects.filter(objective=objective).first()
    sync = Sync.objects.create(
        organization_id=objective.organization_id,
        objective=objective,
        held_on=held_on,
        notes=notes.strip(),
        next_sync_on=next_on,
        recorded_by=actor,
    )
    sync.attendees.set(people)
    # The readable keys are the history's words for them ("set next sync to ..."). A sync
    # recorded late, held before the latest one, does not move the next sync.
    changes: dict[str, list[object]] = {}
    if previous is None or held_on >= previous.held_on:
        changes["next_sync"] = [
            history.snapshot_value(previous.next_sync_on if previous else None),
            history.snapshot_value(next_on),
        ]
    if cadence_days is not None and cadence_days != objective.sync_cadence_days:
        changes["days_between_syncs"] = [objective.sync_cadence_days, cadence_days]
        objective.sync_cadence_days = cadence_days
        objective.save(update_fields=["sync_cadence_days"])
    history.record(
        organization=organization,
        actor=actor,
        action=history.Action.ADDED,
        target_kind="objective",
        target_uid=objective.uid,
        target_label=objective.title,
        changes=changes,
        note=ngettext(
            "Sync held on %(date)s with %(count)d attendee.",
            "Sync held on %(date)s with %(count)d attendees.",
            len(people),
        )
        % {"date": held_on.isoformat(), "count": len(people)},
    )
    return sync


# The sync view ------------------------------------------------------------------------------


@dataclass
class KeyResultMove:
    """A key result's value and confidence at the start of the view and now."""

    key_result: KeyResult
    signals: Signals
    value_then: Decimal
    confidence_then: int | None

    @property
    def value_now(self) -> Decimal:
        return self.key_result.current_value

    @property
    def confidence_now(self) -> int | None:
        return self.key_result.confidence

    @property
    def value_moved(self) -> bool:
        return self.value_then != self.value_now

    @property
    def confidence_moved(self) -> bool:
        return self.confidence_then != self.confidence_now

    @property
    def moved(self) -> bool:
        return self.value_moved or self.confidence_moved

    @property
    def confidence_change(self) -> int | None:
        if self.confidence_then is None or self.confidence_now is None:
            return None
        return self.confidence_now - self.confidence_then

    @property
    def confidence_steps(self) -> int:
        return abs(self.confidence_change or 0)

    @property
    def confidence_direction(self) -> str:
        change = self.confidence_change
        if change is None or change == 0:
            return ""
        return "up" if change > 0 else "down"

    @property
    def band_then(self) -> str:
        return "" if self.confidence_then is None else rhythm.band(self.confidence_then).value

    @property
    def band_label_then(self) -> str:
        return "" if self.confidence_then is None else charts.band_label(self.confidence_then)

    @property
    def milestone_done_then(self) -> bool:
        return self.value_then >= self.key_result.target_value


@dataclass
class NextUpItem:
    key_result: KeyResult
    check_in: CheckIn
    overdue: bool


@dataclass
class TeamNextUps:
    """One owning team's current Next Ups; `team` None gathers authors in no owning team."""

    team: Team | None
    items: list[NextUpItem] = field(default_factory=list)


@dataclass
class SyncView:
    objective: Objective
    since: dt.date
    since_default: dt.date
    today: dt.date
    owning_teams: list[Team]
    moves: list[KeyResultMove]
    blockers: list[CheckIn]
    insights: list[CheckIn]
    next_ups: list[TeamNextUps]
    dependencies: list[Dependency]
    syncs: list[Sync]

    @property
    def is_shared(self) -> bool:
        return len(self.owning_teams) > 1

    @property
    def last_sync(self) -> Sync | None:
        return self.syncs[0] if self.syncs else None

    @property
    def next_sync_on(self) -> dt.date | None:
        return self.last_sync.next_sync_on if self.last_sync else None

    @property
    def next_sync_overdue(self) -> bool:
        return self.next_sync_on is not None and self.next_sync_on < self.today

    @property
    def moved(self) -> list[KeyResultMove]:
        return [move for move in self.moves if move.moved]

    @property
    def since_is_last_sync(self) -> bool:
        return self.last_sync is not None and self.since == self.last_sync.held_on


def visible_syncs(member: Member, objective: Objective) -> list[Sync]:
    attendees = Member.objects.select_related("user").order_by("user__name", "id")
    return list(
        Sync.objects.visible_to(member)
        .filter(objective=objective)
        .select_related("recorded_by__user")
        .prefetch_related(Prefetch("attendees", queryset=attendees))
        .order_by("-held_on", "-created_at", "-id")[:SYNCS_SHOWN]
    )


def default_since(objective: Objective, last_sync: Sync | None) -> dt.date:
    """Since the last recorded sync, else since the period began."""
    return last_sync.held_on if last_sync is not None else objective.period.start


def _moves(
    member: Member, objective: Objective, moment: dt.datetime, today: dt.date
) -> list[KeyResult]:
    before = CheckIn.objects.filter(
        key_result=OuterRef("pk"), deleted_at__isnull=True, at__lt=moment
    ).order_by("-at", "-id")
    # Progress recorded before the kind last changed is on another scale: as when the roll-ups
    # are replayed (`services._recompute_rollups`), it does not count.
    value_then = (
        before.filter(progress_value__isnull=False)
        .filter(
            Q(key_result__scale_changed_at__isnull=True)
            | Q(at__gte=F("key_result__scale_changed_at"))
        )
        .values("progress_value")[:1]
    )
    confidence_then = before.filter(confidence__isnull=False).values("confidence")[:1]
    latest_next_up = (
        CheckIn.objects.filter(key_result=OuterRef("pk"), deleted_at__isnull=True)
        .exclude(next_up_plan="")
        .order_by("-at", "-id")
        .values("id")[:1]
    )
    return list(
        KeyResult.objects.visible_to(member)
        .filter(objective=objective)
        .select_related("owner__user")
        .annotate(
            value_then=Subquery(value_then, output_field=DecimalField()),
            confidence_then=Subquery(confidence_then, output_field=IntegerField()),
            next_up_id=Subquery(latest_next_up, output_field=IntegerField()),
        )
        .order_by("position", "created_at", "id")
    )


def _next_ups(
    key_results: list[KeyResult], owning: list[Team], today: dt.date
) -> list[TeamNextUps]:
    # The roll-up decides whether a result has a current Next Up: a reflection without a new
    # plan ends the previous one (as on the key result page).
    wanted = {
        kr.next_up_id: kr  # type: ignore[attr-defined]
        for kr in key_results
        if kr.next_up_due is not None and kr.next_up_id is not None  # type: ignore[attr-defined]
    }
    if not wanted:
        return []
    check_ins = {
        c.pk: c for c in CheckIn.objects.filter(pk__in=wanted).select_related("author__user")
    }
    author_ids = {c.author_id for c in check_ins.values() if c.author_id is not None}
    teams_of: dict[int, set[int]] = {}
    owning_ids = [team.pk for team in owning]
    if author_ids and owning_ids:
        for team_id, member_id in TeamMembership.objects.filter(
            team_id__in=owning_ids, member_id__in=author_ids
        ).values_list("team_id", "member_id"):
            teams_of.setdefault(member_id, set()).add(team_id)
    for team in owning:
        if team.lead_id in author_ids:
            teams_of.setdefault(team.lead_id, set()).add(team.pk)
    groups = {team.pk: TeamNextUps(team=team) for team in owning}
    others = TeamNextUps(team=None)
    for check_in_id, kr in wanted.items():
        check_in = check_ins[check_in_id]
        item = NextUpItem(
            key_result=kr,
            check_in=check_in,
            overdue=kr.next_up_due is not None and kr.next_up_due < today,
        )
        team_ids = teams_of.get(check_in.author_id or 0, set())
        for team_id in team_ids:
            groups[team_id].items.append(item)
        if not team_ids:
            others.items.append(item)
    result = [groups[team.pk] for team in owning]
    if others.items:
        result.append(others)
    return result


def sync_view(
    member: Member, objective: Objective, since: dt.date | None, *, today: dt.date | None = None
) -> SyncView:
    """What moved on the objective since `since` (by default since the last sync, else the
    period start), as `member` may see it. `objective` must come through the gate."""
    organization = member.organization
    today = today or organization.today()
    syncs = visible_syncs(member, objective)
    # A period in planning has not begun: nothing can have moved since a day still to come.
    fallback = min(default_since(objective, syncs[0] if syncs else None), today)
    since = since or fallback
    moment = start_of_day(since, organization.time_zone)
    owning = owning_teams(objective)

    key_results = _moves(member, objective, moment, today)
    moves = [
        KeyResultMove(
            key_result=kr,
            signals=Signals.of(kr, organization, today),
            value_then=(
                kr.value_then  # type: ignore[attr-defined]
                if kr.value_then is not None  # type: ignore[attr-defined]
                else kr.start_value
            ),
            confidence_then=kr.confidence_then,  # type: ignore[attr-defined]
        )
        for kr in key_results
    ]
    flagged = list(
        CheckIn.objects.visible_to(member)
        .live()
        .filter(key_result__objective=objective, at__gte=moment)
        .filter(Q(is_blocker=True) | Q(is_insight=True))
        .select_related("key_result", "author__user", "blocker_resolved_by__user")
        .order_by("-at", "-id")
    )
    dependencies = list(
        Dependency.objects.visible_to(member)
        .filter(objective=objective, state__in=OPEN_STATES)
        .select_related("key_result", "requesting_team", "providing_team")
        .order_by(F("due").asc(nulls_last=True), "created_at", "id")
    )
    return SyncView(
        objective=objective,
        since=since,
        since_default=fallback,
        today=today,
        owning_teams=owning,
        moves=moves,
        blockers=[c for c in flagged if c.is_blocker],
        insights=[c for c in flagged if c.is_insight],
        next_ups=_next_ups(key_results, owning, today),
        dependencies=dependencies,
        syncs=syncs,
    )
