"""The rules of objectives, key results, initiatives and alignment (okrs/services.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from cairn.conftest import World
from cairn.okrs import services
from cairn.okrs.models import Alignment, Direction, KeyResult, KeyResultKind, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import Period, Role

pytestmark = pytest.mark.django_db


def error_fields(caught: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(caught.value.message_dict) if hasattr(caught.value, "error_dict") else set()


def objective_of(world: World, **kwargs: Any) -> Objective:
    kwargs.setdefault("title", "An objective")
    if "owner_person" not in kwargs and "owner_teams" not in kwargs:
        kwargs["owner_teams"] = [world.team]
    kwargs.setdefault("period", world.period)
    return services.create_objective(actor=kwargs.pop("actor", world.admin), **kwargs)


def year_period(world: World) -> Period:
    return org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2026",
        kind="year",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
    )


def other_quarter(world: World) -> Period:
    return org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2027 Q1",
        start=dt.date(2027, 1, 1),
        end=dt.date(2027, 3, 31),
    )


# Ownership ----------------------------------------------------------------------------------


def test_an_objective_is_owned_by_one_person(world: World) -> None:
    objective = objective_of(world, actor=world.member, owner_person=world.member)
    assert objective.owner_person == world.member
    assert list(objective.owner_teams.all()) == []


def test_two_owning_teams_make_a_shared_okr(world: World) -> None:
    objective = objective_of(world, owner_teams=[world.team, world.other_team])
    assert set(objective.owner_teams.all()) == {world.team, world.other_team}


def test_it_rejects_an_objective_without_owner(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        objective_of(world, owner_teams=[])
    assert "owner_person" in error_fields(caught)


def test_it_rejects_a_person_and_teams_together(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        objective_of(world, owner_person=world.member, owner_teams=[world.team])
    assert "owner_teams" in error_fields(caught)


def test_a_member_cannot_give_an_objective_to_a_team_they_are_not_in(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        objective_of(world, actor=world.member, owner_teams=[world.team, world.other_team])
    assert "owner_teams" in error_fields(caught)
    assert "Platform" in str(caught.value)


def test_a_member_can_give_an_objective_to_their_own_team(world: World) -> None:
    objective = objective_of(world, actor=world.member, owner_teams=[world.team])
    assert list(objective.owner_teams.all()) == [world.team]


def test_an_admin_can_give_an_objective_to_any_team(world: World) -> None:
    objective = objective_of(world, actor=world.admin, owner_teams=[world.other_team])
    assert list(objective.owner_teams.all()) == [world.other_team]


def test_a_member_cannot_add_a_foreign_team_on_update(world: World) -> None:
    objective = objective_of(world, actor=world.member)
    with pytest.raises(ValidationError):
        services.update_objective(
            objective=objective, actor=world.member, owner_teams=[world.team, world.other_team]
        )


def test_an_update_can_move_ownership_from_teams_to_a_person(world: World) -> None:
    objective = objective_of(world)
    services.update_objective(
        objective=objective, actor=world.admin, owner_person=world.member, owner_teams=[]
    )
    objective.refresh_from_db()
    assert objective.owner_person == world.member
    assert not objective.owner_teams.exists()


def test_it_rejects_an_inactive_owner(world: World) -> None:
    org_services.change_member(member=world.member, actor=world.admin, is_active=False)
    with pytest.raises(ValidationError):
        objective_of(world, owner_person=world.member)


def test_it_rejects_an_empty_title(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        objective_of(world, title="   ")
    assert "title" in error_fields(caught)


def test_it_rejects_an_unknown_visibility(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        objective_of(world, visibility="secret")
    assert "visibility" in error_fields(caught)


# Key results --------------------------------------------------------------------------------


def kr(world: World, objective: Objective, **kwargs: Any) -> KeyResult:
    kwargs.setdefault("title", "A key result")
    return services.create_key_result(actor=world.admin, objective=objective, **kwargs)


def test_it_rejects_a_target_equal_to_start(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        kr(world, objective_of(world), start_value=10, target_value=10)
    assert error_fields(caught) == {"target_value"}


def test_it_rejects_a_target_equal_to_start_on_update(world: World, key_result: KeyResult) -> None:
    with pytest.raises(ValidationError) as caught:
        services.update_key_result(key_result=key_result, actor=world.admin, target_value=0)
    assert error_fields(caught) == {"target_value"}


@pytest.mark.parametrize(
    ("start", "target", "field"), [(-1, 50, "start_value"), (0, 101, "target_value")]
)
def test_a_percentage_lies_between_0_and_100(
    world: World, start: int, target: int, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        kr(
            world,
            objective_of(world),
            kind=KeyResultKind.PERCENTAGE,
            start_value=start,
            target_value=target,
        )
    assert error_fields(caught) == {field}


def test_a_percentage_gets_the_percent_unit(world: World) -> None:
    result = kr(
        world,
        objective_of(world),
        kind=KeyResultKind.PERCENTAGE,
        start_value=20,
        target_value=40,
        unit="pts",
    )
    assert result.unit == "%"


def test_a_milestone_is_normalised_to_zero_to_one(world: World) -> None:
    result = kr(
        world,
        objective_of(world),
        kind=KeyResultKind.MILESTONE,
        start_value=5,
        target_value=5,
        unit="x",
        direction=Direction.DOWN,
    )
    assert (result.start_value, result.target_value) == (0, 1)
    assert result.direction == Direction.UP
    assert result.unit == ""
    assert not result.is_done


def test_the_direction_is_inferred_from_start_and_target(world: World) -> None:
    objective = objective_of(world)
    assert kr(world, objective, start_value=0, target_value=10).direction == Direction.UP
    falling = kr(world, objective, start_value=10, target_value=3)
    assert falling.direction == Direction.DOWN
    services.set_current_value(key_result=falling, actor=world.admin, value=6.5)
    assert falling.progress == pytest.approx(0.5)


def test_it_rejects_a_direction_that_contradicts_start_and_target(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        kr(world, objective_of(world), start_value=10, target_value=3, direction=Direction.UP)
    assert error_fields(caught) == {"direction"}


def test_it_rejects_a_negative_weight(world: World, key_result: KeyResult) -> None:
    with pytest.raises(ValidationError) as caught:
        kr(world, objective_of(world), weight=-1)
    assert error_fields(caught) == {"weight"}
    with pytest.raises(ValidationError):
        services.update_key_result(key_result=key_result, actor=world.admin, weight=-0.5)


def test_a_key_result_starts_at_its_start_value_and_owner_defaults(world: World) -> None:
    objective = objective_of(world, owner_person=world.member)
    result = kr(world, objective, start_value=3, target_value=9)
    assert result.current_value == 3
    assert result.owner == world.member


def test_an_update_re_infers_the_direction(world: World, key_result: KeyResult) -> None:
    services.update_key_result(
        key_result=key_result, actor=world.admin, start_value=100, target_value=10
    )
    key_result.refresh_from_db()
    assert key_result.direction == Direction.DOWN


def test_an_update_keeps_decimal_values_exact(world: World, key_result: KeyResult) -> None:
    services.update_key_result(key_result=key_result, actor=world.admin, target_value=0.1)
    key_result.refresh_from_db()
    assert key_result.target_value == Decimal("0.1")


def test_changing_the_kind_resets_the_current_value(world: World, key_result: KeyResult) -> None:
    services.set_current_value(key_result=key_result, actor=world.admin, value=300)
    services.update_key_result(
        key_result=key_result, actor=world.admin, kind=KeyResultKind.MILESTONE
    )
    key_result.refresh_from_db()
    assert key_result.current_value == 0
    assert key_result.target_value == 1


# Alignment ----------------------------------------------------------------------------------


def test_an_objective_aligns_to_an_objective_in_the_same_period(world: World) -> None:
    parent, child = objective_of(world, title="parent"), objective_of(world, title="child")
    link = services.align(actor=world.admin, child=child, parent_objective=parent)
    assert link.parent_objective == parent
    assert list(Alignment.objects.filter(child=child)) == [link]


def test_an_objective_aligns_to_a_key_result(world: World, key_result: KeyResult) -> None:
    child = objective_of(world, title="child")
    link = services.align(actor=world.admin, child=child, parent_key_result=key_result)
    assert link.parent_objective_id_effective() == key_result.objective_id


def test_an_objective_aligns_to_an_enclosing_period(world: World) -> None:
    parent = objective_of(world, title="yearly", period=year_period(world))
    child = objective_of(world, title="quarterly")
    services.align(actor=world.admin, child=child, parent_objective=parent)


def test_it_rejects_a_parent_in_a_period_that_does_not_enclose_the_child(world: World) -> None:
    child = objective_of(world, title="yearly", period=year_period(world))
    parent = objective_of(world, title="quarterly")
    with pytest.raises(ValidationError) as caught:
        services.align(actor=world.admin, child=child, parent_objective=parent)
    assert error_fields(caught) == {"parent"}
    later = objective_of(world, title="later", period=other_quarter(world))
    with pytest.raises(ValidationError):
        services.align(actor=world.admin, child=parent, parent_objective=later)


def test_it_rejects_aligning_an_objective_to_itself(world: World, objective: Objective) -> None:
    with pytest.raises(ValidationError, match="cycle"):
        services.align(actor=world.admin, child=objective, parent_objective=objective)


def test_it_rejects_aligning_an_objective_to_its_own_key_result(
    world: World, objective: Objective, key_result: KeyResult
) -> None:
    with pytest.raises(ValidationError, match="cycle"):
        services.align(actor=world.admin, child=objective, parent_key_result=key_result)


def test_it_rejects_a_two_step_cycle(world: World) -> None:
    a, b = objective_of(world, title="a"), objective_of(world, title="b")
    services.align(actor=world.admin, child=a, parent_objective=b)
    with pytest.raises(ValidationError, match="cycle"):
        services.align(actor=world.admin, child=b, parent_objective=a)


def test_it_rejects_a_cycle_through_a_key_result(world: World) -> None:
    a, b, c = (objective_of(world, title=t) for t in "abc")
    b_result = kr(world, b)
    services.align(actor=world.admin, child=a, parent_key_result=b_result)
    services.align(actor=world.admin, child=b, parent_objective=c)
    with pytest.raises(ValidationError, match="cycle"):
        services.align(actor=world.admin, child=c, parent_objective=a)


def test_it_rejects_a_duplicate_alignment(world: World, key_result: KeyResult) -> None:
    parent, child = objective_of(world, title="parent"), objective_of(world, title="child")
    services.align(actor=world.admin, child=child, parent_objective=parent)
    with pytest.raises(ValidationError, match="already"):
        services.align(actor=world.admin, child=child, parent_objective=parent)
    services.align(actor=world.admin, child=child, parent_key_result=key_result)
    with pytest.raises(ValidationError, match="already"):
        services.align(actor=world.admin, child=child, parent_key_result=key_result)


def test_it_rejects_aligning_to_both_or_neither(world: World, key_result: KeyResult) -> None:
    child = objective_of(world)
    with pytest.raises(ValidationError):
        services.align(actor=world.admin, child=child)
    with pytest.raises(ValidationError):
        services.align(
            actor=world.admin,
            child=child,
            parent_objective=key_result.objective,
            parent_key_result=key_result,
        )


def test_moving_an_aligned_objective_out_of_its_parents_period_is_rejected(world: World) -> None:
    parent, child = objective_of(world, title="parent"), objective_of(world, title="child")
    services.align(actor=world.admin, child=child, parent_objective=parent)
    with pytest.raises(ValidationError) as caught:
        services.update_objective(objective=child, actor=world.admin, period=other_quarter(world))
    assert error_fields(caught) == {"period"}


def test_moving_a_parent_away_from_its_childrens_period_is_rejected(world: World) -> None:
    parent, child = objective_of(world, title="parent"), objective_of(world, title="child")
    services.align(actor=world.admin, child=child, parent_objective=parent)
    with pytest.raises(ValidationError) as caught:
        services.update_objective(objective=parent, actor=world.admin, period=other_quarter(world))
    assert error_fields(caught) == {"period"}
    services.update_objective(objective=parent, actor=world.admin, period=year_period(world))


# Initiatives --------------------------------------------------------------------------------


def test_an_initiative_takes_its_objectives_period(world: World, key_result: KeyResult) -> None:
    initiative = services.create_initiative(
        actor=world.member,
        objective=key_result.objective,
        key_result=key_result,
        team=world.team,
        title="Run the beta",
    )
    assert initiative.period == world.period


def test_it_rejects_an_initiative_on_another_objectives_key_result(
    world: World, key_result: KeyResult
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_initiative(
            actor=world.admin,
            objective=objective_of(world),
            key_result=key_result,
            team=world.team,
            title="x",
        )
    assert error_fields(caught) == {"key_result"}


def test_it_rejects_an_unknown_initiative_state(world: World, objective: Objective) -> None:
    with pytest.raises(ValidationError):
        services.create_initiative(
            actor=world.admin, objective=objective, team=world.team, title="x", state="sleeping"
        )


# Tenancy ------------------------------------------------------------------------------------


@pytest.fixture
def globex(world: World) -> dict[str, Any]:
    """An objective, key result, team and person of the other organization."""
    team = org_services.create_team(
        organization=world.other_org, actor=world.outsider, name="Globex team"
    )
    person = org_services.add_member(
        organization=world.other_org,
        email="gus@globex.test",
        role=Role.MEMBER,
        actor=world.outsider,
    )
    objective = services.create_objective(
        actor=world.outsider,
        period=world.other_period,
        title="Globex objective",
        owner_teams=[team],
    )
    result = services.create_key_result(
        actor=world.outsider, objective=objective, title="Globex KR"
    )
    initiative = services.create_initiative(
        actor=world.outsider, objective=objective, team=team, title="Globex initiative"
    )
    return {
        "team": team,
        "person": person,
        "objective": objective,
        "key_result": result,
        "initiative": initiative,
        "period": world.other_period,
    }


def test_an_objective_cannot_take_a_team_of_another_org(world: World, globex: dict) -> None:
    with pytest.raises(ValidationError):
        objective_of(world, owner_teams=[globex["team"]])


def test_an_objective_cannot_take_an_owner_of_another_org(world: World, globex: dict) -> None:
    with pytest.raises(ValidationError):
        objective_of(world, owner_person=globex["person"])


def test_an_objective_cannot_take_a_period_of_another_org(world: World, globex: dict) -> None:
    with pytest.raises(ValidationError):
        objective_of(world, period=globex["period"])


def test_an_objective_cannot_be_shared_with_another_org(world: World, globex: dict) -> None:
    with pytest.raises(ValidationError):
        objective_of(world, visibility="private", shared_with=[globex["person"]])


def test_an_objective_update_rejects_another_orgs_arguments(
    world: World, objective: Objective, globex: dict
) -> None:
    for kwargs in (
        {"owner_teams": [globex["team"]]},
        {"period": globex["period"]},
        {"owner_person": globex["person"], "owner_teams": []},
        {"shared_with": [globex["person"]]},
    ):
        with pytest.raises(ValidationError):
            services.update_objective(objective=objective, actor=world.admin, **kwargs)
    objective.refresh_from_db()
    assert list(objective.owner_teams.all()) == [world.team]


def test_an_objective_cannot_align_to_another_orgs_parent(
    world: World, objective: Objective, globex: dict
) -> None:
    with pytest.raises(ValidationError):
        services.align(actor=world.admin, child=objective, parent_objective=globex["objective"])
    with pytest.raises(ValidationError):
        services.align(actor=world.admin, child=objective, parent_key_result=globex["key_result"])


def test_no_service_acts_on_another_orgs_items(world: World, globex: dict) -> None:
    actor = world.admin
    calls = [
        lambda: services.update_objective(objective=globex["objective"], actor=actor, title="x"),
        lambda: services.delete_objective(objective=globex["objective"], actor=actor),
        lambda: services.create_key_result(actor=actor, objective=globex["objective"], title="x"),
        lambda: services.update_key_result(key_result=globex["key_result"], actor=actor, title="x"),
        lambda: services.delete_key_result(key_result=globex["key_result"], actor=actor),
        lambda: services.create_initiative(
            actor=actor, objective=globex["objective"], team=world.team, title="x"
        ),
        lambda: services.update_initiative(initiative=globex["initiative"], actor=actor, title="x"),
        lambda: services.delete_initiative(initiative=globex["initiative"], actor=actor),
    ]
    for call in calls:
        with pytest.raises(ValidationError):
            call()
    assert Objective.objects.filter(pk=globex["objective"].pk, title="Globex objective").exists()
    assert KeyResult.objects.filter(pk=globex["key_result"].pk, title="Globex KR").exists()


def test_a_key_result_and_initiative_reject_another_orgs_people_and_teams(
    world: World, objective: Objective, key_result: KeyResult, globex: dict
) -> None:
    with pytest.raises(ValidationError):
        kr(world, objective, owner=globex["person"])
    with pytest.raises(ValidationError):
        services.update_key_result(key_result=key_result, actor=world.admin, owner=globex["person"])
    with pytest.raises(ValidationError):
        services.create_initiative(
            actor=world.admin, objective=objective, team=globex["team"], title="x"
        )
    with pytest.raises(ValidationError):
        services.create_initiative(
            actor=world.admin,
            objective=objective,
            team=world.team,
            title="x",
            owner=globex["person"],
        )


def test_a_viewer_cannot_own_an_objective_or_a_key_result(
    world: World, objective: Objective
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_objective(
            actor=world.admin, period=world.period, title="Vic's", owner_person=world.viewer
        )
    assert error_fields(caught) == {"owner_person"}
    with pytest.raises(ValidationError) as caught:
        services.create_key_result(
            actor=world.admin, objective=objective, title="Vic's KR", owner=world.viewer
        )
    assert error_fields(caught) == {"owner"}
