"""The alignment structure of a period: what `graph.hydrate` and the pages start from.

Ids only, read in a fixed number of set-based queries whatever the period's size: which
objectives of the period the member may see (the `visible_to` gate decides), their owners and
owning teams, every alignment link touching them and which far ends the member may see, and
the visible dependencies. Counts, the team tree and the private chains are worked out on it
in Python; an objective in `up`/`down` that is neither in `owners` nor in `elsewhere` is one
the member may not see.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from django.db.models import DEFERRED, Model, OuterRef, Q, QuerySet, Subquery

from cairn.alignment.models import Dependency, DependencyState
from cairn.okrs.models import Alignment, KeyResult, Objective, ObjectiveTeam
from cairn.orgs.models import Member, Period, Team

TEAM_FIELDS = ("id", "uid", "organization_id", "name", "parent_id", "lead_id")


# The links of an objective, flat: the other end, then the parent key result the link goes
# through (or None), for each link in turn (a period has thousands: no object per link).
Links = list[int | None]


def pairs(links: Links) -> Iterator[tuple[int, int | None]]:
    """(other end, parent key result) of each link in `links`."""
    ends = iter(links)
    return zip(ends, ends, strict=True)  # type: ignore[arg-type]


class TeamRow(NamedTuple):
    """What the structure keeps of a team (a `Team` is built only for the teams drawn)."""

    pk: int
    uid: uuid.UUID
    name: str
    parent_id: int | None
    lead_id: int | None


_M = TypeVar("_M", bound=Model)


def model_from(model: type[_M], fields: Sequence[str], values: Sequence[object]) -> _M:
    """An instance of `model` from the values of a `values_list(*fields)` row, as the ORM
    builds one (the fields not given are deferred: the caller reads only those given)."""
    given = dict(zip(fields, values, strict=True))
    attnames = [f.attname for f in model._meta.concrete_fields]
    return model.from_db(None, attnames, [given.get(name, DEFERRED) for name in attnames])


def team_model(row: TeamRow, organization_id: int) -> Team:
    """A `Team` for the templates, from its row (its other fields are not loaded)."""
    values = (row.pk, row.uid, organization_id, row.name, row.parent_id, row.lead_id)
    return model_from(Team, TEAM_FIELDS, values)


class DependencyLink(NamedTuple):
    """A visible dependency in the structure (the request itself is read by `hydrate`)."""

    pk: int
    objective_id: int
    requesting_team_id: int
    providing_team_id: int


@dataclass
class Structure:
    """The period's alignment as ids (see the module docstring)."""

    member: Member
    period: Period
    # Every team of the organization by name (or, for a team's view, the teams it names).
    teams: list[TeamRow]
    team_by_id: dict[int, TeamRow]
    # The period's objectives the member may see, oldest first: their owners, the first of
    # their owning teams (none for a personal objective) and the others of a shared OKR.
    owners: dict[int, int | None]
    team_of: dict[int, int]
    co_teams: dict[int, list[int]]
    # Links with an end among those objectives, in the order they were made.
    up: dict[int, Links]
    down: dict[int, Links]
    # Objectives of other periods at the end of a link that the member may see.
    elsewhere: set[int]
    # The visible dependencies raised from those objectives that are sideways links: not
    # made a shared OKR, not withdrawn.
    dependencies: list[DependencyLink]
    _models: dict[int, Team] = field(default_factory=dict)

    def is_visible(self, objective_id: int) -> bool:
        return objective_id in self.owners or objective_id in self.elsewhere

    def team(self, pk: int) -> Team:
        """The team as a model, built from its row the first time it is asked for."""
        team = self._models.get(pk)
        if team is None:
            team = self._models[pk] = team_model(self.team_by_id[pk], self.member.organization_id)
        return team

    def team_ids(self, objective_id: int) -> list[int]:
        """The owning teams of a visible objective of the period (none: a personal one)."""
        first = self.team_of.get(objective_id)
        if first is None:
            return []
        return [first, *self.co_teams.get(objective_id, ())]

    def teams_of(self, objective_id: int) -> list[Team]:
        rows = [self.team_by_id[pk] for pk in self.team_ids(objective_id)]
        rows.sort(key=lambda row: row.name.lower())
        return [self.team(row.pk) for row in rows]

    def chain(self, starts: Iterable[int]) -> list[int]:
        """The hidden objectives in the alignment chains of `starts` — above them going up and
        below them going down, through hidden objectives only — in the order they are met."""
        found: list[int] = []
        seen: set[int] = set()
        for start in starts:
            for step in (self.up, self.down):
                stack = [start]
                while stack:
                    links = step.get(stack.pop(), [])
                    for other in reversed(links[::2]):
                        assert other is not None
                        if other not in seen and not self.is_visible(other):
                            seen.add(other)
                            found.append(other)
                            stack.append(other)
        return found


def _links(
    up: dict[int, Links],
    down: dict[int, Links],
    rows: Iterable[tuple[int, int | None, int | None, int | None]],
) -> None:
    for child, parent, kr, kr_parent in rows:
        above = parent or kr_parent
        assert above is not None
        if child in up:
            up[child] += (above, kr)
        else:
            up[child] = [above, kr]
        if above in down:
            down[above] += (child, kr)
        else:
            down[above] = [child, kr]


def _owners(
    owners: dict[int, int | None],
    team_of: dict[int, int],
    co_teams: dict[int, list[int]],
    rows: Iterable[tuple[int, int | None, int | None]],
) -> None:
    """(objective, owner, owning team) rows, one per owning team (a personal objective's with
    no team), into the structure's maps."""
    for pk, owner, team in rows:
        owners[pk] = owner
        if team is None:
            continue
        if pk not in team_of:
            team_of[pk] = team
        else:
            co_teams.setdefault(pk, []).append(team)


