"""What an objective can be aligned to: the choices the "Align to…" form offers, and the
parent a posted choice names, both through the gate.

An organization of thousands of objectives cannot be offered in one list (a form of every
objective of the period took seconds to draw and megabytes to send). The form lists every
candidate when there are at most `ALIGN_CHOICES`; above that it suggests those of the teams
above the objective's own teams and of the top of the organization, and finds any other by
its title. Whatever the list shows, a posted choice is looked up on its own: a parent found
by search is as valid as one suggested, and one the member may not see is not found.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from cairn.okrs.models import KeyResult, Objective, ObjectiveTeam
from cairn.orgs.models import Member, Team, TeamMembership

ALIGN_CHOICES = 50


@dataclass
class AlignChoices:
    objectives: list[Objective]
    # True when these are not all the candidates: suggestions, or the first search matches.
    narrowed: bool
    search: str


def candidates(member: Member, objective: Objective) -> QuerySet[Objective]:
    """Visible objectives in the same or an enclosing period, the objective itself left out."""
    return (
        Objective.objects.visible_to(member)
        .filter(period__start__lte=objective.period.start, period__end__gte=objective.period.end)
        .exclude(pk=objective.pk)
    )


def align_choices(member: Member, objective: Objective, search: str = "") -> AlignChoices:
    """At most `ALIGN_CHOICES` candidates with their visible key results: all of them, or
    those whose title has `search` in it, or else suggestions (`_suggested_teams`)."""
    search = search.strip()
    qs = candidates(member, objective)
    if search:
        qs = qs.filter(title__icontains=search)
    found = _with_key_results(member, qs)[: ALIGN_CHOICES + 1]
    objectives = list(found)
    if len(objectives) <= ALIGN_CHOICES or search:
        return AlignChoices(objectives[:ALIGN_CHOICES], len(objectives) > ALIGN_CHOICES, search)
    owned = ObjectiveTeam.objects.filter(team_id__in=_suggested_teams(member, objective))
    suggested = _with_key_results(member, qs.filter(pk__in=owned.values("objective_id")))
    return AlignChoices(list(suggested[:ALIGN_CHOICES]), True, search)


def _suggested_teams(member: Member, objective: Objective) -> set[int]:
    """Where an objective usually aligns: its own teams (or its owner's) and the teams above
    them, and the teams at the top of the organization."""
    own = {link.team_id for link in objective.team_links.all()}
    if not own and objective.owner_person_id:
        own = set(
            TeamMembership.objects.filter(member_id=objective.owner_person_id).values_list(
                "team_id", flat=True
            )
        )
    teams = Team.objects.filter(organization_id=member.organization_id)
    near = teams.filter(Q(pk__in=own) | Q(children__in=own) | Q(parent__isnull=True))
    return set(near.values_list("id", flat=True))


def _with_key_results(member: Member, qs: QuerySet[Objective]) -> QuerySet[Objective]:
    return (
        qs.select_related("period")
        .prefetch_related(
            Prefetch(
                "key_results", queryset=KeyResult.objects.visible_to(member), to_attr="visible_krs"
            )
        )
        .order_by("-period__end", "title", "id")
    )


def align_parent(
    member: Member, objective: Objective, value: str
) -> tuple[Objective | None, KeyResult | None] | None:
    """The candidate a choice names ("o:<uid>" or "k:<uid>"), or None when there is none the
    member may see in the same or an enclosing period."""
    kind, _sep, text = value.partition(":")
    try:
        uid = uuid.UUID(text)
    except ValueError:
        return None
    if kind == "o":
        parent = candidates(member, objective).filter(uid=uid).first()
        return (parent, None) if parent else None
    if kind == "k":
        # The gate sees the key result only when it sees its objective too.
        key_result = (
            KeyResult.objects.visible_to(member)
            .filter(
                uid=uid,
                objective__period__start__lte=objective.period.start,
                objective__period__end__gte=objective.period.end,
            )
            .exclude(objective=objective)
            .select_related("objective__period")
            .first()
        )
        return (None, key_result) if key_result else None
    return None
