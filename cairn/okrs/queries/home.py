"""The organization home: what matters to the person reading it, in full, and every other
objective of the period a page at a time.

At thousands of objectives a period, a home that draws them all is a page nobody can read
(and seconds to render). It shows in full the objectives of the reader's own teams, those
of the teams at the top of the organization and the reader's own (personal ones, or where
they own a key result); "All objectives" lists the rest `ALL_PAGE_SIZE` at a time, narrowed
to a team and the teams below it. Each read goes through the gate (`objective_cards`); the
number of queries does not depend on the number of objectives.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from cairn.okrs.models import KeyResult, Objective, ObjectiveTeam
from cairn.okrs.queries.cards import ObjectiveCard, objective_cards
from cairn.okrs.queries.teams import TeamTree
from cairn.orgs.access import team_ids_of
from cairn.orgs.models import Member, Period, Team

ALL_PAGE_SIZE = 50


@dataclass
class TeamGroup:
    team: Team
    cards: list[ObjectiveCard] = field(default_factory=list)


@dataclass
class HomeSections:
    """The home's sections in reading order. A team's objectives are under the team (a
    shared one under each owning team shown); "yours" holds the reader's objectives no group
    shows: personal ones, and other teams' where they own a key result."""

    yours: list[ObjectiveCard]
    my_teams: list[TeamGroup]
    company: list[TeamGroup]

    @property
    def cards(self) -> list[ObjectiveCard]:
        """Every card shown, each once (what the staleness counts cover)."""
        seen: dict[int, ObjectiveCard] = {}
        for card in self.yours:
            seen.setdefault(card.objective.pk, card)
        for group in (*self.my_teams, *self.company):
            for card in group.cards:
                seen.setdefault(card.objective.pk, card)
        return list(seen.values())

    @property
    def is_empty(self) -> bool:
        return not self.yours and not any(g.cards for g in (*self.my_teams, *self.company))


def teams_of(member: Member) -> list[Team]:
    """The teams `member` belongs to or leads (`access.team_ids_of`, which the gate reads
    anyway), by name."""
    return list(
        Team.objects.filter(
            organization_id=member.organization_id, pk__in=team_ids_of(member)
        ).order_by("name")
    )


def home_sections(
    member: Member,
    period: Period,
    today: dt.date,
    *,
    my_teams: list[Team],
    top_teams: list[Team],
) -> HomeSections:
    """The reader's sections of `period`'s home, in four queries: the ids of the candidate
    objectives (theirs, those they own a key result of, those of their teams and of the top
    teams), then their cards (`objective_cards`, the gate)."""
    my_team_ids = {team.pk for team in my_teams}
    team_ids = my_team_ids | {team.pk for team in top_teams}
    # One list of ids, so that each planner reads three indexes instead of filtering every
    # objective of the period against three subqueries.
    candidates = set(
        Objective.objects.filter(period=period, owner_person=member)
        .order_by()
        .values_list("id", flat=True)
        .union(
            KeyResult.objects.filter(
                organization_id=member.organization_id, owner=member, objective__period=period
            )
            .order_by()
            .values_list("objective_id", flat=True),
            ObjectiveTeam.objects.filter(team_id__in=team_ids, objective__period=period)
            .order_by()
            .values_list("objective_id", flat=True),
        )
    )
    groups = {team.pk: TeamGroup(team) for team in my_teams}
    company: dict[int, TeamGroup] = {}
    yours = []
    cards = (
        objective_cards(member, Objective.objects.filter(pk__in=candidates), today)
        if candidates
        else []
    )
    for card in cards:
        shown = False
        for team in card.owner_teams:
            if team.pk in groups:
                groups[team.pk].cards.append(card)
                shown = True
            elif team.parent_id is None:
                company.setdefault(team.pk, TeamGroup(team)).cards.append(card)
                shown = True
        if not shown:
            yours.append(card)
    return HomeSections(
        yours=yours,
        my_teams=list(groups.values()),
        company=sorted(company.values(), key=lambda g: g.team.name.lower()),
    )


@dataclass
class AllPage:
    """One page of "All objectives"."""

    cards: list[ObjectiveCard]
    number: int
    has_next: bool
    team: Team | None

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def start(self) -> int:
        return (self.number - 1) * ALL_PAGE_SIZE + 1


def all_objectives(
    member: Member, period: Period, today: dt.date, *, number: int, team: TeamTree | None
) -> AllPage:
    """Page `number` (from 1) of the period's objectives `member` may see, oldest first;
    with `team`, those owned by it or a team below it. One more row than the page is read to
    know whether there is a next page, instead of counting them all."""
    objectives: QuerySet[Objective] = Objective.objects.filter(period=period)
    if team is not None:
        objectives = objectives.filter(
            pk__in=ObjectiveTeam.objects.filter(team_id__in=team.ids).values("objective_id")
        )
    offset = (number - 1) * ALL_PAGE_SIZE
    cards = objective_cards(
        member, objectives, today, limit=(offset, offset + ALL_PAGE_SIZE + 1), signals=False
    )
    return AllPage(
        cards=cards[:ALL_PAGE_SIZE],
        number=number,
        has_next=len(cards) > ALL_PAGE_SIZE,
        team=team.team if team else None,
    )


def near_top_teams(member: Member) -> list[Team]:
    """The teams at the top of the organization and the level below them."""
    return list(
        Team.objects.filter(organization_id=member.organization_id).filter(
            Q(parent__isnull=True) | Q(parent__parent__isnull=True, parent__isnull=False)
        )
    )


def filter_teams(near_top: list[Team], my_teams: list[Team]) -> list[Team]:
    """The teams "All objectives" offers to narrow to: the top two levels of the organization
    and the reader's own teams (any other team narrows from its own page's link)."""
    by_id = {team.pk: team for team in (*near_top, *my_teams)}
    return sorted(by_id.values(), key=lambda team: team.name.lower())