LINK_COLUMNS = (
    "child_id",
    "parent_objective_id",
    "parent_key_result_id",
    "parent_key_result__objective_id",
)


def team_rows(queryset: QuerySet[Team]) -> list[TeamRow]:
    """The teams of `queryset` by name, as rows."""
    return [
        TeamRow(*values)
        for values in queryset.order_by("name").values_list(
            "id", "uid", "name", "parent_id", "lead_id"
        )
    ]


def load_structure(member: Member, period: Period) -> Structure:
    """The structure of the whole period: five queries, whatever its size."""
    org_id = member.organization_id
    teams = team_rows(Team.objects.filter(organization_id=org_id))
    visible = Objective.objects.visible_to(member)
    owners: dict[int, int | None] = {}
    team_of: dict[int, int] = {}
    co_teams: dict[int, list[int]] = {}
    _owners(
        owners,
        team_of,
        co_teams,
        visible.filter(period=period)
        .order_by("created_at", "id")
        .values_list("id", "owner_person_id", "team_links__team_id"),
    )

    in_period = Objective.objects.filter(organization_id=org_id, period=period).values("pk")
    up: dict[int, Links] = {}
    down: dict[int, Links] = {}
    # Every link with an end in the period, whoever may see either end: the gate is applied
    # end by end (ids in `owners` and `elsewhere` are visible, every other one is hidden).
    _links(
        up,
        down,
        Alignment.objects.filter(organization_id=org_id)
        .filter(
            Q(child__in=in_period)
            | Q(parent_objective__in=in_period)
            | Q(parent_key_result__objective__in=in_period)
        )
        .order_by("created_at", "id")
        .values_list(*LINK_COLUMNS),
    )
    ends = (up.keys() | down.keys()) - owners.keys()
    elsewhere = set(visible.filter(pk__in=ends).values_list("pk", flat=True)) if ends else set()

    dependencies = [
        DependencyLink(*values)
        for values in Dependency.objects.visible_to(member)
        .filter(objective__period=period)
        # A request made shared became co-ownership, a withdrawn one is gone: neither is a
        # sideways link any more (the thread keeps them).
        .exclude(state__in=(DependencyState.MADE_SHARED, DependencyState.WITHDRAWN))
        .order_by("created_at", "id")
        .values_list("id", "objective_id", "requesting_team_id", "providing_team_id")
    ]
    return Structure(
        member=member,
        period=period,
        teams=teams,
        team_by_id={team.pk: team for team in teams},
        owners=owners,
        team_of=team_of,
        co_teams=co_teams,
        up=up,
        down=down,
        elsewhere=elsewhere,
        dependencies=dependencies,
    )


def load_team_structure(member: Member, period: Period, team: Team) -> Structure:
    """The structure around one team's own objectives of the period: their links and the
    ends of those links, in four queries whatever the period's size. (No dependencies: the
    team's view reads its own.)"""
    org_id = member.organization_id
    visible = Objective.objects.visible_to(member)
    owners: dict[int, int | None] = {}
    team_of: dict[int, int] = {}
    co_teams: dict[int, list[int]] = {}
    elsewhere: set[int] = set()

    def add(rows: Iterable[tuple[int, int | None, int, int | None]]) -> None:
        in_period = []
        for pk, owner, period_id, team_id in rows:
            if period_id != period.pk:
                elsewhere.add(pk)
            else:
                in_period.append((pk, owner, team_id))
        _owners(owners, team_of, co_teams, in_period)

    columns = ("id", "owner_person_id", "period_id", "team_links__team_id")
    owned = ObjectiveTeam.objects.filter(organization_id=org_id, team=team).values("objective")
    add(
        visible.filter(period=period, pk__in=owned)
        .order_by("created_at", "id")
        .values_list(*columns)
    )
    own = list(owners)
    up: dict[int, Links] = {}
    down: dict[int, Links] = {}
    if own:
        own_key_results = KeyResult.objects.filter(organization_id=org_id, objective__in=own)
        _links(
            up,
            down,
            Alignment.objects.filter(organization_id=org_id)
            .filter(
                Q(child__in=own)
                | Q(parent_objective__in=own)
                | Q(parent_key_result__in=own_key_results.values("pk"))
            )
            # The parent key result's objective read per link (a handful), not by a join
            # PostgreSQL would plan over every key result.
            .annotate(
                kr_objective=Subquery(
                    KeyResult.objects.filter(pk=OuterRef("parent_key_result_id"))
                    .order_by()
                    .values("objective_id")
                )
            )
            .order_by("created_at", "id")
            .values_list(*LINK_COLUMNS[:3], "kr_objective"),
        )
    # The visible ends of those links, with their owners and teams.
    ends = (up.keys() | down.keys()) - owners.keys()
    if ends:
        add(visible.filter(pk__in=ends).order_by("created_at", "id").values_list(*columns))
    named = {*team_of.values(), *(pk for pks in co_teams.values() for pk in pks), team.pk}
    teams = team_rows(Team.objects.filter(organization_id=org_id, pk__in=named))
    return Structure(
        member=member,
        period=period,
        teams=teams,
        team_by_id={team.pk: team for team in teams},
        owners=owners,
        team_of=team_of,
        co_teams=co_teams,
        up=up,
        down=down,
        elsewhere=elsewhere,
        dependencies=[],
    )
