"""Carry-over (issue 6): unfinished objectives and key results continue in the next period
with new baselines, a link both ways and history on both sides; unfinished initiatives land
in the next period's planning; the closed period does not change."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict

from cairn.checkins.models import CheckIn
from cairn.conftest import World
from cairn.okrs import services as okrs
from cairn.okrs.closing import PeriodClosed
from cairn.okrs.models import Initiative, InitiativeState, KeyResult, Objective
from cairn.orgs.models import HistoryEvent, PeriodState
from cairn.reporting import services
from cairn.reporting.tests.closing_world import Closing, build, check_in, next_quarter

pytestmark = pytest.mark.django_db


def rows(closing: Closing) -> dict[str, Any]:
    """Every row of the closed period's objective, as plain values."""
    objective = closing.objective
    return {
        "objective": model_to_dict(Objective.objects.get(pk=objective.pk)),
        "key_results": [model_to_dict(kr) for kr in objective.key_results.order_by("pk")],
        "initiatives": [
            model_to_dict(i)
            for i in Initiative.objects.filter(period=closing.period).order_by("pk")
        ],
        "check_ins": [
            model_to_dict(c) for c in CheckIn.objects.filter(key_result__objective=objective)
        ],
    }


@pytest.fixture
def closing(world: World) -> Closing:
    built = build(world)
    services.close_period(period=world.period, actor=world.admin)
    built.objective.refresh_from_db()
    return built


def test_carry_over_continues_the_unfinished_key_results_with_new_baselines(
    world: World, closing: Closing
) -> None:
    new = services.carry_over(actor=world.member, objective=closing.objective)
    assert new.period == closing.next_period
    assert (new.title, new.continued_from) == (closing.objective.title, closing.objective)
    assert [t.pk for t in new.owner_teams.all()] == [world.team.pk]
    assert not new.is_closed
    continued = {kr.title: kr for kr in new.key_results.all()}
    # "Demo calls" was achieved (scored 1.00): it stays behind.
    assert set(continued) == {"Signups", "Private pipeline"}
    signups = continued["Signups"]
    assert signups.continued_from == closing.signups
    assert (signups.start_value, signups.current_value, signups.target_value) == (
        Decimal(40),
        Decimal(40),
        Decimal(100),
    )
    assert signups.unit == "signups"
    assert "ended at 40" in signups.context_baseline
    assert continued["Private pipeline"].visibility == "private"
    assert continued["Private pipeline"].owner == world.member
    # Both ways.
    assert list(closing.objective.continued_into.all()) == [new]
    assert list(closing.signups.continued_into.all()) == [signups]


def test_carry_over_keeps_history_on_both_sides(world: World, closing: Closing) -> None:
    new = services.carry_over(actor=world.member, objective=closing.objective)
    noted = [
        event.changes["continued_into"][1]
        for event in HistoryEvent.objects.filter(target_uid=closing.objective.uid)
        if "continued_into" in event.changes
    ]
    assert noted == [f"{new.title} (2027 Q1)"]
    created = HistoryEvent.objects.get(target_uid=new.uid, action="created")
    assert "2026 Q4" in created.changes["continued_from"][1]
    signups = new.key_results.get(title="Signups")
    assert HistoryEvent.objects.filter(
        target_uid=closing.signups.uid, changes__continued_into__isnull=False
    ).exists()
    assert HistoryEvent.objects.get(target_uid=signups.uid, action="created").changes[
        "continued_from"
    ]


def test_unfinished_initiatives_are_copied_into_the_next_periods_planning(
    world: World, closing: Closing
) -> None:
    new = services.carry_over(actor=world.member, objective=closing.objective)
    copies = {
        i.title: i for i in Initiative.objects.filter(objective=new, continued_from__isnull=False)
    }
    assert set(copies) == {"Referral flow", "Landing page"}
    referral = copies["Referral flow"]
    assert referral.period == closing.next_period
    assert referral.continued_from == closing.initiatives["planned"]
    assert referral.key_result == new.key_results.get(title="Signups")
    assert copies["Landing page"].state == InitiativeState.IN_PROGRESS
    # The deferred one was in the next period already: it follows the continuation.
    deferred = Initiative.objects.get(pk=closing.initiatives["deferred"].pk)
    assert (deferred.objective, deferred.period) == (new, closing.next_period)
    assert not Initiative.objects.filter(objective=new, title="Press kit").exists()


