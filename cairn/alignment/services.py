"""Dependencies: a team asks another for something, the other answers, and the answer acts.

Each function is keyword-only, validates before it saves, runs in one transaction, writes
the change into the request's own thread (its record: the objective's history is read by
everyone who sees the objective, and a request may be less visible than that) and keeps the
key result's over-optimistic roll-up (`KeyResult.unaccepted_dependencies`) true in the same
transaction. Who may *see* the
dependency is the caller's job (`orgs.access.dependency_for`); which side may make a move is
a rule of the domain and checked here.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from cairn.alignment.models import (
    UNACCEPTED_STATES,
    Dependency,
    DependencyEvent,
    DependencyState,
)
from cairn.notifications import webhooks
from cairn.okrs import closing
from cairn.okrs import services as okrs
from cairn.okrs.models import Initiative, KeyResult, Objective, Visibility
from cairn.orgs import history
from cairn.orgs.access import can_answer_dependency, can_edit_objective, team_ids_of
from cairn.orgs.models import Member, Team, TeamMembership

S = DependencyState


class IllegalMove(ValidationError):
    """A state change the state machine does not allow from the current state (whoever asks):
    the web UI answers it with 409 Conflict, not as a plain form error."""


# Which moves each side may make, from which state.
PROVIDER_MOVES: dict[str, frozenset[str]] = {
    S.PROPOSED: frozenset({S.ACCEPTED, S.DECLINED, S.MADE_SHARED, S.DEFERRED}),
    S.ACCEPTED: frozenset({S.DECLINED, S.MADE_SHARED, S.DEFERRED}),
}
REQUESTER_MOVES: dict[str, frozenset[str]] = {
    S.PROPOSED: frozenset({S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.WITHDRAWN}),
    S.DECLINED: frozenset({S.PROPOSED, S.WITHDRAWN}),
    # The asking team stops counting on it this period (its key result is then no longer
    # over-optimistic).
    S.DEFERRED: frozenset({S.WITHDRAWN}),
}


def allowed_moves(dependency: Dependency) -> set[str]:
    return set(PROVIDER_MOVES.get(dependency.state, ())) | set(
        REQUESTER_MOVES.get(dependency.state, ())
    )


def moves_for(member: Member, dependency: Dependency) -> list[str]:
    """The state changes `member` may make now, in the order the UI offers them."""
    if not member.can_write:
        return []
    moves: set[str] = set()
    if can_answer_dependency(member, dependency):
        moves |= PROVIDER_MOVES.get(dependency.state, frozenset())
    if can_edit_objective(member, dependency.objective):
        moves |= REQUESTER_MOVES.get(dependency.state, frozenset())
    if dependency.objective.owner_person_id is not None:
        # A personal objective has no owning teams to join (the service says so too).
        moves.discard(S.MADE_SHARED)
    return [state for state in S.values if state in moves]


def check_move(*, actor: Member, dependency: Dependency, to_state: str) -> None:
    """May `actor` move `dependency` to `to_state` now? An unknown state is a ValidationError,
    a move the state machine does not allow from here an IllegalMove, and a move that is the
    other side's (or any move by a viewer) is PermissionDenied, each with its message."""
    if to_state not in S.values:
        raise ValidationError({"state": _("Unknown state.")})
    if to_state not in allowed_moves(dependency):
        raise IllegalMove(
            {
                "state": _("A request that is “%(from)s” cannot become “%(to)s”.")
                % {"from": S(dependency.state).label, "to": S(to_state).label}
            }
        )
    if not actor.can_write:
        raise PermissionDenied(_("Viewers have read-only access."))
    if to_state in PROVIDER_MOVES.get(dependency.state, frozenset()):
        if not can_answer_dependency(actor, dependency):
            raise PermissionDenied(
                _("Only %(team)s can answer this request.")
                % {"team": dependency.providing_team.name}
            )
    elif not can_edit_objective(actor, dependency.objective):
        raise PermissionDenied(
            _("Only %(team)s can change its own request.")
            % {"team": dependency.requesting_team.name}
        )


