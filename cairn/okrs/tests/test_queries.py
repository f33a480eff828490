"""Read helpers for the OKR pages: visibility, progress over visible key results, grouping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cairn.conftest import World
from cairn.okrs import queries, services
from cairn.okrs.models import Objective
from cairn.okrs.progress import Pace
from cairn.orgs import services as org_services
from cairn.orgs.models import Period, PeriodState

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 15)


def all_cards(member, world: World) -> list[queries.ObjectiveCard]:
    return queries.objective_cards(
        member, Objective.objects.visible_to(member).filter(period=world.period), TODAY
    )


def test_objective_cards_leave_out_private_objectives_for_those_who_may_not_see_them(
    world: World, objective: Objective, private_objective: Objective
) -> None:
    assert [c.objective for c in all_cards(world.member, world)] == [objective]
    assert [c.objective for c in all_cards(world.viewer, world)] == [objective]
    assert {c.objective for c in all_cards(world.admin, world)} == {objective, private_objective}


def test_objective_cards_cannot_be_widened_by_the_queryset_passed_in(
    world: World, private_objective: Objective
) -> None:
    cards = queries.objective_cards(
        world.member, Objective.objects.filter(pk=private_objective.pk), TODAY
    )
    assert cards == []


def test_objective_progress_is_the_weighted_mean_over_the_key_results_the_member_sees(
    world: World,
) -> None:
    objective = services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Platform goal",
        owner_teams=[world.other_team],
    )
    public = services.create_key_result(
        actor=world.admin, objective=objective, title="Public", target_value=10
    )
    secret = services.create_key_result(
        actor=world.admin,
        objective=objective,
        title="Secret",
        target_value=10,
        visibility="private",
        weight=3,
    )
    services.set_current_value(key_result=public, actor=None, value=5)
    services.set_current_value(key_result=secret, actor=None, value=10)
    [member_card] = all_cards(world.member, world)
    [admin_card] = all_cards(world.admin, world)
    assert [kr.title for kr in member_card.key_results] == ["Public"]
    assert member_card.progress.value == pytest.approx(0.5)
    assert admin_card.progress.value == pytest.approx((0.5 + 3 * 1.0) / 4)


def test_cards_carry_expected_progress_and_pace(
    world: World, objective: Objective, key_result
) -> None:
    [card] = all_cards(world.member, world)
    assert card.progress.expected == pytest.approx(46 / 92)
    assert card.progress.pace == Pace.BEHIND
    assert card.progress.expected_pct == 50
    services.set_current_value(key_result=key_result, actor=None, value=400_000)
    [card] = all_cards(world.member, world)
    assert card.progress.pace == Pace.AHEAD and card.progress.pct == 80


def test_an_objective_without_key_results_has_no_progress_or_pace(world: World) -> None:
    services.create_objective(
        actor=world.admin, period=world.period, title="Empty", owner_person=world.member
    )
    [card] = all_cards(world.member, world)
    assert card.progress.value is None and card.progress.pace is None


def test_shared_objective_lists_every_owning_team(world: World) -> None:
    services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Shared",
        owner_teams=[world.team, world.other_team],
    )
    [card] = all_cards(world.member, world)
    assert card.is_shared and card.team_names == "Platform, Product"


def test_objective_cards_use_a_constant_number_of_queries(world: World) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            all_cards(world.member, world)
        return len(ctx.captured_queries)

    def add(n: int) -> None:
        for i in range(n):
            o = services.create_objective(
                actor=world.admin, period=world.period, title=f"O{i}", owner_teams=[world.team]
            )
            services.create_key_result(actor=world.admin, objective=o, title="K", target_value=3)

    # The gate reads the member's teams once (`access.team_ids_of`, kept on the member).
    all_cards(world.member, world)
    add(2)
    small = count()
    add(6)
    assert count() == small == 3


def test_home_sections_put_each_objective_where_the_reader_looks_first(world: World) -> None:
    child = org_services.create_team(
        organization=world.org, actor=world.admin, name="Growth", parent=world.other_team
    )
    org_services.create_team(organization=world.org, actor=world.admin, name="Empty team")
    services.create_objective(
        actor=world.admin, period=world.period, title="Grow", owner_teams=[child]
    )
    services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Shared",
        owner_teams=[world.team, world.other_team],
    )
    services.create_objective(
        actor=world.admin, period=world.period, title="Mine", owner_person=world.member
    )
    services.create_objective(
        actor=world.admin, period=world.period, title="Someone's", owner_person=world.admin
    )
    my_teams = queries.teams_of(world.member)
    top = [t for t in queries.near_top_teams(world.member) if t.parent_id is None]
    sections = queries.home_sections(
        world.member, world.period, TODAY, my_teams=my_teams, top_teams=top
    )
    assert [c.objective.title for c in sections.yours] == ["Mine"]
    assert [(g.team.name, [c.objective.title for c in g.cards]) for g in sections.my_teams] == [
        ("Product", ["Shared"])
    ]
    # Top-level teams with something in the period, each with its objectives ("Grow" is a
    # level below and "Someone's" another person's: "All objectives" lists them).
    assert [(g.team.name, [c.objective.title for c in g.cards]) for g in sections.company] == [
        ("Platform", ["Shared"])
    ]
    assert {c.objective.title for c in sections.cards} == {"Mine", "Shared"}


def _period(
    world: World, name: str, start: dt.date, end: dt.date, state: str, kind: str = "quarter"
) -> Period:
    return org_services.create_period(
        organization=world.org,
        actor=world.admin,
        name=name,
        start=start,
        end=end,
        state=state,
        kind=kind,
    )


def test_current_period_is_the_active_one_containing_today(world: World) -> None:
    _period(world, "2027 Q1", dt.date(2027, 1, 1), dt.date(2027, 3, 31), PeriodState.PLANNING)
    _period(world, "2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31), PeriodState.ACTIVE, "year")
    periods = queries.periods_of(world.admin)
    assert queries.current_period(periods, TODAY) == world.period


def test_current_period_falls_back_to_the_latest_open_one(world: World) -> None:
    later = _period(
        world, "2027 Q1", dt.date(2027, 1, 1), dt.date(2027, 3, 31), PeriodState.PLANNING
    )
    periods = queries.periods_of(world.admin)
    assert queries.current_period(periods, dt.date(2030, 1, 1)) == later
    assert queries.current_period([], TODAY) is None


def test_alignment_lists_only_visible_parents_and_children(
    world: World, objective: Objective, key_result, private_objective: Objective
) -> None:
    secret_child = services.create_objective(
        actor=world.admin,
        period=world.period,
        title="Secret child",
        owner_teams=[world.other_team],
        visibility="private",
    )
    services.align(actor=world.admin, child=objective, parent_objective=private_objective)
    services.align(actor=world.admin, child=secret_child, parent_key_result=key_result)
    assert queries.alignment_up(world.member, objective) == []
    assert queries.alignment_down(world.member, objective=objective) == []
    assert queries.alignment_down(world.member, key_result=key_result) == []
    assert len(queries.alignment_up(world.admin, objective)) == 1
    [down] = queries.alignment_down(world.admin, objective=objective)
    assert down.objective == secret_child and down.key_result == key_result


def test_history_lines_are_readable(world: World, objective: Objective) -> None:
    services.update_objective(objective=objective, actor=world.member, title="New title")
    services.update_objective(
        objective=objective, actor=world.admin, owner_teams=[world.team, world.other_team]
    )
    [teams, renamed, created] = queries.history_lines(world.member, "objective", objective.uid)
    assert (teams.actor, teams.text) == (
        "Ada Admin",
        "added Platform as an owning team",
    )
    assert (renamed.actor, renamed.text) == (
        world.member.name,
        "changed title from Launch the Acme product successfully to New title",
    )
    assert created.text == "created Launch the Acme product successfully"
