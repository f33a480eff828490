"""`visible_to` agrees with a plain-Python statement of the visibility rule on random orgs.

The rule (PRODUCT.md, "Transparency"): everyone in an organization sees its public items;
a private objective or key result is visible only to its owner(s), the members (and leads)
of the objective's owning teams, the people it is explicitly shared with, and admins.
Key results and initiatives are hidden whenever what they belong to is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.http import Http404
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cairn.okrs.models import Initiative, KeyResult, Objective, Visibility
from cairn.orgs import access
from cairn.orgs.models import Member, Role
from cairn.testing.factories import (
    InitiativeFactory,
    KeyResultFactory,
    MemberFactory,
    ObjectiveFactory,
    OrganizationFactory,
    PeriodFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


# The shape of a random organization, as plain data: people are indexes into `roles`, teams
# indexes into `teams`.


@dataclass
class ObjectiveSpec:
    owner: int | None
    teams: list[int]
    private: bool
    shared: list[int]
    key_results: list[KeyResultSpec] = field(default_factory=list)
    initiatives: list[tuple[int | None, int]] = field(default_factory=list)  # (kr idx, team)


@dataclass
class KeyResultSpec:
    owner: int | None
    private: bool
    shared: list[int]


@dataclass
class OrgSpec:
    roles: list[str]
    teams: list[tuple[list[int], int | None]]  # (members, lead)
    objectives: list[ObjectiveSpec]


@st.composite
def org_specs(draw: st.DrawFn) -> OrgSpec:
    roles = draw(st.lists(st.sampled_from(Role.values), min_size=1, max_size=5))
    people = st.integers(min_value=0, max_value=len(roles) - 1)
    some_people = st.lists(people, max_size=3, unique=True)
    teams = draw(st.lists(st.tuples(some_people, st.none() | people), min_size=1, max_size=3))
    team_ids = st.integers(min_value=0, max_value=len(teams) - 1)
    objectives = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if draw(st.booleans()):
            owner, owning = draw(people), []
        else:
            owner, owning = None, draw(st.lists(team_ids, min_size=1, max_size=2, unique=True))
        spec = ObjectiveSpec(owner, owning, draw(st.booleans()), draw(some_people))
        spec.key_results = draw(
            st.lists(
                st.builds(KeyResultSpec, st.none() | people, st.booleans(), some_people),
                max_size=3,
            )
        )
        kr_index = st.none() | st.integers(min_value=0, max_value=len(spec.key_results) - 1)
        if not spec.key_results:
            kr_index = st.none()
        spec.initiatives = draw(st.lists(st.tuples(kr_index, team_ids), max_size=2))
        objectives.append(spec)
    return OrgSpec(roles, teams, objectives)


@dataclass
class Built:
    members: list[Member]
    objectives: dict[int, ObjectiveSpec]
    key_results: dict[int, tuple[ObjectiveSpec, KeyResultSpec]]
    initiatives: dict[int, tuple[ObjectiveSpec, KeyResultSpec | None]]


def build(spec: OrgSpec) -> Built:
    org = OrganizationFactory()
    members = [MemberFactory(organization=org, role=role) for role in spec.roles]
    teams = [
        TeamFactory(
            organization=org,
            members=[members[i] for i in people],
            lead=members[lead] if lead is not None else None,
        )
        for people, lead in spec.teams
    ]
    period = PeriodFactory(organization=org)
    built = Built(members, {}, {}, {})
    for o in spec.objectives:
        objective = ObjectiveFactory(
            period=period,
            owner_person=members[o.owner] if o.owner is not None else None,
            owner_teams=[teams[i] for i in o.teams],
            visibility=Visibility.PRIVATE if o.private else Visibility.PUBLIC,
            shared_with=[members[i] for i in o.shared],
        )
        built.objectives[objective.pk] = o
        key_results = []
        for k in o.key_results:
            result = KeyResultFactory(
                objective=objective,
                owner=members[k.owner] if k.owner is not None else None,
                visibility=Visibility.PRIVATE if k.private else Visibility.PUBLIC,
                shared_with=[members[i] for i in k.shared],
            )
            key_results.append(result)
            built.key_results[result.pk] = (o, k)
        for kr_index, team in o.initiatives:
            initiative = InitiativeFactory(
                objective=objective,
                key_result=key_results[kr_index] if kr_index is not None else None,
                team=teams[team],
            )
            built.initiatives[initiative.pk] = (
                o,
                o.key_results[kr_index] if kr_index is not None else None,
            )
    return built


# The reference rule, in plain Python --------------------------------------------------------


def in_owning_team(spec: OrgSpec, o: ObjectiveSpec, person: int) -> bool:
    return any(person in spec.teams[t][0] or spec.teams[t][1] == person for t in o.teams)


def may_see_objective(spec: OrgSpec, o: ObjectiveSpec, person: int) -> bool:
    return (
        spec.roles[person] == Role.ADMIN
        or not o.private
        or o.owner == person
        or in_owning_team(spec, o, person)
        or person in o.shared
    )


def may_see_key_result(spec: OrgSpec, o: ObjectiveSpec, k: KeyResultSpec, person: int) -> bool:
    if not may_see_objective(spec, o, person):
        return False
    return (
        spec.roles[person] == Role.ADMIN
        or not k.private
        or k.owner == person
        or o.owner == person
        or in_owning_team(spec, o, person)
        or person in k.shared
    )


def may_see_initiative(
    spec: OrgSpec, o: ObjectiveSpec, k: KeyResultSpec | None, person: int
) -> bool:
    if k is None:
        return may_see_objective(spec, o, person)
    return may_see_key_result(spec, o, k, person)


@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=org_specs())
def test_visible_to_agrees_with_the_visibility_rule(spec: OrgSpec, db: None) -> None:
    built = build(spec)
    for person, member in enumerate(built.members):
        member = Member.objects.select_related("organization").get(pk=member.pk)
        objectives = set(Objective.objects.visible_to(member).values_list("pk", flat=True))
        assert objectives == {
            pk for pk, o in built.objectives.items() if may_see_objective(spec, o, person)
        }
        key_results = set(KeyResult.objects.visible_to(member).values_list("pk", flat=True))
        assert key_results == {
            pk for pk, (o, k) in built.key_results.items() if may_see_key_result(spec, o, k, person)
        }
        initiatives = set(Initiative.objects.visible_to(member).values_list("pk", flat=True))
        assert initiatives == {
            pk for pk, (o, k) in built.initiatives.items() if may_see_initiative(spec, o, k, person)
        }
        # The gate agrees with the QuerySet, one object at a time.
        for objective in Objective.objects.filter(pk__in=built.objectives):
            found = _found(access.objective_for, member, objective.uid)
            assert found == (objective.pk in objectives)


def _found(lookup: Any, member: Member, uid: Any) -> bool:
    try:
        lookup(member, uid)
    except Http404:
        return False
    return True


@hypothesis_settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=org_specs())
def test_nothing_is_visible_across_organizations(spec: OrgSpec, db: None) -> None:
    built = build(spec)
    stranger = MemberFactory(role=Role.ADMIN)
    assert not Objective.objects.visible_to(stranger).filter(pk__in=built.objectives).exists()
    assert not KeyResult.objects.visible_to(stranger).filter(pk__in=built.key_results).exists()
    assert not Initiative.objects.visible_to(stranger).filter(pk__in=built.initiatives).exists()