def refresh_over_optimistic(key_result_ids: set[int]) -> None:
    """Recount, in one UPDATE, the unaccepted dependencies each key result leans on."""
    if not key_result_ids:
        return
    unaccepted = (
        Dependency.objects.filter(key_result=OuterRef("pk"), state__in=UNACCEPTED_STATES)
        .order_by()
        .values("key_result")
        .annotate(n=Count("pk"))
        .values("n")
    )
    KeyResult.objects.filter(pk__in=key_result_ids).update(
        unaccepted_dependencies=Coalesce(Subquery(unaccepted), 0)
    )


def _same_org(actor: Member, *objects: object) -> None:
    for obj in objects:
        if obj is not None and obj.organization_id != actor.organization_id:  # type: ignore[attr-defined]
            raise ValidationError(_("That item is not in this organization."))


def _members_of(team: Team) -> list[Member]:
    ids = set(TeamMembership.objects.filter(team=team).values_list("member_id", flat=True))
    if team.lead_id:
        ids.add(team.lead_id)
    return list(Member.objects.filter(pk__in=ids, is_active=True))


def _check_private_reach(
    objective: Objective, key_result: KeyResult | None, providing_team: Team
) -> None:
    """A request is read by the providing team: from a private item, only if every one of
    them may see it (the gate has no second rule for dependencies)."""
    if not objective.is_private and (key_result is None or not key_result.is_private):
        return
    for person in _members_of(providing_team):
        sees_objective = Objective.objects.visible_to(person).filter(pk=objective.pk).exists()
        sees_kr = key_result is None or (
            KeyResult.objects.visible_to(person).filter(pk=key_result.pk).exists()
        )
        if not (sees_objective and sees_kr):
            raise ValidationError(
                {
                    "providing_team": _(
                        "This is private and not everyone in %(team)s may see it: make it "
                        "public or share it with them first."
                    )
                    % {"team": providing_team.name}
                }
            )


def _check_requesting_team(objective: Objective, requesting_team: Team) -> None:
    owning = {link.team_id for link in objective.team_links.all()}
    if owning:
        if requesting_team.pk not in owning:
            raise ValidationError(
                {"requesting_team": _("The requesting team must own this objective.")}
            )
        return
    assert objective.owner_person is not None
    if requesting_team.pk not in team_ids_of(objective.owner_person):
        raise ValidationError(
            {"requesting_team": _("The requesting team must be one of the owner's teams.")}
        )


def _field_label(name: str) -> str:
    labels = {
        "need": _("what is needed"),
        "due": _("needed by"),
        "initiative": _("providing team's initiative"),
    }
    return labels.get(name, name)


def _require_requester(actor: Member, objective: Objective) -> None:
    """Asking, and rewording what is asked, is the requesting side's: whoever may change the
    objective the request is raised from."""
    if not actor.can_write:
        raise PermissionDenied(_("Viewers have read-only access."))
    if not can_edit_objective(actor, objective):
        raise PermissionDenied(
            _("Only the people who may change this objective can make or change its requests.")
        )


@transaction.atomic
def request_dependency(
    *,
    actor: Member,
    objective: Objective,
    requesting_team: Team,
    providing_team: Team,
    need: str,
    key_result: KeyResult | None = None,
    due: dt.date | None = None,
    initiative: Initiative | None = None,
) -> Dependency:
    _same_org(actor, objective, requesting_team, providing_team, key_result, initiative)
    _require_requester(actor, objective)
    closing.ensure_open(objective)
    need = need.strip()
    if not need:
        raise ValidationError({"need": _("Say what you need from the other team.")})
    if key_result is not None and key_result.objective_id != objective.pk:
        raise ValidationError({"key_result": _("That key result belongs to another objective.")})
    if requesting_team.pk == providing_team.pk:
        raise ValidationError({"providing_team": _("A team cannot depend on itself.")})
    if objective.team_links.filter(team=providing_team).exists():
        raise ValidationError(
            {
                "providing_team": _("%(team)s already owns this objective.")
                % {"team": providing_team.name}
            }
        )
    _check_requesting_team(objective, requesting_team)
    if initiative is not None and initiative.team_id != providing_team.pk:
        raise ValidationError(
            {"initiative": _("Link an initiative of the providing team, or none.")}
        )
    _check_private_reach(objective, key_result, providing_team)
    _lock_key_result(key_result.pk if key_result is not None else None)
    dependency = Dependency.objects.create(
        organization_id=actor.organization_id,
        objective=objective,
        key_result=key_result,
        requesting_team=requesting_team,
        providing_team=providing_team,
        need=need,
        due=due,
        initiative=initiative,
        created_by=actor,
    )
    if key_result is not None:
        refresh_over_optimistic({key_result.pk})
    webhooks.emit(
        organization=actor.organization,
        event="dependency.changed",
        subject=dependency,
        actor=actor,
        extra={"previous_state": None, "comment": ""},
    )
    return dependency


