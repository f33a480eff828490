"""THE gate (orgs/access.py) for the four people: admin, member, viewer, outsider.

Another org's object is a 404; a private object one may not see is a 404; a write one may
not make is a 403; admins see and change everything in their own organization.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cairn.conftest import World
from cairn.okrs import services as okr_services
from cairn.okrs.models import Initiative, KeyResult, Objective
from cairn.orgs import access
from cairn.orgs import services as org_services
from cairn.orgs.models import Member, Role, Team

pytestmark = pytest.mark.django_db


def loner(world: World) -> Member:
    """A plain member in no team: sees private items only by owning them or by a share."""
    return org_services.add_member(
        organization=world.org, email="lou@acme.test", role=Role.MEMBER, actor=world.admin
    )


def fresh(member: Member) -> Member:
    """The member as a new request would load it (the gate caches team ids per instance)."""
    return Member.objects.select_related("organization", "user").get(pk=member.pk)


@pytest.fixture
def initiative(world: World, key_result: KeyResult) -> Initiative:
    return okr_services.create_initiative(
        actor=world.member,
        objective=key_result.objective,
        key_result=key_result,
        team=world.team,
        title="Run the beta",
    )


@pytest.fixture
def everything(
    world: World, objective: Objective, key_result: KeyResult, initiative: Initiative
) -> dict[str, tuple[Callable[..., Any], uuid.UUID]]:
    """Each `*_for` lookup with the uid of an Acme object it finds."""
    return {
        "objective": (access.objective_for, objective.uid),
        "key_result": (access.key_result_for, key_result.uid),
        "initiative": (access.initiative_for, initiative.uid),
        "team": (access.team_for, world.team.uid),
        "period": (access.period_for, world.period.uid),
        "member": (access.other_member_for, world.member.uid),
    }


# Tenancy ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["objective", "key_result", "initiative", "team", "period", "member"]
)
@pytest.mark.parametrize("write", [False, True])
def test_another_orgs_object_is_not_found(
    world: World, everything: dict, kind: str, write: bool
) -> None:
    lookup, uid = everything[kind]
    with pytest.raises(Http404):
        lookup(fresh(world.outsider), uid, write=write)
    # ...while the same lookup works for Acme's admin
    assert lookup(fresh(world.admin), uid).uid == uid


@pytest.mark.parametrize(
    "kind", ["objective", "key_result", "initiative", "team", "period", "member"]
)
@pytest.mark.parametrize("uid", ["not-a-uuid", str(uuid.UUID(int=0))])
def test_a_malformed_or_unknown_uid_is_not_found(
    world: World, everything: dict, kind: str, uid: str
) -> None:
    lookup, _ = everything[kind]
    with pytest.raises(Http404):
        lookup(fresh(world.admin), uid)


def test_a_user_reaches_only_organizations_they_belong_to(world: World) -> None:
    assert access.member_for(world.member.user, "acme") == world.member
    with pytest.raises(Http404):
        access.member_for(world.outsider.user, "acme")
    with pytest.raises(Http404):
        access.member_for(world.member.user, "no-such-org")
    with pytest.raises(Http404):
        access.member_for(AnonymousUser(), "acme")  # type: ignore[arg-type]


def test_a_deactivated_member_is_shut_out(world: World) -> None:
    org_services.change_member(member=world.member, actor=world.admin, is_active=False)
    with pytest.raises(Http404):
        access.member_for(world.member.user, "acme")


# Private objectives -------------------------------------------------------------------------


def private(world: World, **kwargs: Any) -> Objective:
    kwargs.setdefault("owner_teams", [world.other_team] if "owner_person" not in kwargs else ())
    return okr_services.create_objective(
        actor=world.admin, period=world.period, title="Secret", visibility="private", **kwargs
    )


def sees(member: Member, objective: Objective) -> bool:
    try:
        access.objective_for(fresh(member), objective.uid)
    except Http404:
        return False
    return True


def test_a_private_objective_is_hidden_from_the_rest_of_the_org(
    world: World, private_objective: Objective
) -> None:
    assert not sees(world.member, private_objective)
    assert not sees(world.viewer, private_objective)
    assert not sees(world.outsider, private_objective)
    assert sees(world.admin, private_objective)
    for person in (world.member, world.viewer):
        assert private_objective not in Objective.objects.visible_to(fresh(person))
    with pytest.raises(Http404):  # 404, not 403, even for a write
        access.objective_for(fresh(world.member), private_objective.uid, write=True)


def test_a_private_objective_is_visible_to_its_owner(world: World) -> None:
    owner = loner(world)
    objective = private(world, owner_person=owner)
    assert sees(owner, objective)
    assert not sees(world.member, objective)


def test_a_private_objective_is_visible_to_members_of_an_owning_team(world: World) -> None:
    objective = private(world, owner_teams=[world.other_team, world.team])
    assert sees(world.member, objective)
    assert not sees(world.viewer, objective)


def test_joining_an_owning_team_reveals_a_private_objective(
    world: World, private_objective: Objective
) -> None:
    org_services.add_team_member(team=world.other_team, member=world.viewer, actor=world.admin)
    assert sees(world.viewer, private_objective)
    org_services.remove_team_member(team=world.other_team, member=world.viewer, actor=world.admin)
    assert not sees(world.viewer, private_objective)


def test_the_lead_of_an_owning_team_sees_a_private_objective(
    world: World, private_objective: Objective
) -> None:
    # A lead set outside the services (Django admin) is not in the membership table; the
    # lead may still edit the team's objectives, so must be able to see them.
    Team.objects.filter(pk=world.other_team.pk).update(lead=world.viewer)
    assert sees(world.viewer, private_objective)


def test_a_private_objective_is_visible_to_people_it_is_shared_with(world: World) -> None:
    objective = private(world, shared_with=[world.viewer])
    assert sees(world.viewer, objective)
    assert not sees(world.member, objective)


def test_the_key_results_and_initiatives_of_a_private_objective_are_hidden(
    world: World, private_objective: Objective
) -> None:
    result = okr_services.create_key_result(
        actor=world.admin, objective=private_objective, title="Hidden KR"
    )
    work = okr_services.create_initiative(
        actor=world.admin,
        objective=private_objective,
        key_result=result,
        team=world.team,
        title="Hidden",
    )
    work_on_objective = okr_services.create_initiative(
        actor=world.admin, objective=private_objective, team=world.team, title="Hidden too"
    )
    member = fresh(world.member)
    # Even the member whose team does the initiative: it moves something they cannot see.
    for lookup, uid in (
        (access.key_result_for, result.uid),
        (access.initiative_for, work.uid),
        (access.initiative_for, work_on_objective.uid),
    ):
        with pytest.raises(Http404):
            lookup(member, uid)
        assert lookup(fresh(world.admin), uid).uid == uid
    assert not KeyResult.objects.visible_to(member).filter(pk=result.pk).exists()
    assert not Initiative.objects.visible_to(member).filter(objective=private_objective).exists()


# Private key results in a public objective --------------------------------------------------


@pytest.fixture
def private_kr(world: World) -> KeyResult:
    objective = okr_services.create_objective(
        actor=world.admin, period=world.period, title="Public", owner_teams=[world.other_team]
    )
    return okr_services.create_key_result(
        actor=world.admin,
        objective=objective,
        title="Private KR",
        visibility="private",
        owner=world.admin,
    )


def sees_kr(member: Member, result: KeyResult) -> bool:
    try:
        access.key_result_for(fresh(member), result.uid)
    except Http404:
        return False
    return True


def test_a_private_key_result_is_hidden_inside_a_public_objective(
    world: World, private_kr: KeyResult
) -> None:
    assert sees(world.member, private_kr.objective)
    assert not sees_kr(world.member, private_kr)
    assert not sees_kr(world.viewer, private_kr)
    assert sees_kr(world.admin, private_kr)
    initiative = okr_services.create_initiative(
        actor=world.admin,
        objective=private_kr.objective,
        key_result=private_kr,
        team=world.team,
        title="Moves the private KR",
    )
    with pytest.raises(Http404):
        access.initiative_for(fresh(world.member), initiative.uid)


def test_a_private_key_result_is_visible_to_its_owner(world: World, private_kr: KeyResult) -> None:
    owner = loner(world)
    okr_services.update_key_result(key_result=private_kr, actor=world.admin, owner=owner)
    assert sees_kr(owner, private_kr)
    assert not sees_kr(world.member, private_kr)


def test_a_private_key_result_is_visible_to_the_objectives_owning_teams(
    world: World, private_kr: KeyResult
) -> None:
    org_services.add_team_member(team=world.other_team, member=world.viewer, actor=world.admin)
    assert sees_kr(world.viewer, private_kr)


def test_a_private_key_result_is_visible_to_the_objectives_owner(world: World) -> None:
    owner = loner(world)
    objective = okr_services.create_objective(
        actor=world.admin, period=world.period, title="Mine", owner_person=owner
    )
    result = okr_services.create_key_result(
        actor=world.admin,
        objective=objective,
        title="Private",
        visibility="private",
        owner=world.admin,
    )
    assert sees_kr(owner, result)
    assert not sees_kr(world.member, result)


def test_a_private_key_result_is_visible_to_people_it_is_shared_with(
    world: World, private_kr: KeyResult
) -> None:
    okr_services.update_key_result(
        key_result=private_kr, actor=world.admin, shared_with=[world.member]
    )
    assert sees_kr(world.member, private_kr)
    assert not sees_kr(world.viewer, private_kr)


# Writes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["objective", "key_result", "initiative", "team", "period", "member"]
)
def test_a_viewer_may_read_but_not_write(world: World, everything: dict, kind: str) -> None:
    lookup, uid = everything[kind]
    assert lookup(fresh(world.viewer), uid).uid == uid
    with pytest.raises(PermissionDenied):
        lookup(fresh(world.viewer), uid, write=True)


def test_a_viewer_cannot_write_even_what_they_own(world: World) -> None:
    owner = loner(world)
    objective = okr_services.create_objective(
        actor=world.admin, period=world.period, title="Lou's", owner_person=owner
    )
    org_services.change_member(member=owner, actor=world.admin, role=Role.VIEWER)
    with pytest.raises(PermissionDenied):
        access.objective_for(fresh(owner), objective.uid, write=True)


def test_a_member_who_does_not_own_an_item_may_read_but_not_write(world: World) -> None:
    objective = okr_services.create_objective(
        actor=world.admin, period=world.period, title="Platform's", owner_teams=[world.other_team]
    )
    result = okr_services.create_key_result(actor=world.admin, objective=objective, title="KR")
    work = okr_services.create_initiative(
        actor=world.admin, objective=objective, team=world.other_team, title="Work"
    )
    member = fresh(world.member)
    for lookup, uid in (
        (access.objective_for, objective.uid),
        (access.key_result_for, result.uid),
        (access.initiative_for, work.uid),
    ):
        assert lookup(member, uid).uid == uid
        with pytest.raises(PermissionDenied):
            lookup(member, uid, write=True)


def test_a_member_may_write_what_their_team_owns(world: World, everything: dict) -> None:
    member = fresh(world.member)
    for kind in ("objective", "key_result", "initiative"):
        lookup, uid = everything[kind]
        assert lookup(member, uid, write=True).uid == uid


def test_a_member_may_write_their_own_key_result_and_initiative(world: World) -> None:
    objective = okr_services.create_objective(
        actor=world.admin, period=world.period, title="Platform's", owner_teams=[world.other_team]
    )
    result = okr_services.create_key_result(
        actor=world.admin, objective=objective, title="KR", owner=world.member
    )
    work = okr_services.create_initiative(
        actor=world.admin, objective=objective, team=world.team, title="Product's part"
    )
    member = fresh(world.member)
    access.key_result_for(member, result.uid, write=True)
    access.initiative_for(member, work.uid, write=True)
    with pytest.raises(PermissionDenied):
        access.objective_for(member, objective.uid, write=True)


@pytest.mark.parametrize("kind", ["team", "period", "member"])
def test_only_admins_change_teams_periods_and_people(
    world: World, everything: dict, kind: str
) -> None:
    lookup, uid = everything[kind]
    with pytest.raises(PermissionDenied):
        lookup(fresh(world.member), uid, write=True)
    assert lookup(fresh(world.admin), uid, write=True).uid == uid


def test_an_admin_may_write_anything_in_their_org(
    world: World, everything: dict, private_objective: Objective
) -> None:
    admin = fresh(world.admin)
    for lookup, uid in everything.values():
        assert lookup(admin, uid, write=True).uid == uid
    assert access.objective_for(admin, private_objective.uid, write=True) == private_objective


def test_require_helpers(world: World) -> None:
    access.require_writer(world.member)
    access.require_admin(world.admin)
    with pytest.raises(PermissionDenied):
        access.require_writer(world.viewer)
    with pytest.raises(PermissionDenied):
        access.require_admin(world.member)
    assert world.viewer.role == Role.VIEWER
