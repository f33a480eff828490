"""Delivering webhooks to a real HTTP server on loopback: signed requests, retries with
backoff, giving up, switching a failing endpoint off, and tasks that are safe to run twice."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cairn.conftest import World
from cairn.notifications import services, tasks, webhooks
from cairn.notifications.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from cairn.notifications.tests.conftest import Receiver, deliveries, make_endpoint
from cairn.okrs import services as okr_services

pytestmark = pytest.mark.django_db


def _emit_objective(world: World) -> WebhookDelivery:
    okr_services.create_objective(
        actor=world.admin, period=world.period, title="Ship it", owner_teams=[world.team]
    )
    (delivery,) = deliveries("objective.created")
    return delivery


def test_the_receiver_verifies_the_signature_with_the_secret(
    world: World, receiver: Receiver, endpoint: WebhookEndpoint
) -> None:
    delivery = _emit_objective(world)

    assert webhooks.deliver(delivery_id=delivery.pk) == "succeeded"

    (request,) = receiver.requests
    assert receiver.verified(request)
    assert request.path == "/hooks/cairn"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Cairn-Event"] == "objective.created"
    assert request.headers["X-Cairn-Delivery"] == str(delivery.event_id)
    signed = f"{request.headers['X-Cairn-Timestamp']}.".encode() + request.body
    expected = hmac.new(receiver.secret.encode(), signed, hashlib.sha256).hexdigest()
    assert request.headers["X-Cairn-Signature"] == f"sha256={expected}"
    body = request.json
    assert body["id"] == str(delivery.event_id)
    assert body["type"] == "objective.created"
    assert body["organization"] == "acme"
    assert body["data"]["objective"]["title"] == "Ship it"
    assert dt.datetime.fromisoformat(body["created_at"])


def test_a_wrong_secret_a_changed_body_or_an_old_timestamp_fail_verification(
    world: World, receiver: Receiver, endpoint: WebhookEndpoint
) -> None:
    webhooks.deliver(delivery_id=_emit_objective(world).pk)
    (request,) = receiver.requests
    timestamp, signature = (
        request.headers["X-Cairn-Timestamp"],
        request.headers["X-Cairn-Signature"],
    )

    assert not webhooks.verify(
        "whsec_wrong", timestamp=timestamp, body=request.body, signature=signature
    )
    assert not webhooks.verify(
        receiver.secret, timestamp=timestamp, body=request.body + b" ", signature=signature
    )
    assert not webhooks.verify(
        receiver.secret,
        timestamp=timestamp,
        body=request.body,
        signature=signature,
        now=time.time() + 3600,
    )


def test_it_retries_after_a_500_with_backoff_then_succeeds(
    world: World, receiver: Receiver, endpoint: WebhookEndpoint
) -> None:
    receiver.statuses = [500]
    delivery = _emit_objective(world)
    start = timezone.now()

    assert webhooks.deliver(delivery_id=delivery.pk, now=start) == "failed"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 1
    assert delivery.last_response_code == 500
    assert delivery.last_duration_ms is not None
    assert delivery.next_attempt_at == start + dt.timedelta(minutes=1)
    # Not due yet: the retry waits for its time.
    assert webhooks.deliver(delivery_id=delivery.pk, now=start) == "not due"

    later = start + dt.timedelta(minutes=1, seconds=1)
    assert webhooks.deliver(delivery_id=delivery.pk, now=later) == "succeeded"

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 2
    assert delivery.last_response_code == 200
    assert delivery.delivered_at == later
    assert delivery.next_attempt_at is None
    first, second = receiver.requests
    # The same event, the same bytes; each attempt signed afresh.
    assert first.headers["X-Cairn-Delivery"] == second.headers["X-Cairn-Delivery"]
    assert first.body == second.body
    assert receiver.verified(second)


def test_the_waits_between_attempts_grow_exponentially() -> None:
    assert [webhooks.backoff(n) for n in range(1, 6)] == [
        dt.timedelta(minutes=minutes) for minutes in (1, 5, 25, 125, 625)
    ]


def test_it_gives_up_after_the_last_attempt(
    world: World, receiver: Receiver, endpoint: WebhookEndpoint
) -> None:
    receiver.statuses = [503] * webhooks.MAX_ATTEMPTS
    delivery = _emit_objective(world)
    now = timezone.now()

    for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
        result = webhooks.deliver(delivery_id=delivery.pk, now=now)
        assert result == ("gave_up" if attempt == webhooks.MAX_ATTEMPTS else "failed")
        now += webhooks.backoff(attempt)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.GAVE_UP
    assert delivery.attempts == webhooks.MAX_ATTEMPTS
    assert delivery.next_attempt_at is None
    assert webhooks.deliver(delivery_id=delivery.pk, now=now + dt.timedelta(days=1)) == (
        "already gave_up"
    )
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1
    assert endpoint.is_active


def test_an_endpoint_is_switched_off_after_repeated_failures(
    world: World,
    receiver: Receiver,
    endpoint: WebhookEndpoint,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(webhooks, "MAX_ATTEMPTS", 1)
    monkeypatch.setattr(webhooks, "DISABLE_AFTER", 3)
    receiver.statuses = [500] * 10

    for _ in range(3):
        delivery = services.send_test_event(endpoint=endpoint, actor=world.admin)
        assert webhooks.deliver(delivery_id=delivery.pk) == "gave_up"

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.consecutive_failures == 3
    assert "3 deliveries in a row failed" in endpoint.disabled_reason
    assert "500" in endpoint.disabled_reason
    # Switched off: no new events, and nothing more sent.
    okr_services.create_objective(
        actor=world.admin, period=world.period, title="Ship it", owner_teams=[world.team]
    )
    assert deliveries("objective.created") == []
    assert len(receiver.requests) == 3


def test_a_success_resets_the_run_of_failures(
    world: World,
    receiver: Receiver,
    endpoint: WebhookEndpoint,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(webhooks, "MAX_ATTEMPTS", 1)
    monkeypatch.setattr(webhooks, "DISABLE_AFTER", 2)
    receiver.statuses = [500, 200, 500]

    for _ in range(3):
        delivery = services.send_test_event(endpoint=endpoint, actor=world.admin)
        webhooks.deliver(delivery_id=delivery.pk)

    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert endpoint.consecutive_failures == 1


def test_switching_an_endpoint_on_again_sends_what_waited(
    world: World,
    receiver: Receiver,
    endpoint: WebhookEndpoint,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: pytest.FixtureRequest,
) -> None:
    waiting = _emit_objective(world)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, disabled_reason="down", consecutive_failures=5
    )
    assert webhooks.deliver(delivery_id=waiting.pk) == "endpoint disabled"
    endpoint.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        services.enable_endpoint(endpoint=endpoint, actor=world.admin)

    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert (endpoint.disabled_reason, endpoint.consecutive_failures) == ("", 0)
    assert [task.args_kwargs["args"] for task in DBTaskResult.objects.all()] == [[waiting.pk]]
    assert tasks.deliver_webhook.call(waiting.pk) == "succeeded"


def test_running_the_task_twice_sends_once(
    world: World, receiver: Receiver, endpoint: WebhookEndpoint
) -> None:
    delivery = _emit_objective(world)

    assert tasks.deliver_webhook.call(delivery.pk) == "succeeded"
    assert tasks.deliver_webhook.call(delivery.pk) == "already succeeded"

    assert len(receiver.requests) == 1


def test_an_attempt_in_flight_is_not_sent_again_by_a_second_run(
    world: World, receiver: Receiver, endpoint: WebhookEndpoint
) -> None:
    delivery = _emit_objective(world)
    now = timezone.now()
    # A first run has claimed it (and is still waiting for the answer).
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now + webhooks.LEASE)

    assert webhooks.deliver(delivery_id=delivery.pk, now=now) == "not due"
    assert receiver.requests == []


def test_the_event_is_enqueued_as_a_task_once_the_change_commits(
    world: World,
    receiver: Receiver,
    endpoint: WebhookEndpoint,
    django_capture_on_commit_callbacks: pytest.FixtureRequest,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # type: ignore[operator]
        delivery = _emit_objective(world)
    assert DBTaskResult.objects.count() == 0

    for callback in callbacks:
        callback()

    (task,) = DBTaskResult.objects.all()
    assert task.task_path == "cairn.notifications.tasks.deliver_webhook"
    assert task.args_kwargs["args"] == [delivery.pk]


def test_a_failed_attempt_queues_its_retry_to_run_at_its_time(
    world: World,
    receiver: Receiver,
    endpoint: WebhookEndpoint,
    django_capture_on_commit_callbacks: pytest.FixtureRequest,
) -> None:
    receiver.statuses = [500]
    delivery = _emit_objective(world)

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        webhooks.deliver(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    (task,) = DBTaskResult.objects.all()
    assert task.args_kwargs["args"] == [delivery.pk]
    assert task.run_after == delivery.next_attempt_at


def test_the_sweep_queues_due_deliveries_whose_task_was_lost(
    world: World, receiver: Receiver, endpoint: WebhookEndpoint
) -> None:
    delivery = _emit_objective(world)  # its on-commit enqueue never ran (test transaction)
    out = StringIO()

    call_command(
        "deliver_webhooks",
        now=(timezone.now() + dt.timedelta(minutes=5)).isoformat(),
        stdout=out,
    )

    assert "1 due deliveries queued again" in out.getvalue()
    assert "0 old deliveries removed" in out.getvalue()
    (task,) = DBTaskResult.objects.all()
    assert task.args_kwargs["args"] == [delivery.pk]


def test_a_redirect_is_a_failure_and_is_not_followed(
    world: World, receiver: Receiver, endpoint: WebhookEndpoint
) -> None:
    receiver.statuses = [302]
    delivery = _emit_objective(world)

    assert webhooks.deliver(delivery_id=delivery.pk) == "failed"

    delivery.refresh_from_db()
    assert delivery.last_response_code == 302
    assert [request.path for request in receiver.requests] == ["/hooks/cairn"]


def test_an_unreachable_endpoint_is_a_failure_with_its_error(world: World) -> None:
    services.create_endpoint(
        actor=world.admin, url="http://127.0.0.1:9/nothing", event_types=["objective.created"]
    )
    delivery = _emit_objective(world)

    assert webhooks.deliver(delivery_id=delivery.pk) == "failed"

    delivery.refresh_from_db()
    assert delivery.last_response_code is None
    assert delivery.last_error


def test_the_test_event_goes_to_its_endpoint_whatever_it_listens_to(
    world: World, receiver: Receiver
) -> None:
    endpoint = make_endpoint(world, receiver, events=("period.closed",))

    delivery = services.send_test_event(endpoint=endpoint, actor=world.admin)
    webhooks.deliver(delivery_id=delivery.pk)

    (request,) = receiver.requests
    assert receiver.verified(request)
    assert request.headers["X-Cairn-Event"] == "webhook.test"
    assert json.loads(request.body)["data"]["webhook"]["id"] == str(endpoint.uid)


@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_what_a_service_emitted(world: World, receiver: Receiver) -> None:
    make_endpoint(world, receiver, events=("objective.created",))

    okr_services.create_objective(
        actor=world.admin, period=world.period, title="Worker-sent", owner_teams=[world.team]
    )
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0
    )

    (request,) = receiver.requests
    assert receiver.verified(request)
    assert request.json["data"]["objective"]["title"] == "Worker-sent"
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_the_sweep_trims_finished_deliveries_from_the_log_after_thirty_days(
    world: World, receiver: Receiver, endpoint: WebhookEndpoint
) -> None:
    sent = _emit_objective(world)
    webhooks.deliver(delivery_id=sent.pk)
    waiting = services.send_test_event(endpoint=endpoint, actor=world.admin)

    assert webhooks.prune(now=timezone.now() + dt.timedelta(days=29)) == 0
    assert webhooks.prune(now=timezone.now() + dt.timedelta(days=31)) == 1

    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [waiting.pk]