@transaction.atomic
def update_dependency(
    *,
    actor: Member,
    dependency: Dependency,
    need: str,
    due: dt.date | None,
    initiative: Initiative | None,
) -> Dependency:
    """The requesting side rewords what it needs or moves the date; the thread says so."""
    _same_org(actor, dependency, initiative)
    _require_requester(actor, dependency.objective)
    closing.ensure_open(dependency.objective)
    if dependency.state not in (S.PROPOSED, S.ACCEPTED, S.DECLINED):
        raise ValidationError(_("This request is closed and can no longer be changed."))
    need = need.strip()
    if not need:
        raise ValidationError({"need": _("Say what you need from the other team.")})
    if initiative is not None and initiative.team_id != dependency.providing_team_id:
        raise ValidationError(
            {"initiative": _("Link an initiative of the providing team, or none.")}
        )
    before = history.snapshot(dependency, ("need", "due", "initiative"))
    dependency.need, dependency.due, dependency.initiative = need, due, initiative
    dependency.updated_at = timezone.now()
    dependency.save(update_fields=["need", "due", "initiative", "updated_at"])
    changes = history.diff(before, history.snapshot(dependency, ("need", "due", "initiative")))
    if changes:
        DependencyEvent.objects.create(
            organization_id=actor.organization_id,
            dependency=dependency,
            author=actor,
            comment=_("Changed the request: %(fields)s")
            % {"fields": ", ".join(_field_label(name) for name in sorted(changes))},
        )
    return dependency


@transaction.atomic
def comment_on_dependency(
    *, actor: Member, dependency: Dependency, comment: str
) -> DependencyEvent:
    _same_org(actor, dependency)
    if not actor.can_write:
        raise PermissionDenied(_("Viewers have read-only access."))
    closing.ensure_open(dependency.objective)
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": _("Write a comment.")})
    event = DependencyEvent.objects.create(
        organization_id=actor.organization_id, dependency=dependency, author=actor, comment=comment
    )
    Dependency.objects.filter(pk=dependency.pk).update(updated_at=timezone.now())
    return event


