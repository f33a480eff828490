"""Closing and reopening a period (whole, or for one team's own OKRs): who may, what becomes
read-only, what the history keeps (issue 6, "Closing a period")."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cairn.checkins import services as checkins
from cairn.conftest import World
from cairn.okrs import services as okrs
from cairn.okrs.closing import PeriodClosed
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import services as orgs
from cairn.orgs.models import HistoryEvent, Member, PeriodState, TeamClosure
from cairn.reporting import services
from cairn.reporting.tests.closing_world import build

pytestmark = pytest.mark.django_db


def lead_of_product(world: World) -> Member:
    """Mia, a member (not an admin), leads Product."""
    orgs.update_team(team=world.team, actor=world.admin, lead=world.member)
    world.team.refresh_from_db()
    return world.member


def period_events(world: World) -> list[HistoryEvent]:
    return list(
        HistoryEvent.objects.filter(target_kind="period", target_uid=world.period.uid).order_by(
            "at", "id"
        )
    )


def objective_of(world: World, title: str, **kwargs: object) -> Objective:
    return okrs.create_objective(actor=world.admin, period=world.period, title=title, **kwargs)  # type: ignore[arg-type]


def test_an_admin_closes_a_period_and_every_objective_becomes_read_only(world: World) -> None:
    closing = build(world)
    period = services.close_period(period=world.period, actor=world.admin, note="Review done")
    period.refresh_from_db()
    assert period.state == PeriodState.CLOSED
    assert period.closed_at is not None and period.closed_by == world.admin
    assert not Objective.objects.filter(period=period, closed_at__isnull=True).exists()
    last = period_events(world)[-1]
    assert last.changes == {"state": ["active", "closed"]}
    assert (last.actor, last.note) == (world.admin, "Review done")
    # Services check the objective as read (the gate reads it fresh for every request).
    with pytest.raises(PeriodClosed, match="2026 Q4 is closed"):
        okrs.update_objective(
            objective=Objective.objects.get(pk=closing.objective.pk), actor=world.admin, title="N"
        )
    with pytest.raises(PeriodClosed):
        checkins.record_check_in(
            key_result=KeyResult.objects.get(pk=closing.signups.pk),
            author=world.member,
            progress=checkins.Progress(value=50),
        )


def test_closing_a_closed_period_again_is_refused(world: World) -> None:
    services.close_period(period=world.period, actor=world.admin)
    with pytest.raises(ValidationError, match="already closed"):
        services.close_period(period=world.period, actor=world.admin)


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_a_member_or_viewer_cannot_close_the_period(world: World, who: str) -> None:
    with pytest.raises(PermissionDenied):
        services.close_period(period=world.period, actor=getattr(world, who))
    world.period.refresh_from_db()
    assert world.period.state == PeriodState.ACTIVE


def test_a_team_lead_who_is_a_member_cannot_close_the_whole_period(world: World) -> None:
    lead = lead_of_product(world)
    with pytest.raises(PermissionDenied):
        services.close_period(period=world.period, actor=lead)


def test_an_outsider_cannot_close_another_organizations_period(world: World) -> None:
    with pytest.raises(ValidationError):
        services.close_period(period=world.period, actor=world.outsider)
    world.period.refresh_from_db()
    assert world.period.state == PeriodState.ACTIVE


def test_reopening_needs_a_reason_and_an_admin(world: World) -> None:
    services.close_period(period=world.period, actor=world.admin)
    with pytest.raises(PermissionDenied):
        services.reopen_period(period=world.period, actor=world.member, reason="Oops")
    with pytest.raises(ValidationError) as raised:
        services.reopen_period(period=world.period, actor=world.admin, reason="  ")
    assert "reason" in raised.value.error_dict
    world.period.refresh_from_db()
    assert world.period.state == PeriodState.CLOSED


def test_reopening_makes_writes_work_again_and_the_history_keeps_the_reason(world: World) -> None:
    closing = build(world)
    services.close_period(period=world.period, actor=world.admin)
    period = services.reopen_period(
        period=world.period, actor=world.admin, reason="Two results came in late"
    )
    period.refresh_from_db()
    assert period.state == PeriodState.ACTIVE
    assert (period.closed_at, period.closed_by) == (None, None)
    last = period_events(world)[-1]
    assert last.changes == {"state": ["closed", "active"]}
    assert last.note == "Two results came in late"
    assert not Objective.objects.filter(period=period, closed_at__isnull=False).exists()
    okrs.update_objective(objective=closing.objective, actor=world.admin, title="Renamed")
    checkins.record_check_in(
        key_result=closing.signups, author=world.member, progress=checkins.Progress(value=55)
    )
    closing.signups.refresh_from_db()
    assert closing.signups.current_value == 55


def test_reopening_a_period_that_is_not_closed_is_refused(world: World) -> None:
    with pytest.raises(ValidationError, match="not closed"):
        services.reopen_period(period=world.period, actor=world.admin, reason="Why not")


# Closing for one team ------------------------------------------------------------------------


def test_a_team_lead_closes_the_period_for_the_teams_own_objectives(world: World) -> None:
    lead = lead_of_product(world)
    own = objective_of(world, "Product's", owner_teams=[world.team])
    other = objective_of(world, "Platform's", owner_teams=[world.other_team])
    personal = objective_of(world, "Mia's own", owner_person=world.member)
    closure = services.close_for_team(period=world.period, team=world.team, actor=lead, note="Done")
    assert (closure.team, closure.closed_by) == (world.team, lead)
    for objective in (own, other, personal):
        objective.refresh_from_db()
    assert own.is_closed
    assert not other.is_closed
    # A personal objective closes only with the whole period.
    assert not personal.is_closed
    world.period.refresh_from_db()
    assert world.period.state == PeriodState.ACTIVE
    last = period_events(world)[-1]
    assert (last.changes, last.note) == ({"closed_for": [None, "Product"]}, "Done")
    with pytest.raises(PeriodClosed, match="Product closed 2026 Q4"):
        okrs.create_objective(
            actor=lead, period=world.period, title="Late one", owner_teams=[world.team]
        )
    okrs.update_objective(objective=other, actor=world.admin, title="Still open")
    okrs.update_objective(objective=personal, actor=world.member, title="Still mine")


def test_a_team_lead_cannot_close_another_team(world: World) -> None:
    lead = lead_of_product(world)
    with pytest.raises(PermissionDenied):
        services.close_for_team(period=world.period, team=world.other_team, actor=lead)
    assert not TeamClosure.objects.exists()


def test_a_member_who_leads_no_team_cannot_close_for_a_team(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.close_for_team(period=world.period, team=world.team, actor=world.member)


def test_a_viewer_who_leads_a_team_cannot_close_it(world: World) -> None:
    orgs.update_team(team=world.team, actor=world.admin, lead=world.viewer)
    world.team.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.close_for_team(period=world.period, team=world.team, actor=world.viewer)


def test_a_shared_objective_closes_only_when_every_owning_team_has_closed(world: World) -> None:
    shared = objective_of(world, "Shared launch", owner_teams=[world.team, world.other_team])
    services.close_for_team(period=world.period, team=world.team, actor=world.admin)
    shared.refresh_from_db()
    assert not shared.is_closed
    okrs.update_objective(objective=shared, actor=world.admin, title="Still shared")
    services.close_for_team(period=world.period, team=world.other_team, actor=world.admin)
    shared.refresh_from_db()
    assert shared.is_closed
    with pytest.raises(PeriodClosed):
        okrs.update_objective(objective=shared, actor=world.admin, title="Too late")


def test_a_team_closes_a_period_once(world: World) -> None:
    services.close_for_team(period=world.period, team=world.team, actor=world.admin)
    with pytest.raises(ValidationError, match="already closed"):
        services.close_for_team(period=world.period, team=world.team, actor=world.admin)


def test_an_admin_reopens_a_teams_closure_with_a_reason(world: World) -> None:
    own = objective_of(world, "Product's", owner_teams=[world.team])
    lead = lead_of_product(world)
    services.close_for_team(period=world.period, team=world.team, actor=lead)
    with pytest.raises(PermissionDenied):
        services.reopen_for_team(period=world.period, team=world.team, actor=lead, reason="Me")
    with pytest.raises(ValidationError):
        services.reopen_for_team(period=world.period, team=world.team, actor=world.admin, reason="")
    services.reopen_for_team(
        period=world.period, team=world.team, actor=world.admin, reason="A result was missing"
    )
    own.refresh_from_db()
    assert not own.is_closed
    assert not TeamClosure.objects.exists()
    last = period_events(world)[-1]
    assert (last.changes, last.note) == ({"closed_for": ["Product", None]}, "A result was missing")
    okrs.update_objective(objective=own, actor=lead, title="Writable again")


def test_reopening_the_period_keeps_the_teams_own_closures(world: World) -> None:
    own = objective_of(world, "Product's", owner_teams=[world.team])
    other = objective_of(world, "Platform's", owner_teams=[world.other_team])
    services.close_for_team(period=world.period, team=world.team, actor=world.admin)
    services.close_period(period=world.period, actor=world.admin)
    services.reopen_period(period=world.period, actor=world.admin, reason="Late results")
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.is_closed and not other.is_closed


def test_closing_history_reads_as_sentences(world: World) -> None:
    from cairn.orgs.history import readable_history

    services.close_for_team(period=world.period, team=world.team, actor=world.admin)
    services.reopen_for_team(period=world.period, team=world.team, actor=world.admin, reason="R")
    services.close_period(period=world.period, actor=world.admin)
    texts = [line.text for line in readable_history(world.org, "period", world.period.uid)]
    assert "closed it for Product" in texts
    assert "reopened it for Product" in texts
    assert "changed state from Active to Closed" in texts
