"""Regressions found in review: stale roll-ups under concurrency, kind changes, the inbox and
reminders agreeing, and the key result page's query count with initiatives."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cairn.checkins import services
from cairn.checkins.models import CheckIn
from cairn.checkins.queries import my_key_results
from cairn.checkins.reminders import reminder_for
from cairn.checkins.services import Confidence, Progress
from cairn.conftest import World
from cairn.okrs import services as okrs
from cairn.okrs.models import KeyResult, Objective
from cairn.orgs import services as org_services
from cairn.orgs.models import Role

pytestmark = pytest.mark.django_db


def test_two_check_ins_from_stale_copies_count_both_blockers(
    key_result: KeyResult, world: World
) -> None:
    first = KeyResult.objects.get(pk=key_result.pk)
    second = KeyResult.objects.get(pk=key_result.pk)
    services.record_check_in(
        key_result=first, author=world.member, confidence=Confidence(level=3), blocker=True
    )
    services.record_check_in(
        key_result=second, author=world.member, confidence=Confidence(level=2), blocker=True
    )
    key_result.refresh_from_db()
    assert key_result.open_blockers == 2
    assert key_result.confidence == 2


def test_a_kind_change_is_a_new_scale_that_replays_do_not_undo(
    key_result: KeyResult, world: World
) -> None:
    services.record_check_in(key_result=key_result, author=world.member, progress=Progress(260000))
    okrs.update_key_result(
        key_result=key_result, actor=world.admin, kind="percentage", start_value=0, target_value=50
    )
    unrelated = services.record_check_in(
        key_result=key_result, author=world.member, confidence=Confidence(level=6)
    )
    services.delete_check_in(check_in=unrelated, actor=world.admin)
    key_result.refresh_from_db()
    assert key_result.current_value == 0


def test_the_inbox_and_the_reminder_ask_for_the_same_key_results(world: World) -> None:
    objective = okrs.create_objective(
        actor=world.member, period=world.period, title="Mine", owner_person=world.member
    )
    owned = okrs.create_key_result(
        actor=world.member, objective=objective, title="Owned", target_value=10
    )
    ownerless = okrs.create_key_result(
        actor=world.member, objective=objective, title="Nobody's", target_value=10
    )
    KeyResult.objects.filter(pk=ownerless.pk).update(owner=None)
    today = world.member.organization.today()
    inbox = {kr.pk for kr in my_key_results(world.member)}
    reminded = {line.key_result.uid for line in reminder_for(world.member, today=today).due}
    assert inbox == {owned.pk, ownerless.pk}
    assert reminded == {owned.uid, ownerless.uid}


def test_the_key_result_page_does_not_query_per_initiative(
    world: World, objective: Objective
) -> None:
    # A writer outside the initiatives' team: the edit check must not query per row.
    outsider_in_org = org_services.add_member(
        organization=world.org, email="lou@acme.test", role=Role.MEMBER, actor=world.admin
    )
    client = Client()
    client.force_login(outsider_in_org.user)
    key_result = objective.key_results.get()
    url = f"/o/acme/key-results/{key_result.uid}/"

    def add(count: int) -> None:
        for number in range(count):
            okrs.create_initiative(
                actor=world.member,
                objective=objective,
                key_result=key_result,
                team=world.team,
                title=f"Initiative {number}",
            )

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    add(1)
    client.get(url)
    one = queries_for_page()
    add(5)
    assert queries_for_page() == one


def test_check_ins_stay_in_the_history_after_a_kind_change(
    key_result: KeyResult, world: World
) -> None:
    services.record_check_in(key_result=key_result, author=world.member, progress=Progress(5))
    okrs.update_key_result(key_result=key_result, actor=world.admin, kind="milestone")
    assert CheckIn.objects.filter(key_result=key_result, progress_value=5).exists()
    key_result.refresh_from_db()
    assert (key_result.current_value, key_result.scale_changed_at is not None) == (0, True)
