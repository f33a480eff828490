"""Reads for the dependency pages. Every list starts from `Dependency.objects.visible_to`, so
a request is exactly as visible as the objective (and key result) it is raised from; each
list is one query whatever its length (related rows are joined, never fetched per row)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When

from cairn.alignment.models import (
    UNACCEPTED_STATES,
    Dependency,
    DependencyEvent,
    DependencyQuerySet,
    DependencyState,
)
from cairn.okrs.models import Initiative, InitiativeState, KeyResult, Objective
from cairn.orgs.models import Member, Period, Team

S = DependencyState

# Lists show what still needs someone first: asked, then promised, then the answers that
# closed it one way or another.
STATE_ORDER: tuple[str, ...] = (
    S.PROPOSED,
    S.ACCEPTED,
    S.DECLINED,
    S.DEFERRED,
    S.MADE_SHARED,
    S.WITHDRAWN,
)


def _state_rank() -> Case:
    return Case(
        *[When(state=state, then=Value(rank)) for rank, state in enumerate(STATE_ORDER)],
        default=Value(len(STATE_ORDER)),
        output_field=IntegerField(),
    )


def visible_dependencies(member: Member) -> DependencyQuerySet:
    """Dependencies `member` may see, with what every row draws joined in.

    `initiative_visible` says whether the member may see the provider's linked initiative:
    it follows its own objective, which may be private even when the request is not."""
    initiatives = Initiative.objects.visible_to(member).filter(pk=OuterRef("initiative_id"))
    return (
        Dependency.objects.visible_to(member)
        .select_related(
            "objective__period",
            "key_result",
            "requesting_team",
            "providing_team",
            "initiative__period",
        )
        .annotate(initiative_visible=Exists(initiatives), state_rank=_state_rank())
    )


def _ordered(qs: DependencyQuerySet) -> list[Dependency]:
    return list(qs.order_by("state_rank", F("due").asc(nulls_last=True), "created_at", "id"))


def objective_dependencies(member: Member, objective: Objective) -> list[Dependency]:
    """What this objective asks of other teams."""
    return _ordered(visible_dependencies(member).filter(objective=objective))


@dataclass
class TeamDependencies:
    incoming: list[Dependency]
    outgoing: list[Dependency]

    @property
    def awaiting_answer(self) -> int:
        return sum(1 for dependency in self.incoming if dependency.state == S.PROPOSED)


def team_dependencies(member: Member, team: Team, period: Period | None) -> TeamDependencies:
    """Requests to the team (it provides) and from it (it asks), in the period's objectives."""
    qs = visible_dependencies(member)
    if period is not None:
        qs = qs.filter(objective__period=period)
    return TeamDependencies(
        incoming=_ordered(qs.filter(providing_team=team)),
        outgoing=_ordered(qs.filter(requesting_team=team)),
    )


def org_dependencies(
    member: Member, *, period: Period | None, team: Team | None, state: str | None
) -> list[Dependency]:
    """The organization-wide list: a period's requests, to or from one team, in one state."""
    qs = visible_dependencies(member)
    if period is not None:
        qs = qs.filter(objective__period=period)
    if team is not None:
        qs = qs.filter(Q(requesting_team=team) | Q(providing_team=team))
    if state:
        qs = qs.filter(state=state)
    return _ordered(qs)


def initiative_visible(member: Member, dependency: Dependency) -> bool:
    if dependency.initiative_id is None:
        return False
    return Initiative.objects.visible_to(member).filter(pk=dependency.initiative_id).exists()


def thread(dependency: Dependency) -> list[DependencyEvent]:
    """The discussion, oldest first: comments and state changes with their comment."""
    return list(
        DependencyEvent.objects.filter(
            organization_id=dependency.organization_id, dependency=dependency
        )
        .select_related("author__user")
        .order_by("created_at", "id")
    )


def over_optimistic_key_results(member: Member, objective: Objective) -> list[KeyResult]:
    """The objective's key results (those the member sees) that lean on a request the other
    team has not accepted."""
    return list(
        KeyResult.objects.visible_to(member).filter(
            objective=objective, unaccepted_dependencies__gt=0
        )
    )


def initiative_choices(
    member: Member,
    *,
    period: Period,
    team: Team | None = None,
    exclude_team_ids: Collection[int] = (),
    keep: Initiative | None = None,
) -> QuerySet[Initiative]:
    """Initiatives a request may point to: visible to the member, of the objective's period,
    not done yet (`team`'s only, once the providing team is known); plus the one linked now,
    so that an edit can keep it."""
    wanted = Q(period=period) & ~Q(state=InitiativeState.DONE)
    if team is not None:
        wanted &= Q(team=team)
    if keep is not None:
        wanted |= Q(pk=keep.pk)
    return (
        Initiative.objects.visible_to(member)
        .filter(wanted)
        .exclude(team_id__in=exclude_team_ids)
        .select_related("team")
        .order_by("team__name", "title")
    )


def leaning_on(member: Member, kr: KeyResult) -> list[Dependency]:
    """The dependencies not accepted by the other team that make the key result
    over-optimistic. The roll-up says whether there are any, so most pages ask nothing."""
    if not kr.is_over_optimistic:
        return []
    return list(
        Dependency.objects.visible_to(member)
        .filter(key_result=kr, state__in=UNACCEPTED_STATES)
        .select_related("providing_team")
        .order_by("created_at", "id")
    )
