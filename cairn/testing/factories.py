"""factory-boy factories for tests and benchmarks.

They respect tenancy: every row's organization is taken from its parents (an objective's
from its period, a key result's from its objective, ...), so a factory never builds a row
that points across two organizations unless a test does so on purpose.
They write rows directly, without history events; tests of the rules go through services.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

import factory
from factory.django import DjangoModelFactory

from cairn.okrs.models import (
    Alignment,
    Initiative,
    KeyResult,
    Objective,
    ObjectiveTeam,
    Visibility,
)
from cairn.orgs.models import (
    Member,
    Organization,
    Period,
    PeriodState,
    Role,
    Team,
    TeamMembership,
    User,
)


class OrganizationFactory(DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password("correct-horse-battery")


class MemberFactory(DjangoModelFactory[Member]):
    class Meta:
        model = Member

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER

    class Params:
        admin = factory.Trait(role=Role.ADMIN)
        viewer = factory.Trait(role=Role.VIEWER)


class TeamFactory(DjangoModelFactory[Team]):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    organization = factory.LazyAttribute(
        lambda o: (
            o.parent.organization
            if o.parent is not None
            else o.lead.organization
            if o.lead is not None
            else OrganizationFactory()
        )
    )
    name = factory.Sequence(lambda n: f"Team {n}")
    parent = None
    lead = None

    @factory.post_generation
    def members(self, create: bool, extracted: list[Member] | None, **kwargs: Any) -> None:
        """`TeamFactory(members=[...])` adds memberships; the lead is always a member."""
        if not create:
            return
        people = list(extracted or [])
        if self.lead is not None and self.lead not in people:
            people.append(self.lead)
        for person in people:
            TeamMembershipFactory(team=self, member=person)


class TeamMembershipFactory(DjangoModelFactory[TeamMembership]):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory(TeamFactory)
    member = factory.SubFactory(
        MemberFactory, organization=factory.SelfAttribute("..team.organization")
    )
    organization = factory.SelfAttribute("team.organization")


class PeriodFactory(DjangoModelFactory[Period]):
    class Meta:
        model = Period

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Period {n}")
    start = dt.date(2026, 10, 1)
    end = dt.date(2026, 12, 31)
    state = PeriodState.ACTIVE


class ObjectiveFactory(DjangoModelFactory[Objective]):
    """An objective owned by one person (a member of the period's organization) by default.

    `ObjectiveFactory(owner_person=None, owner_teams=[team, ...])` makes a team objective.
    """

    class Meta:
        model = Objective
        skip_postgeneration_save = True

    period = factory.SubFactory(PeriodFactory)
    organization = factory.SelfAttribute("period.organization")
    title = factory.Sequence(lambda n: f"Objective {n}")
    owner_person = factory.SubFactory(
        MemberFactory, organization=factory.SelfAttribute("..period.organization")
    )
    visibility = Visibility.PUBLIC

    @factory.post_generation
    def owner_teams(self, create: bool, extracted: list[Team] | None, **kwargs: Any) -> None:
        if not create or not extracted:
            return
        objective = cast(Objective, self)  # post_generation hooks receive the built model
        for team in extracted:
            ObjectiveTeam.objects.create(
                organization_id=objective.organization_id, objective=objective, team=team
            )

    @factory.post_generation
    def shared_with(self, create: bool, extracted: list[Member] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.shared_with.set(extracted)


class KeyResultFactory(DjangoModelFactory[KeyResult]):
    class Meta:
        model = KeyResult
        skip_postgeneration_save = True

    objective = factory.SubFactory(ObjectiveFactory)
    organization = factory.SelfAttribute("objective.organization")
    title = factory.Sequence(lambda n: f"Key result {n}")
    owner = factory.LazyAttribute(lambda o: o.objective.owner_person)
    start_value = Decimal(0)
    target_value = Decimal(100)
    current_value = Decimal(0)
    visibility = Visibility.PUBLIC

    @factory.post_generation
    def shared_with(self, create: bool, extracted: list[Member] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.shared_with.set(extracted)


class InitiativeFactory(DjangoModelFactory[Initiative]):
    class Meta:
        model = Initiative

    objective = factory.SubFactory(ObjectiveFactory)
    key_result = None
    organization = factory.SelfAttribute("objective.organization")
    period = factory.SelfAttribute("objective.period")
    team = factory.SubFactory(TeamFactory, organization=factory.SelfAttribute("..organization"))
    title = factory.Sequence(lambda n: f"Initiative {n}")


class AlignmentFactory(DjangoModelFactory[Alignment]):
    class Meta:
        model = Alignment

    child = factory.SubFactory(ObjectiveFactory)
    organization = factory.SelfAttribute("child.organization")
    parent_objective = factory.SubFactory(
        ObjectiveFactory, period=factory.SelfAttribute("..child.period")
    )
    parent_key_result = None
