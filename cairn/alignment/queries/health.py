"""The alignment health report of a period: where alignment is missing or at risk.

Findings, each read for the member through the `visible_to` gate:
- objectives below the top level aligned to nothing (not owned by a root team; personal
  objectives count as below the top level). A link to a parent the member may not see still
  counts as aligned: the structure is true, and the map shows that parent redacted;
- silos: teams that own an objective of the period and have no sideways link in it — no
  dependency in or out (any state) and no shared OKR with another team;
- dependency requests still unanswered a week after they were made;
- over-optimistic key results: leaning on a dependency the other team has not accepted;
- shared OKRs where an owning team has no initiative on it (in any period: deferred work
  moves on but still counts);
- how many private objectives and key results of the period the member may not see (a count
  only, for those who may not see them).

A fixed number of queries whatever the size of the period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from cairn.alignment.models import Dependency
from cairn.okrs.models import (
    Alignment,
    Initiative,
    KeyResult,
    Objective,
    ObjectiveTeam,
    Visibility,
)
from cairn.orgs.models import Member, Period, Team


@dataclass(frozen=True)
class UnalignedObjective:
    objective: Objective
    teams: list[Team]


@dataclass(frozen=True)
class Silo:
    team: Team
    objectives: int


@dataclass(frozen=True)
class UnansweredRequest:
    dependency: Dependency
    days: int


@dataclass(frozen=True)
class SharedWithoutInitiative:
    objective: Objective
    teams: list[Team]
    missing: list[Team]


@dataclass
class HealthReport:
    period: Period
    unaligned: list[UnalignedObjective]
    silos: list[Silo]
    unanswered: list[UnansweredRequest]
    over_optimistic: list[KeyResult]
    shared_without_initiative: list[SharedWithoutInitiative]
    # Private objectives and key results of the period the member may not see.
    private_hidden: int
    objective_count: int

    @property
    def finding_count(self) -> int:
        return (
            len(self.unaligned)
            + len(self.silos)
            + len(self.unanswered)
            + len(self.over_optimistic)
            + len(self.shared_without_initiative)
        )


def _private_hidden(member: Member, period: Period) -> int:
    """The one count of hidden items a page may show: the number, never what they are."""
    if member.is_admin:
        return 0
    objectives = (
        Objective.objects.in_org(member.organization)
        .filter(period=period, visibility=Visibility.PRIVATE)
        .exclude(pk__in=Objective.objects.visible_to(member).values("pk"))
        .count()
    )
    key_results = (
        KeyResult.objects.in_org(member.organization)
        .filter(objective__period=period, visibility=Visibility.PRIVATE)
        .exclude(pk__in=KeyResult.objects.visible_to(member).values("pk"))
        .count()
    )
    return objectives + key_results


def alignment_health(
    member: Member, period: Period, now: dt.datetime | None = None
) -> HealthReport:
    now = now or timezone.now()
    org_id = member.organization_id
    teams = {team.pk: team for team in Team.objects.filter(organization_id=org_id)}
    in_period = Objective.objects.visible_to(member).filter(period=period)
    objectives = list(
        in_period.select_related("owner_person__user")
        .defer("description")
        .order_by("created_at", "id")
    )
    owners: dict[int, list[Team]] = {objective.pk: [] for objective in objectives}
    for objective_id, team_id in ObjectiveTeam.objects.filter(
        objective__in=in_period.values("pk")
    ).values_list("objective_id", "team_id"):
        owners[objective_id].append(teams[team_id])
    for owning in owners.values():
        owning.sort(key=lambda team: team.name.lower())

    aligned = set(
        Alignment.objects.filter(organization_id=org_id, child__in=in_period.values("pk"))
        .values_list("child_id", flat=True)
        .distinct()
    )
    unaligned = [
        UnalignedObjective(objective, owners[objective.pk])
        for objective in objectives
        if objective.pk not in aligned
        and not any(team.parent_id is None for team in owners[objective.pk])
    ]

    dependencies = Dependency.objects.visible_to(member).filter(objective__period=period)
    linked: set[int] = set()
    for requesting, providing in dependencies.values_list(
        "requesting_team_id", "providing_team_id"
    ):
        linked |= {requesting, providing}
    owned: dict[int, int] = {}
    for owning in owners.values():
        for team in owning:
            owned[team.pk] = owned.get(team.pk, 0) + 1
        if len(owning) > 1:
            linked |= {team.pk for team in owning}
    silos = sorted(
        (Silo(teams[pk], count) for pk, count in owned.items() if pk not in linked),
        key=lambda silo: silo.team.name.lower(),
    )

    unanswered = [
        UnansweredRequest(dependency, (now - dependency.asked_at).days)
        for dependency in dependencies.unanswered(now)
        .select_related("objective", "requesting_team", "providing_team")
        .order_by("asked_at", "id")
    ]

    over_optimistic = list(
        KeyResult.objects.visible_to(member)
        .filter(objective__period=period, unaccepted_dependencies__gt=0)
        .select_related("objective")
        .defer("description", "context_why", "context_baseline", "context_tactic")
        .order_by("objective__created_at", "objective_id", "position", "id")
    )

    shared = [objective for objective in objectives if len(owners[objective.pk]) > 1]
    working: set[tuple[int, int]] = set()
    if shared:
        working = set(
            Initiative.objects.visible_to(member)
            .filter(objective__in=[objective.pk for objective in shared])
            .values_list("objective_id", "team_id")
            .distinct()
        )
    shared_without_initiative = []
    for objective in shared:
        missing = [team for team in owners[objective.pk] if (objective.pk, team.pk) not in working]
        if missing:
            shared_without_initiative.append(
                SharedWithoutInitiative(objective, owners[objective.pk], missing)
            )

    return HealthReport(
        period=period,
        unaligned=unaligned,
        silos=silos,
        unanswered=unanswered,
        over_optimistic=over_optimistic,
        shared_without_initiative=shared_without_initiative,
        private_hidden=_private_hidden(member, period),
        objective_count=len(objectives),
    )
