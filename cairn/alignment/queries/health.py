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

The findings are worked out on ids and counted in full, in a fixed number of queries
whatever the size of the period; only the rows shown are read in full. A period at 10,000
objectives has thousands of findings: the page shows the first `HEALTH_ROWS` of each, and
the rest a page at a time (`finding_page`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, ExpressionWrapper, OuterRef, Q
from django.db.models.fields import BooleanField
from django.utils import timezone

from cairn.alignment.models import UNACCEPTED_STATES, Dependency, unanswered_q
from cairn.alignment.queries.graph import OBJECTIVE_TEXTS
from cairn.alignment.queries.structure import TeamRow, model_from, team_model, team_rows
from cairn.okrs.models import (
    Alignment,
    Initiative,
    KeyResult,
    Objective,
    Visibility,
)
from cairn.orgs.models import Member, Period, Team

# Rows of each finding the report page shows; the rest load a page at a time.
HEALTH_ROWS = 50
FINDINGS = ("unaligned", "silos", "unanswered", "over_optimistic", "shared")


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
    # Every finding's full count by name (`FINDINGS`): the lists may hold the first rows only.
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, items in zip(FINDINGS, self._lists(), strict=True):
            self.counts.setdefault(name, len(items))

    def _lists(self) -> tuple[list[object], ...]:
        return (
            list(self.unaligned),
            list(self.silos),
            list(self.unanswered),
            list(self.over_optimistic),
            list(self.shared_without_initiative),
        )

    @property
    def finding_count(self) -> int:
        return sum(self.counts.values())

    @property
    def more(self) -> dict[str, int]:
        """How many rows of each finding are not in its list."""
        return {
            name: self.counts[name] - len(items)
            for name, items in zip(FINDINGS, self._lists(), strict=True)
        }


@dataclass
class FindingPage:
    """One page of one finding's rows (`items` are of the finding's type)."""

    finding: str
    items: list[object]
    count: int
    page: int
    next_page: int | None
    rows: int = HEALTH_ROWS

    @property
    def more(self) -> int:
        """Rows after this page."""
        return max(0, self.count - self.page * self.rows)


# The findings on ids -------------------------------------------------------------------------


@dataclass
class _Analysis:
    member: Member
    period: Period
    now: dt.datetime
    teams: dict[int, TeamRow]
    # The period's visible objectives, oldest first, and their owning teams by name.
    owners: dict[int, list[int]]
    unaligned: list[int]
    silos: list[tuple[int, int]]
    # Unanswered requests as the values `_requests` reads, in the order asked.
    unanswered: list[tuple[object, ...]]
    over_optimistic: list[tuple[object, ...]]
    shared: list[tuple[int, list[int]]]
    private_hidden: int
    _teams: dict[int, Team] = field(default_factory=dict)

    def team(self, pk: int) -> Team:
        if pk not in self._teams:
            self._teams[pk] = team_model(self.teams[pk], self.member.organization_id)
        return self._teams[pk]


REQUEST_FIELDS = (
    "id",
    "uid",
    "objective_id",
    "requesting_team_id",
    "providing_team_id",
    "need",
    "state",
    "asked_at",
    "answered_at",
)
KEY_RESULT_FIELDS = ("id", "uid", "objective_id", "title", "visibility", "unaccepted_dependencies")


def _analyse(member: Member, period: Period, now: dt.datetime) -> _Analysis:
    org_id = member.organization_id
    teams = {row.pk: row for row in team_rows(Team.objects.filter(organization_id=org_id))}
    owners: dict[int, list[int]] = {}
    aligned: set[int] = set()
    visible_private = 0
    for pk, team_id, has_parent, visibility in (
        Objective.objects.visible_to(member)
        .filter(period=period)
        .annotate(has_parent=Exists(Alignment.objects.filter(child=OuterRef("pk"))))
        .order_by("created_at", "id")
        .values_list("id", "team_links__team_id", "has_parent", "visibility")
    ):
        if pk not in owners:
            owners[pk] = []
            visible_private += visibility == Visibility.PRIVATE
        if team_id is not None:
            owners[pk].append(team_id)
        if has_parent:
            aligned.add(pk)
    for owning in owners.values():
        owning.sort(key=lambda pk: teams[pk].name.lower())

    unaligned = [
        pk
        for pk, owning in owners.items()
        if pk not in aligned and not any(teams[team].parent_id is None for team in owning)
    ]

    linked: set[int] = set()
    unanswered: list[tuple[object, ...]] = []
    # The key results leaning on an unaccepted request: a request is as visible as its key
    # result, so every visible over-optimistic key result of the period is among these.
    leaning: set[int] = set()
    waiting = ExpressionWrapper(unanswered_q(now), output_field=BooleanField())
    for values in (
        Dependency.objects.visible_to(member)
        .filter(objective__period=period)
        .annotate(waiting=waiting)
        .order_by("asked_at", "id")
        .values_list(*REQUEST_FIELDS, "key_result_id", "waiting")
    ):
        linked |= {values[3], values[4]}  # type: ignore[arg-type]
        if values[-2] is not None and values[6] in UNACCEPTED_STATES:
            leaning.add(values[-2])  # type: ignore[arg-type]
        if values[-1]:
            unanswered.append(values[:-2])
    owned: dict[int, int] = {}
    for owning in owners.values():
        for team in owning:
            owned[team] = owned.get(team, 0) + 1
        if len(owning) > 1:
            linked.update(owning)
    silos = sorted(
        ((pk, count) for pk, count in owned.items() if pk not in linked),
        key=lambda silo: teams[silo[0]].name.lower(),
    )

    over_optimistic = list(
        KeyResult.objects.visible_to(member)
        .filter(pk__in=leaning, objective__period=period, unaccepted_dependencies__gt=0)
        .order_by("objective__created_at", "objective_id", "position", "id")
        .values_list(*KEY_RESULT_FIELDS)
    )

    shared = [pk for pk, owning in owners.items() if len(owning) > 1]
    working: set[tuple[int, int]] = set()
    if shared:
        working = set(
            Initiative.objects.visible_to(member)
            .filter(objective__in=shared)
            .order_by()
            .values_list("objective_id", "team_id")
            .distinct()
        )
    missing = [(pk, [team for team in owners[pk] if (pk, team) not in working]) for pk in shared]
    return _Analysis(
        member=member,
        period=period,
        now=now,
        teams=teams,
        owners=owners,
        unaligned=unaligned,
        silos=silos,
        unanswered=unanswered,
        over_optimistic=over_optimistic,
        shared=[(pk, teams_missing) for pk, teams_missing in missing if teams_missing],
        private_hidden=_private_hidden(member, period, visible_private),
    )


def _private_hidden(member: Member, period: Period, visible_objectives: int) -> int:
    """The one count of hidden items a page may show: the number, never what they are (the
    private items of the period less those the member may see)."""
    if member.is_admin:
        return 0
    private = Objective.objects.in_org(member.organization).filter(
        period=period, visibility=Visibility.PRIVATE
    )
    key_results = (
        KeyResult.objects.filter(
            organization_id=member.organization_id,
            objective__period=period,
            visibility=Visibility.PRIVATE,
        )
        # Asked of each private key result of the period (a few hundred), not as a set of
        # every visible one.
        .annotate(seen=Exists(KeyResult.objects.visible_to(member).filter(pk=OuterRef("pk"))))
        .aggregate(total=Count("pk"), visible=Count("pk", filter=Q(seen=True)))
    )
    return private.count() - visible_objectives + key_results["total"] - key_results["visible"]


# Reading the rows shown ------------------------------------------------------------------------


def _rows(
    analysis: _Analysis, slices: dict[str, slice]
) -> tuple[
    list[UnalignedObjective],
    list[Silo],
    list[UnansweredRequest],
    list[KeyResult],
    list[SharedWithoutInitiative],
]:
    """The findings' rows in `slices`, read in one query (their objectives)."""
    unaligned = analysis.unaligned[slices["unaligned"]]
    silos = analysis.silos[slices["silos"]]
    unanswered = analysis.unanswered[slices["unanswered"]]
    over_optimistic = analysis.over_optimistic[slices["over_optimistic"]]
    shared = analysis.shared[slices["shared"]]
    wanted = {*unaligned, *(pk for pk, _ in shared)}
    wanted |= {values[2] for values in unanswered}  # type: ignore[misc]
    wanted |= {values[2] for values in over_optimistic}  # type: ignore[misc]
    objectives: dict[int, Objective] = {}
    if wanted:
        objectives = (
            Objective.objects.visible_to(analysis.member)
            .filter(pk__in=wanted)
            .select_related("owner_person__user")
            .defer(*OBJECTIVE_TEXTS)
            .in_bulk()
        )

    def teams(pks: Iterable[int]) -> list[Team]:
        return [analysis.team(pk) for pk in pks]

    requests = []
    for values in unanswered:
        dependency = model_from(Dependency, REQUEST_FIELDS, values)
        dependency.objective = objectives[dependency.objective_id]
        dependency.requesting_team = analysis.team(dependency.requesting_team_id)
        dependency.providing_team = analysis.team(dependency.providing_team_id)
        requests.append(UnansweredRequest(dependency, (analysis.now - dependency.asked_at).days))
    key_results = []
    for values in over_optimistic:
        key_result = model_from(KeyResult, KEY_RESULT_FIELDS, values)
        key_result.objective = objectives[key_result.objective_id]
        key_results.append(key_result)
    return (
        [UnalignedObjective(objectives[pk], teams(analysis.owners[pk])) for pk in unaligned],
        [Silo(analysis.team(pk), count) for pk, count in silos],
        requests,
        key_results,
        [
            SharedWithoutInitiative(objectives[pk], teams(analysis.owners[pk]), teams(missing))
            for pk, missing in shared
        ],
    )


def alignment_health(
    member: Member, period: Period, now: dt.datetime | None = None, *, rows: int | None = None
) -> HealthReport:
    """The report; with `rows`, each finding's list holds its first `rows` only (its count
    is in `counts`)."""
    analysis = _analyse(member, period, now or timezone.now())
    part = slice(0, rows)
    lists = _rows(analysis, dict.fromkeys(FINDINGS, part))
    return HealthReport(
        period,
        *lists,
        private_hidden=analysis.private_hidden,
        objective_count=len(analysis.owners),
        counts=dict(
            zip(
                FINDINGS,
                (
                    len(analysis.unaligned),
                    len(analysis.silos),
                    len(analysis.unanswered),
                    len(analysis.over_optimistic),
                    len(analysis.shared),
                ),
                strict=True,
            )
        ),
    )


def finding_page(
    member: Member,
    period: Period,
    finding: str,
    page: int,
    *,
    rows: int | None = None,
    now: dt.datetime | None = None,
) -> FindingPage:
    """Rows of one finding (a name of `FINDINGS`) after its first page: page 2 is rows
    `rows` to `2 * rows`, as the report shows the first `rows`."""
    rows = rows or HEALTH_ROWS
    analysis = _analyse(member, period, now or timezone.now())
    count = {
        "unaligned": len(analysis.unaligned),
        "silos": len(analysis.silos),
        "unanswered": len(analysis.unanswered),
        "over_optimistic": len(analysis.over_optimistic),
        "shared": len(analysis.shared),
    }[finding]
    pages = max(1, -(-count // rows))
    page = min(max(page, 1), pages)
    mine = slice((page - 1) * rows, page * rows)
    slices = {name: mine if name == finding else slice(0, 0) for name in FINDINGS}
    lists = _rows(analysis, slices)
    items: list[object] = list(lists[FINDINGS.index(finding)])
    return FindingPage(
        finding=finding,
        items=items,
        count=count,
        page=page,
        next_page=page + 1 if page < pages else None,
        rows=rows,
    )
