"""Rules about organizations, people, teams and periods (orgs/services.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from cairn.conftest import World
from cairn.okrs import services as okr_services
from cairn.orgs import services
from cairn.orgs.models import Member, Period, PeriodKind, PeriodState, Role, Team

pytestmark = pytest.mark.django_db


# Organizations and people -------------------------------------------------------------------


def test_a_new_organization_starts_with_its_admin(db: None) -> None:
    org, admin = services.create_organization(
        name=" Initech ", slug="initech", admin_email="Bill@Initech.TEST"
    )
    assert org.name == "Initech"
    assert admin.role == Role.ADMIN
    assert admin.user.email == "bill@initech.test"


def test_it_rejects_a_taken_or_malformed_slug(world: World) -> None:
    with pytest.raises(ValidationError):
        services.create_organization(name="Acme 2", slug="acme", admin_email="a@b.test")
    with pytest.raises(ValidationError):
        services.create_organization(name="Bad", slug="-Bad Slug", admin_email="a@b.test")


def test_one_person_can_be_in_two_organizations_but_once_in_each(world: World) -> None:
    again = services.add_member(
        organization=world.other_org, email="mia@acme.test", role=Role.VIEWER, actor=world.outsider
    )
    assert again.user == world.member.user
    with pytest.raises(ValidationError) as caught:
        services.add_member(
            organization=world.org, email="MIA@acme.test", role=Role.MEMBER, actor=world.admin
        )
    assert "email" in caught.value.message_dict


def test_it_rejects_an_unknown_role_and_a_bad_email(world: World) -> None:
    with pytest.raises(ValidationError):
        services.add_member(
            organization=world.org, email="x@acme.test", role="boss", actor=world.admin
        )
    with pytest.raises(ValidationError):
        services.add_member(
            organization=world.org, email="nobody", role=Role.MEMBER, actor=world.admin
        )


def test_a_member_cannot_join_a_team_of_another_org(world: World) -> None:
    with pytest.raises(ValidationError):
        services.add_member(
            organization=world.other_org,
            email="new@globex.test",
            role=Role.MEMBER,
            actor=world.outsider,
            team=world.team,
        )
    with pytest.raises(ValidationError):
        services.add_team_member(team=world.team, member=world.outsider, actor=world.admin)


def test_the_last_admin_cannot_be_demoted_or_deactivated(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        services.change_member(member=world.admin, actor=world.admin, role=Role.MEMBER)
    assert "role" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.change_member(member=world.admin, actor=world.admin, is_active=False)
    world.admin.refresh_from_db()
    assert world.admin.role == Role.ADMIN and world.admin.is_active


def test_an_admin_can_step_down_once_another_admin_exists(world: World) -> None:
    services.change_member(member=world.member, actor=world.admin, role=Role.ADMIN)
    services.change_member(member=world.admin, actor=world.admin, role=Role.VIEWER)
    world.admin.refresh_from_db()
    assert world.admin.role == Role.VIEWER


def test_an_inactive_admin_does_not_count_as_the_remaining_admin(world: World) -> None:
    services.change_member(member=world.member, actor=world.admin, role=Role.ADMIN)
    services.change_member(member=world.member, actor=world.admin, is_active=False)
    with pytest.raises(ValidationError):
        services.change_member(member=world.admin, actor=world.admin, role=Role.MEMBER)


def test_another_orgs_admin_does_not_count_either(world: World) -> None:
    # Globex's admin is an admin too, but not of Acme.
    with pytest.raises(ValidationError):
        services.change_member(member=world.admin, actor=world.admin, role=Role.VIEWER)


# Teams --------------------------------------------------------------------------------------


def test_a_team_lead_becomes_a_member_of_the_team(world: World) -> None:
    team = services.create_team(
        organization=world.org,
        actor=world.admin,
        name="Growth",
        lead=world.viewer,
        parent=world.team,
    )
    assert list(team.members.all()) == [world.viewer]
    assert team.parent == world.team


def test_it_rejects_a_team_name_clash_ignoring_case(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_team(organization=world.org, actor=world.admin, name=" product ")
    assert "name" in caught.value.message_dict
    # the same name in another organization is fine
    services.create_team(organization=world.other_org, actor=world.outsider, name="Product")


def test_it_rejects_a_team_below_itself(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        services.update_team(team=world.team, actor=world.admin, parent=world.team)
    assert "parent" in caught.value.message_dict


def test_it_rejects_a_team_below_its_own_sub_team(world: World) -> None:
    child = services.create_team(
        organization=world.org, actor=world.admin, name="Child", parent=world.team
    )
    grandchild = services.create_team(
        organization=world.org, actor=world.admin, name="Grandchild", parent=child
    )
    with pytest.raises(ValidationError):
        services.update_team(team=world.team, actor=world.admin, parent=grandchild)
    world.team.refresh_from_db()
    assert world.team.parent is None
    services.update_team(team=grandchild, actor=world.admin, parent=world.other_team)


def test_it_rejects_a_parent_or_lead_from_another_org(world: World) -> None:
    foreign = services.create_team(
        organization=world.other_org, actor=world.outsider, name="Foreign"
    )
    with pytest.raises(ValidationError):
        services.create_team(organization=world.org, actor=world.admin, name="X", parent=foreign)
    with pytest.raises(ValidationError):
        services.update_team(team=world.team, actor=world.admin, parent=foreign)
    with pytest.raises(ValidationError):
        services.update_team(team=world.team, actor=world.admin, lead=world.outsider)


def test_a_team_with_sub_teams_cannot_be_deleted(world: World) -> None:
    services.create_team(organization=world.org, actor=world.admin, name="Child", parent=world.team)
    with pytest.raises(ValidationError, match="sub-teams"):
        services.delete_team(team=world.team, actor=world.admin)
    assert Team.objects.filter(pk=world.team.pk).exists()


def test_a_team_that_owns_objectives_cannot_be_deleted(world: World) -> None:
    objective = okr_services.create_objective(
        actor=world.admin, period=world.period, title="Owned", owner_teams=[world.other_team]
    )
    with pytest.raises(ValidationError, match="owns objectives"):
        services.delete_team(team=world.other_team, actor=world.admin)
    assert objective.owner_teams.get() == world.other_team


def test_a_team_with_initiatives_cannot_be_deleted(world: World) -> None:
    objective = okr_services.create_objective(
        actor=world.admin, period=world.period, title="Owned", owner_person=world.admin
    )
    okr_services.create_initiative(
        actor=world.admin, objective=objective, team=world.other_team, title="Work"
    )
    with pytest.raises(ValidationError, match="initiatives"):
        services.delete_team(team=world.other_team, actor=world.admin)


def test_an_empty_team_can_be_deleted(world: World) -> None:
    services.delete_team(team=world.other_team, actor=world.admin)
    assert not Team.objects.filter(pk=world.other_team.pk).exists()


def test_removing_the_lead_from_a_team_clears_the_lead(world: World) -> None:
    services.update_team(team=world.team, actor=world.admin, lead=world.member)
    services.remove_team_member(team=world.team, member=world.member, actor=world.admin)
    world.team.refresh_from_db()
    assert world.team.lead is None
    assert not world.team.members.exists()


def test_adding_a_team_member_twice_keeps_one_membership(world: World) -> None:
    first = services.add_team_member(team=world.team, member=world.member, actor=world.admin)
    second = services.add_team_member(team=world.team, member=world.member, actor=world.admin)
    assert first.pk == second.pk
    assert world.team.members.count() == 1


# Periods ------------------------------------------------------------------------------------


def test_it_rejects_a_period_name_clash(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_period(
            organization=world.org,
            actor=world.admin,
            name="2026 q4",
            start=dt.date(2027, 1, 1),
            end=dt.date(2027, 3, 31),
        )
    assert "name" in caught.value.message_dict


def test_it_rejects_a_period_ending_before_it_starts(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_period(
            organization=world.org,
            actor=world.admin,
            name="Backwards",
            start=dt.date(2027, 3, 1),
            end=dt.date(2027, 2, 1),
        )
    assert "end" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.update_period(period=world.period, actor=world.admin, end=dt.date(2026, 9, 1))


def test_a_one_day_period_is_allowed(world: World) -> None:
    services.create_period(
        organization=world.org,
        actor=world.admin,
        name="Hackday",
        kind=PeriodKind.CUSTOM,
        start=dt.date(2027, 1, 5),
        end=dt.date(2027, 1, 5),
    )


def test_the_next_quarter_follows_the_latest_quarter(world: World) -> None:
    services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2026 Q2",
        start=dt.date(2026, 4, 1),
        end=dt.date(2026, 6, 30),
    )
    created = services.create_next_quarter(organization=world.org, actor=world.admin)
    assert (created.name, created.start, created.end) == (
        "2027 Q1",
        dt.date(2027, 1, 1),
        dt.date(2027, 3, 31),
    )
    again = services.create_next_quarter(organization=world.org, actor=world.admin)
    assert again.name == "2027 Q2"


def test_the_next_quarter_ignores_years_and_custom_periods(world: World) -> None:
    services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2030",
        kind=PeriodKind.YEAR,
        start=dt.date(2030, 1, 1),
        end=dt.date(2030, 12, 31),
    )
    created = services.create_next_quarter(organization=world.org, actor=world.admin)
    assert created.name == "2027 Q1"


def test_the_first_quarter_is_the_current_one(db: None) -> None:
    org, admin = services.create_organization(name="New", slug="new", admin_email="n@new.test")
    created = services.create_next_quarter(
        organization=org, actor=admin, today=dt.date(2026, 5, 17)
    )
    assert (created.name, created.start, created.end) == (
        "2026 Q2",
        dt.date(2026, 4, 1),
        dt.date(2026, 6, 30),
    )


def test_the_next_quarter_is_per_organization(world: World) -> None:
    created = services.create_next_quarter(organization=world.other_org, actor=world.outsider)
    assert created.organization == world.other_org
    assert created.name == "2027 Q1"
    assert Period.objects.in_org(world.org).count() == 1


def test_a_period_with_objectives_cannot_be_deleted(world: World) -> None:
    okr_services.create_objective(
        actor=world.admin, period=world.period, title="x", owner_person=world.admin
    )
    with pytest.raises(ValidationError):
        services.delete_period(period=world.period, actor=world.admin)
    services.delete_period(period=world.other_period, actor=world.outsider)


def test_members_are_scoped_to_their_organization(world: World) -> None:
    assert set(Member.objects.in_org(world.org)) == {world.admin, world.member, world.viewer}


def test_a_second_period_of_the_same_kind_with_the_same_dates_is_rejected(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_period(
            organization=world.org,
            actor=world.admin,
            name="Dup Q4",
            start=world.period.start,
            end=world.period.end,
        )
    assert set(caught.value.message_dict) == {"start"}


def test_two_active_periods_of_one_kind_may_not_overlap(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_period(
            organization=world.org,
            actor=world.admin,
            name="November push",
            start=dt.date(2026, 11, 1),
            end=dt.date(2026, 11, 30),
            state=PeriodState.ACTIVE,
        )
    assert set(caught.value.message_dict) == {"state"}
    year = services.create_period(
        organization=world.org,
        actor=world.admin,
        name="2026",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
        kind=PeriodKind.YEAR,
        state=PeriodState.ACTIVE,
    )
    assert year.state == PeriodState.ACTIVE
