"""What a closed team's or a scored key result's people no longer get asked for, and the
carried-over initiatives that must not come back (found walking the closing flow)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from cairn.checkins import services as checkins
from cairn.checkins.queries import my_key_results
from cairn.conftest import World
from cairn.okrs import services as okrs
from cairn.okrs.closing import PeriodClosed
from cairn.reporting import services
from cairn.reporting.queries.closing import checklist
from cairn.reporting.tests.closing_world import build

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
