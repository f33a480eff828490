"""What a closed team's or a scored key result's people no longer get asked for, and the
carried-over initiatives that must not come back (found walking the closing flow)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from cairn.checkins import services as checkins
from cairn.checkins.queries import inbox_for, my_key_results, requests_to_my_teams
from cairn.conftest import World
from cairn.okrs import services as okrs
from cairn.okrs.closing import PeriodClosed
from cairn.okrs.models import Initiative
from cairn.orgs import services as orgs
from cairn.orgs.models import TeamClosure
from cairn.reporting import services
from cairn.reporting.queries.closing import checklist
from cairn.reporting.tests.closing_world import RESULT_DAY, build

pytestmark = pytest.mark.django_db


def test_a_team_closure_takes_its_key_results_out_of_the_owners_inbox(world: World) -> None:
    closing = build(world)
    assert closing.signups in my_key_results(world.member)

    services.close_for_team(period=world.period, team=world.team, actor=world.admin)

    assert closing.signups not in my_key_results(world.member)


def test_a_key_result_with_its_result_is_no_longer_due_for_check_ins(world: World) -> None:
    closing = build(world)
    due = list(my_key_results(world.member))
    assert closing.signups in due
    assert closing.demos not in due


def test_a_write_to_a_team_closed_objective_names_the_team_closure(world: World) -> None:
    closing = build(world)
    services.close_for_team(period=world.period, team=world.team, actor=world.admin)

    with pytest.raises(PeriodClosed) as refused:
        checkins.record_check_in(
            key_result=closing.signups,
            author=world.member,
            progress=checkins.Progress(value=50),
        )
    assert "owning teams closed 2026 Q4" in " ".join(refused.value.messages)


def test_a_carried_over_initiative_is_neither_open_on_the_checklist_nor_deferrable(
    world: World,
) -> None:
    closing = build(world)
    assert {i.title for i in checklist(world.admin, world.period).open_initiatives} >= {
        "Referral flow",
        "Landing page",
    }

    services.carry_over(actor=world.member, objective=closing.objective)

    still_open = {i.title for i in checklist(world.admin, world.period).open_initiatives}
    assert "Referral flow" not in still_open and "Landing page" not in still_open
    with pytest.raises(ValidationError, match="already carried over into 2027 Q1"):
        okrs.defer_initiative(initiative=closing.initiatives["planned"], actor=world.member)


def test_the_team_page_says_the_team_closed_the_period(world: World, admin_client: Client) -> None:
    build(world)
    url = reverse("okrs:team", args=[world.org.slug, world.team.uid])
    assert "Close 2026 Q4 for Product" in admin_client.get(url).content.decode()

    services.close_for_team(period=world.period, team=world.team, actor=world.admin)

    html = admin_client.get(url).content.decode()
    assert "Product closed 2026 Q4" in html
    assert "Close 2026 Q4 for Product" not in html


# Found in review ------------------------------------------------------------------------------


def test_work_on_a_private_key_result_left_behind_stays_behind(world: World) -> None:
    closing = build(world)
    secret = okrs.create_initiative(
        actor=world.member,
        objective=closing.objective,
        team=world.team,
        title="SECRET-INIT",
        key_result=closing.private,
    )

    new = services.carry_over(
        actor=world.member, objective=closing.objective, key_results=[closing.signups]
    )

    assert not new.initiatives.filter(title="SECRET-INIT").exists()
    assert not Initiative.objects.visible_to(world.viewer).filter(title="SECRET-INIT").exists()
    # Continuing the private key result later brings its work along, still private.
    services.carry_over(
        actor=world.member, objective=closing.objective, key_results=[closing.private]
    )
    copy = new.initiatives.get(continued_from=secret)
    assert copy.key_result is not None and copy.key_result.is_private
    assert not Initiative.objects.visible_to(world.viewer).filter(pk=copy.pk).exists()


def test_an_initiative_follows_its_objective_not_its_team_when_a_team_closes(
    world: World,
) -> None:
    closing = build(world)
    platform_work = okrs.create_initiative(
        actor=world.admin, objective=closing.objective, team=world.other_team, title="Platform bit"
    )
    personal = okrs.create_objective(
        actor=world.member, period=world.period, title="My own", owner_person=world.member
    )
    product_work = okrs.create_initiative(
        actor=world.member, objective=personal, team=world.team, title="Product bit"
    )

    services.close_for_team(period=world.period, team=world.team, actor=world.admin)

    with pytest.raises(PeriodClosed):
        okrs.update_initiative(initiative=platform_work, actor=world.admin, title="Changed")
    okrs.update_initiative(initiative=product_work, actor=world.member, title="Still mine")


def test_a_closed_periods_blockers_and_requests_leave_the_inbox(world: World) -> None:
    closing = build(world)
    orgs.add_team_member(team=world.other_team, member=world.admin, actor=world.admin)
    today = world.period.end
    assert [row.check_in for row in inbox_for(world.member, today).my_blockers] == [closing.blocker]
    assert closing.dependency in requests_to_my_teams(world.admin)

    services.close_period(period=world.period, actor=world.admin)

    assert inbox_for(world.member, today).my_blockers == []
    assert closing.dependency not in requests_to_my_teams(world.admin)


def test_changing_the_target_after_a_result_asks_for_the_result_again(world: World) -> None:
    closing = build(world)
    assert closing.demos.score == 1

    with time_machine.travel(RESULT_DAY + dt.timedelta(days=1), tick=False):
        okrs.update_key_result(key_result=closing.demos, actor=world.member, target_value=20)
        closing.demos.refresh_from_db()
        assert closing.demos.score is None
        # Replaying the roll-ups (an admin deletes a later check-in) does not bring it back.
        later = checkins.record_check_in(
            key_result=closing.demos, author=world.member, progress=checkins.Progress(value=11)
        )
        checkins.delete_check_in(check_in=later, actor=world.admin)
    closing.demos.refresh_from_db()
    assert closing.demos.score is None


def test_a_team_cannot_be_reopened_inside_a_closed_period(world: World) -> None:
    build(world)
    services.close_for_team(period=world.period, team=world.team, actor=world.admin)
    services.close_period(period=world.period, actor=world.admin)

    with pytest.raises(ValidationError, match="reopen the period first"):
        services.reopen_for_team(
            period=world.period, team=world.team, actor=world.admin, reason="Oops"
        )
    assert TeamClosure.objects.filter(period=world.period, team=world.team).exists()


def test_a_closed_period_keeps_its_dates(world: World) -> None:
    build(world)
    services.close_period(period=world.period, actor=world.admin)

    with pytest.raises(ValidationError, match="keeps its dates"):
        orgs.update_period(period=world.period, actor=world.admin, end=dt.date(2027, 1, 15))
    orgs.update_period(period=world.period, actor=world.admin, name="Q4 (closed)")


def test_a_score_override_that_is_not_a_number_is_refused(world: World) -> None:
    closing = build(world)
    with time_machine.travel(RESULT_DAY, tick=False), pytest.raises(ValidationError) as refused:
        checkins.record_check_in(
            key_result=closing.signups,
            author=world.member,
            result=checkins.Result(value=50, score=float("nan"), override_reason="x"),
        )
    assert "result_score" in refused.value.message_dict
