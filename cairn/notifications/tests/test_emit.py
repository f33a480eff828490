"""Events emitted by the services: one per change, in the change's transaction, only to
endpoints that listen to it and whose owner may see what it is about."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from cairn.alignment import services as alignment_services
from cairn.checkins import services as checkin_services
from cairn.checkins.services import Confidence, NextUp, Progress
from cairn.conftest import PASSWORD, World
from cairn.notifications import services, webhooks
from cairn.notifications.models import StaleMark, WebhookEndpoint
from cairn.notifications.tests.conftest import Receiver, deliveries, make_endpoint
from cairn.okrs import services as okr_services
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import Member, Role
from cairn.reporting import services as reporting

pytestmark = pytest.mark.django_db


def data_of(event: str) -> dict:  # type: ignore[type-arg]
    (delivery,) = deliveries(event)
    assert delivery.payload["type"] == event
    return delivery.payload["data"]  # type: ignore[no-any-return]


def test_a_check_in_emits_check_in_created(
    world: World, endpoint: WebhookEndpoint, key_result: KeyResult
) -> None:
    checkin_services.record_check_in(
        key_result=key_result,
        author=world.member,
        progress=Progress(value=1200, comment="Launch week"),
        next_up=NextUp(plan="Run the campaign"),
    )

    data = data_of("check_in.created")
    assert data["check_in"]["progress"] == {"value": 1200, "comment": "Launch week"}
    assert data["check_in"]["next_up"]["plan"] == "Run the campaign"
    assert data["check_in"]["confidence"] is None
    assert data["check_in"]["author"] == {"id": str(world.member.uid), "name": "Mia Member"}
    assert data["key_result"]["id"] == str(key_result.uid)
    assert data["actor"]["id"] == str(world.member.uid)
    assert deliveries("blocker.raised") == []


def test_a_blocker_emits_raised_then_resolved(
    world: World, endpoint: WebhookEndpoint, key_result: KeyResult
) -> None:
    check_in = checkin_services.record_check_in(
        key_result=key_result,
        author=world.member,
        confidence=Confidence(level=3, needs="Legal sign-off"),
        blocker=True,
    )
    raised = data_of("blocker.raised")
    assert raised["check_in"]["id"] == str(check_in.uid)
    assert raised["check_in"]["blocker"] is True
    assert raised["check_in"]["resolution"] is None
    assert len(deliveries("check_in.created")) == 1

    checkin_services.resolve_blocker(check_in=check_in, actor=world.admin, how="Signed today")

    resolved = data_of("blocker.resolved")
    assert resolved["check_in"]["resolution"]["how"] == "Signed today"
    assert resolved["check_in"]["resolution"]["by"]["id"] == str(world.admin.uid)


def test_a_dependency_request_and_its_answer_emit_dependency_changed(
    world: World, endpoint: WebhookEndpoint, objective: Objective, key_result: KeyResult
) -> None:
    dependency = alignment_services.request_dependency(
        actor=world.member,
        objective=objective,
        key_result=key_result,
        requesting_team=world.team,
        providing_team=world.other_team,
        need="A load-balanced API",
    )
    alignment_services.change_dependency_state(
        actor=world.admin, dependency=dependency, to_state="accepted", comment="On it"
    )

    asked, answered = (d.payload["data"] for d in deliveries("dependency.changed"))
    assert asked["dependency"]["state"] == "proposed"
    assert asked["previous_state"] is None
    assert asked["dependency"]["providing_team"]["name"] == "Platform"
    assert answered["dependency"]["id"] == str(dependency.uid)
    assert (answered["previous_state"], answered["dependency"]["state"]) == (
        "proposed",
        "accepted",
    )
    assert answered["comment"] == "On it"


def test_objectives_emit_created_updated_and_deleted(
    world: World, endpoint: WebhookEndpoint
) -> None:
    objective = okr_services.create_objective(
        actor=world.admin, period=world.period, title="Delight users", owner_teams=[world.team]
    )
    okr_services.update_objective(objective=objective, actor=world.admin, title="Delight them")
    # Saving without a change is not an event.
    okr_services.update_objective(objective=objective, actor=world.admin, title="Delight them")
    uid = str(objective.uid)
    okr_services.delete_objective(objective=objective, actor=world.admin)

    created = data_of("objective.created")["objective"]
    assert created["id"] == uid
    assert created["owner_teams"] == [{"id": str(world.team.uid), "name": "Product"}]
    assert created["period"]["name"] == "2026 Q4"
    assert created["url"].endswith(f"/o/acme/objectives/{uid}/")
    updated = data_of("objective.updated")
    assert (updated["objective"]["title"], updated["changed"]) == ("Delight them", ["title"])
    assert data_of("objective.deleted")["objective"] == {**created, "title": "Delight them"}


def test_a_key_result_change_emits_key_result_updated(
    world: World, endpoint: WebhookEndpoint, key_result: KeyResult
) -> None:
    okr_services.update_key_result(key_result=key_result, actor=world.admin, target_value=750_000)

    data = data_of("key_result.updated")
    assert data["changed"] == ["target_value"]
    assert data["key_result"]["target"] == 750_000
    assert data["key_result"]["objective"]["title"] == "Launch the Acme product successfully"


def test_closing_a_period_emits_period_closed_once(world: World, endpoint: WebhookEndpoint) -> None:
    org_services.update_period(period=world.period, actor=world.admin, name="Q4 2026")
    assert deliveries("period.closed") == []

    reporting.close_period(period=world.period, actor=world.admin)
    org_services.update_period(period=world.period, actor=world.admin, name="Q4 (closed)")

    data = data_of("period.closed")
    assert data["period"]["id"] == str(world.period.uid)
    assert data["period"]["state"] == "closed"


def test_an_endpoint_gets_only_the_events_it_listens_to(
    world: World, receiver: Receiver, key_result: KeyResult
) -> None:
    make_endpoint(world, receiver, events=("blocker.raised",))

    checkin_services.record_check_in(
        key_result=key_result, author=world.member, progress=Progress(value=5)
    )
    checkin_services.record_check_in(
        key_result=key_result,
        author=world.member,
        confidence=Confidence(level=2),
        blocker=True,
    )

    assert [d.event_type for d in deliveries()] == ["blocker.raised"]


def test_nothing_is_queued_for_a_change_that_rolls_back(
    world: World, endpoint: WebhookEndpoint
) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        okr_services.create_objective(
            actor=world.admin, period=world.period, title="Never", owner_teams=[world.team]
        )
        raise RuntimeError

    assert deliveries() == []


def test_another_organizations_endpoint_hears_nothing_of_acme(
    world: World, receiver: Receiver, key_result: KeyResult
) -> None:
    services.create_endpoint(
        actor=world.outsider, url=receiver.url, event_types=webhooks.EVENT_TYPES
    )

    okr_services.create_objective(
        actor=world.admin, period=world.period, title="Acme only", owner_teams=[world.team]
    )
    checkin_services.record_check_in(
        key_result=key_result, author=world.member, progress=Progress(value=5)
    )

    assert deliveries() == []


@pytest.fixture
def demoted_owner(world: World) -> Member:
    """Bea, an admin who registered a webhook and was then made a plain member (not in the
    Platform team): her endpoint now hears only what she may see."""
    bea = org_services.add_member(
        organization=world.org,
        email="bea@acme.test",
        role=Role.ADMIN,
        name="Bea",
        password=PASSWORD,
        actor=world.admin,
        team=world.team,
    )
    services.create_endpoint(
        actor=bea, url="http://127.0.0.1:9/bea", event_types=webhooks.EVENT_TYPES
    )
    return org_services.change_member(member=bea, actor=world.admin, role=Role.MEMBER)


def _endpoints_reached(event: str) -> list[str]:
    return sorted(d.endpoint.owner.name for d in deliveries(event))


def test_no_event_about_a_private_objective_reaches_an_owner_who_may_not_see_it(
    world: World,
    endpoint: WebhookEndpoint,
    demoted_owner: Member,
    private_objective: Objective,
) -> None:
    okr_services.update_objective(
        objective=private_objective, actor=world.admin, title="PRIVATE-MARKER renamed"
    )
    private_kr = okr_services.create_key_result(
        actor=world.admin, objective=private_objective, title="PRIVATE-MARKER key result"
    )
    checkin_services.record_check_in(
        key_result=private_kr, author=world.admin, progress=Progress(value=50)
    )
    okr_services.delete_objective(objective=private_objective, actor=world.admin)

    # Ada (an admin) hears of all of it; Bea of none of it.
    assert _endpoints_reached("objective.created") == ["Ada Admin"]
    assert _endpoints_reached("objective.updated") == ["Ada Admin"]
    assert _endpoints_reached("check_in.created") == ["Ada Admin"]
    assert _endpoints_reached("objective.deleted") == ["Ada Admin"]


def test_an_owner_who_may_see_an_item_still_hears_of_it(
    world: World, endpoint: WebhookEndpoint, demoted_owner: Member, objective: Objective
) -> None:
    okr_services.update_objective(objective=objective, actor=world.member, title="Renamed")

    assert _endpoints_reached("objective.updated") == ["Ada Admin", "Bea"]


def test_the_endpoint_of_someone_who_left_hears_nothing(
    world: World, endpoint: WebhookEndpoint, demoted_owner: Member, objective: Objective
) -> None:
    org_services.change_member(member=demoted_owner, actor=world.admin, is_active=False)

    okr_services.update_objective(objective=objective, actor=world.member, title="Renamed")

    assert _endpoints_reached("objective.updated") == ["Ada Admin"]


def test_a_key_result_that_became_stale_is_announced_once(
    world: World, receiver: Receiver, key_result: KeyResult
) -> None:
    make_endpoint(world, receiver, events=("key_result.became_stale",))
    later = timezone.now() + dt.timedelta(days=30)

    assert webhooks.announce_stale(now=later) == 1
    assert webhooks.announce_stale(now=later + dt.timedelta(hours=1)) == 0

    data = data_of("key_result.became_stale")
    assert data["key_result"]["id"] == str(key_result.uid)
    assert data["staleness"] in ("stale", "dead")
    assert data["last_check_in_at"] is None

    # A check-in brings it back to life; going stale again is a new event.
    checkin_services.record_check_in(
        key_result=key_result,
        author=world.member,
        progress=Progress(value=10),
        next_up=NextUp(plan="Keep going"),
        at=later,
    )
    assert webhooks.announce_stale(now=later + dt.timedelta(days=1)) == 0
    assert not StaleMark.objects.exists()
    assert webhooks.announce_stale(now=later + dt.timedelta(days=40)) == 1
    assert len(deliveries("key_result.became_stale")) == 2


def test_stale_key_results_are_not_looked_at_without_a_listening_endpoint(
    world: World, endpoint: WebhookEndpoint, key_result: KeyResult
) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(event_types=["objective.created"])

    assert webhooks.announce_stale(now=timezone.now() + dt.timedelta(days=30)) == 0
    assert not StaleMark.objects.exists()


# The cost of emitting when nobody listens ----------------------------------------------------


def test_an_event_nobody_listens_to_costs_one_narrow_query_and_queues_nothing(
    world: World, key_result: KeyResult, receiver: Receiver, django_assert_num_queries: Any
) -> None:
    # Most organizations have no endpoint, or none for this event: every check-in emits.
    make_endpoint(world, receiver, events=("objective.created",))
    check_in = checkin_services.record_check_in(
        key_result=key_result, author=world.member, progress=Progress(value=1)
    )
    with django_assert_num_queries(1):
        assert (
            webhooks.emit(
                organization=world.org, event="check_in.created", subject=check_in, actor=None
            )
            == []
        )
    assert deliveries() == []


def test_a_switched_off_endpoint_hears_nothing(
    world: World, endpoint: WebhookEndpoint, key_result: KeyResult
) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    checkin_services.record_check_in(
        key_result=key_result, author=world.member, progress=Progress(value=1)
    )
    assert deliveries("check_in.created") == []