@transaction.atomic
def change_dependency_state(
    *, actor: Member, dependency: Dependency, to_state: str, comment: str
) -> Dependency:
    """One move of the state machine, with the comment that explains it, and its effect:
    *made shared* adds the providing team as an owner of the objective; *deferred* moves the
    linked initiative to the next period (a clear error while that period does not exist)."""
    _same_org(actor, dependency)
    # Re-read under a row lock so two answers cannot both apply to the same state; only this
    # row is locked (PostgreSQL refuses FOR UPDATE on the nullable side of an outer join).
    dependency = (
        Dependency.objects.select_for_update(of=("self",))
        .select_related(
            "objective__period",
            "key_result",
            "providing_team",
            "requesting_team",
            "initiative__period",
        )
        .get(pk=dependency.pk)
    )
    check_move(actor=actor, dependency=dependency, to_state=to_state)
    closing.ensure_open(dependency.objective)
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": _("Say why, for the discussion.")})
    provider_move = to_state in PROVIDER_MOVES.get(dependency.state, frozenset())
    _lock_key_result(dependency.key_result_id)

    if to_state == S.MADE_SHARED:
        _check_share_reach(dependency.objective, dependency.providing_team)
        okrs.add_owning_team(
            objective=dependency.objective,
            team=dependency.providing_team,
            actor=actor,
            note=_("made shared from a dependency request"),
        )
    elif to_state == S.DEFERRED:
        # Deferred to the period after the objective's; a linked initiative already there
        # (deferred on its own before) stays where it is.
        target = okrs.next_period_or_error(dependency.objective.period)
        initiative = dependency.initiative
        if initiative is not None and initiative.period.start < target.start:
            okrs.defer_initiative(
                initiative=initiative,
                actor=actor,
                to=target,
                note=_("deferred with a dependency request"),
            )

    before = dependency.state
    now = timezone.now()
    dependency.state = to_state
    dependency.updated_at = now
    fields = ["state", "updated_at"]
    if provider_move and dependency.answered_at is None:
        dependency.answered_at = now
        fields.append("answered_at")
    elif to_state == S.PROPOSED:
        # Asked again: it waits for a new answer, and its week starts now.
        dependency.asked_at, dependency.answered_at = now, None
        fields += ["asked_at", "answered_at"]
    dependency.save(update_fields=fields)
    DependencyEvent.objects.create(
        organization_id=actor.organization_id,
        dependency=dependency,
        author=actor,
        from_state=before,
        to_state=to_state,
        comment=comment,
    )
    touched = {dependency.key_result_id} - {None}
    if to_state == S.MADE_SHARED:
        touched |= _settle_requests_to_new_owner(actor, dependency)
    refresh_over_optimistic(touched)  # type: ignore[arg-type]
    webhooks.emit(
        organization=actor.organization,
        event="dependency.changed",
        subject=dependency,
        actor=actor,
        extra={"previous_state": before, "comment": comment},
    )
    return dependency


def _lock_key_result(key_result_id: int | None) -> None:
    """Take the key result's row lock before its dependencies change, so that two answers
    on the same key result recount one after the other (on PostgreSQL an UPDATE that waited
    would otherwise count with the snapshot from before it waited)."""
    if key_result_id is not None:
        list(KeyResult.objects.select_for_update().filter(pk=key_result_id).values_list("pk"))


def _check_share_reach(objective: Objective, team: Team) -> None:
    """Becoming an owner opens every private key result of the objective to the team: only
    when each of its people may already see them (otherwise the request asked for less)."""
    private = list(objective.key_results.filter(visibility=Visibility.PRIVATE))
    for person in _members_of(team):
        visible = set(
            KeyResult.objects.visible_to(person)
            .filter(pk__in=[kr.pk for kr in private])
            .values_list("pk", flat=True)
        )
        if len(visible) < len(private):
            raise ValidationError(
                {
                    "state": _(
                        "This objective has private key results that not everyone in "
                        "%(team)s may see; making it shared would open them. Accept the "
                        "request instead, or ask the owners to share them first."
                    )
                    % {"team": team.name}
                }
            )


def _settle_requests_to_new_owner(actor: Member, dependency: Dependency) -> set[int]:
    """The providing team now owns the objective: its other open requests to that team are
    settled the same way, each with a line in its thread. Returns the key results touched."""
    others = list(
        Dependency.objects.select_for_update(of=("self",))
        .filter(
            objective_id=dependency.objective_id,
            providing_team_id=dependency.providing_team_id,
            state__in=(S.PROPOSED, S.ACCEPTED),
        )
        .exclude(pk=dependency.pk)
    )
    now = timezone.now()
    for other in others:
        DependencyEvent.objects.create(
            organization_id=actor.organization_id,
            dependency=other,
            author=actor,
            from_state=other.state,
            to_state=S.MADE_SHARED,
            comment=_("Settled: %(team)s now owns this objective.")
            % {"team": dependency.providing_team.name},
        )
        other.state, other.updated_at = S.MADE_SHARED, now
        if other.answered_at is None:
            other.answered_at = now
        other.save(update_fields=["state", "updated_at", "answered_at"])
    return {other.key_result_id for other in others if other.key_result_id is not None}