def test_carry_over_leaves_the_closed_periods_rows_as_they_were(
    world: World, closing: Closing
) -> None:
    # The deferred initiative lives in the next period: it is not the closed period's row.
    before = rows(closing)
    services.carry_over(actor=world.member, objective=closing.objective)
    assert rows(closing) == before


def test_carrying_over_again_adds_only_the_missing_key_results(
    world: World, closing: Closing
) -> None:
    first = services.carry_over(
        actor=world.member, objective=closing.objective, key_results=[closing.signups]
    )
    assert [kr.title for kr in first.key_results.all()] == ["Signups"]
    again = services.carry_over(actor=world.member, objective=closing.objective)
    assert again == first
    assert sorted(kr.title for kr in again.key_results.all()) == ["Private pipeline", "Signups"]
    assert Objective.objects.filter(continued_from=closing.objective).count() == 1
    assert KeyResult.objects.filter(continued_from=closing.signups).count() == 1
    assert Initiative.objects.filter(continued_from=closing.initiatives["planned"]).count() == 1


def test_without_a_next_period_carry_over_says_to_create_it(world: World) -> None:
    built = build(world, with_next=False)
    with pytest.raises(services.NoNextPeriod, match="There is no period after 2026 Q4 yet"):
        services.carry_over(actor=world.member, objective=built.objective)
    assert not Objective.objects.filter(continued_from=built.objective).exists()
    next_quarter(world)
    assert services.carry_over(actor=world.member, objective=built.objective).period.name == (
        "2027 Q1"
    )


def test_a_key_result_at_its_target_is_not_carried_over(world: World, closing: Closing) -> None:
    with pytest.raises(ValidationError, match="Demo calls"):
        services.carry_over(
            actor=world.member, objective=closing.objective, key_results=[closing.demos]
        )
    assert not Objective.objects.filter(continued_from=closing.objective).exists()


def test_a_key_result_of_another_objective_is_refused(world: World, closing: Closing) -> None:
    other = okrs.create_objective(
        actor=world.admin, period=closing.next_period, title="Other", owner_person=world.admin
    )
    stranger = okrs.create_key_result(actor=world.admin, objective=other, title="Else")
    with pytest.raises(ValidationError) as raised:
        services.carry_over(actor=world.member, objective=closing.objective, key_results=[stranger])
    assert "key_results" in raised.value.error_dict


def test_carry_over_into_a_closed_period_is_refused(world: World, closing: Closing) -> None:
    assert closing.next_period is not None
    services.close_period(period=closing.next_period, actor=world.admin)
    with pytest.raises(PeriodClosed):
        services.carry_over(actor=world.member, objective=closing.objective)


def test_carry_over_goes_only_forward_into_a_period_of_the_same_kind(
    world: World, closing: Closing
) -> None:
    with pytest.raises(ValidationError) as raised:
        services.carry_over(actor=world.admin, objective=closing.objective, to=world.period)
    assert "period" in raised.value.error_dict


@pytest.mark.parametrize("who", ["viewer", "outsider"])
def test_only_those_who_may_change_the_objective_carry_it_over(
    world: World, closing: Closing, who: str
) -> None:
    with pytest.raises((PermissionDenied, ValidationError)):
        services.carry_over(actor=getattr(world, who), objective=closing.objective)
    assert not Objective.objects.filter(continued_from=closing.objective).exists()


def test_the_continuation_is_aligned_where_the_original_was(world: World, closing: Closing) -> None:
    parent = services.carry_over(actor=world.admin, objective=closing.company)
    new = services.carry_over(actor=world.member, objective=closing.objective)
    assert [link.parent_objective for link in new.alignments_up.all()] == [parent]


def test_a_continued_key_result_is_checked_in_from_its_new_start(
    world: World, closing: Closing
) -> None:
    import datetime as dt

    from cairn.checkins import services as checkins

    new = services.carry_over(actor=world.member, objective=closing.objective)
    signups = new.key_results.get(title="Signups")
    check_in(
        signups,
        world.member,
        dt.datetime(2027, 1, 12, 10, tzinfo=dt.UTC),
        progress=checkins.Progress(value=70),
    )
    signups.refresh_from_db()
    assert signups.progress == pytest.approx(0.5)
    assert closing.next_period is not None and closing.next_period.state == PeriodState.PLANNING
