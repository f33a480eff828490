"""Outbound webhooks: emit an event, sign it, deliver it with retries, and the periodic sweep.

- `emit` is called by services inside their transaction, after their write. It decides there
  and then who hears of the event: the organization's endpoints that listen to it and whose
  owner may see its subject, through the same gate as every page (`visible_to`). It writes
  one `WebhookDelivery` per endpoint with the whole body fixed (only what the owner may see),
  so the deliveries commit or roll back with the change they announce; their tasks are
  enqueued once it has committed.
- `deliver` (the body of the task) claims a due delivery with a conditional update before it
  sends, so a task run twice (or beside a sweep's copy) sends nothing twice, and a delivered
  one is never sent again. A failure is retried with exponential backoff, then given up; an
  endpoint whose deliveries give up `DISABLE_AFTER` times in a row is switched off.
- `sweep` (`cairn deliver_webhooks`, which `cairn worker` runs on its schedule) requeues due
  deliveries whose task was lost, announces key results that became stale, and trims the
  delivery logs.

Every request is a POST of the JSON body `{"id", "type", "created_at", "organization",
"data"}` with the headers `X-Cairn-Event`, `X-Cairn-Delivery` (the event id),
`X-Cairn-Timestamp` (Unix seconds) and `X-Cairn-Signature: sha256=<hex>`, the HMAC-SHA256 of
`f"{timestamp}.{body}"` keyed with the endpoint's secret (see `verify`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cairn.lib import rhythm
from cairn.notifications import emails
from cairn.notifications.models import (
    DeliveryStatus,
    StaleMark,
    WebhookDelivery,
    WebhookEndpoint,
)
from cairn.orgs.models import Member, Organization, PeriodState

logger = logging.getLogger("cairn.webhooks")

EVENT_LABELS: Mapping[str, Any] = {
    "check_in.created": gettext_lazy("A check-in is recorded"),
    "key_result.updated": gettext_lazy("A key result is changed"),
    "key_result.became_stale": gettext_lazy("A key result became stale"),
    "blocker.raised": gettext_lazy("A blocker is raised"),
    "blocker.resolved": gettext_lazy("A blocker is resolved"),
    "dependency.changed": gettext_lazy("A dependency is requested or changes state"),
    "objective.created": gettext_lazy("An objective is created"),
    "objective.updated": gettext_lazy("An objective is changed"),
    "objective.deleted": gettext_lazy("An objective is deleted"),
    "period.closed": gettext_lazy("A period is closed"),
}
EVENT_TYPES: tuple[str, ...] = tuple(EVENT_LABELS)
# Sent by the "Send test event" button to one endpoint, whatever it listens to.
TEST_EVENT = "webhook.test"

TIMEOUT_SECONDS = 5
# Attempts per delivery; the waits between them grow 1 min, 5, 25, 125, 625 (about 13 h).
MAX_ATTEMPTS = 6
FIRST_RETRY = dt.timedelta(minutes=1)
BACKOFF_FACTOR = 5
# Deliveries in a row that gave up before the endpoint is switched off.
DISABLE_AFTER = 5
# An attempt in flight holds its delivery this long; after that (a worker that died
# mid-request) the sweep may send it again.
LEASE = dt.timedelta(minutes=2)
# A due delivery whose task has not picked it up after this long is queued again by the sweep.
SWEEP_GRACE = dt.timedelta(minutes=1)
SIGNATURE_TOLERANCE_SECONDS = 300
LOG_RETENTION = dt.timedelta(days=30)
STALE = frozenset({rhythm.Staleness.STALE, rhythm.Staleness.DEAD})
USER_AGENT = "Cairn-Webhooks/1"
SECRET_PREFIX = "whsec_"


# Signing ------------------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The `X-Cairn-Signature` header: HMAC-SHA256 over `"{timestamp}.{body}"`."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    *,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float | None = None,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: the signature matches, and the timestamp is recent (so that a
    captured request cannot be replayed later)."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt."""
    return FIRST_RETRY * BACKOFF_FACTOR ** max(attempts - 1, 0)


# What events say ----------------------------------------------------------------------------


def _number(value: Decimal | float | int | None) -> float | int | None:
    if value is None:
        return None
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def _when(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _url(name: str, **kwargs: Any) -> str:
    return emails.absolute_url(reverse(name, kwargs=kwargs))


def person(member: Member | None) -> dict[str, str] | None:
    if member is None:
        return None
    return {"id": str(member.uid), "name": member.name}


def _ref(uid: uuid.UUID, name: str) -> dict[str, str]:
    return {"id": str(uid), "name": name}


def _objective(objective: Any) -> dict[str, Any]:
    slug = objective.organization.slug
    teams = objective.owner_teams.order_by("name", "id")
    return {
        "id": str(objective.uid),
        "title": objective.title,
        "description": objective.description,
        "visibility": objective.visibility,
        "period": _ref(objective.period.uid, objective.period.name),
        "owner_person": person(objective.owner_person),
        "owner_teams": [_ref(team.uid, team.name) for team in teams],
        "url": _url("okrs:objective", org=slug, objective=objective.uid),
    }


def _key_result_ref(key_result: Any) -> dict[str, Any]:
    return {
        "id": str(key_result.uid),
        "title": key_result.title,
        "objective": {"id": str(key_result.objective.uid), "title": key_result.objective.title},
        "url": _url(
            "checkins:key_result", org=key_result.organization.slug, key_result=key_result.uid
        ),
    }


def _key_result(key_result: Any) -> dict[str, Any]:
    return {
        **_key_result_ref(key_result),
        "kind": key_result.kind,
        "start": _number(key_result.start_value),
        "target": _number(key_result.target_value),
        "unit": key_result.unit,
        "direction": key_result.direction,
        "current_value": _number(key_result.current_value),
        "progress": key_result.progress,
        "confidence": key_result.confidence,
        "next_up_due": _when(key_result.next_up_due),
        "owner": person(key_result.owner),
        "visibility": key_result.visibility,
    }


def _check_in(check_in: Any) -> dict[str, Any]:
    def section(present: bool, **fields: Any) -> dict[str, Any] | None:
        return fields if present else None

    data = {
        "id": str(check_in.uid),
        "at": _when(check_in.at),
        "author": person(check_in.author),
        "progress": section(
            check_in.has_progress,
            value=_number(check_in.progress_value),
            comment=check_in.progress_comment,
        ),
        "confidence": section(
            check_in.has_confidence,
            level=check_in.confidence,
            needs=check_in.confidence_needs,
            mitigation=check_in.confidence_mitigation,
        ),
        "next_up": section(
            check_in.has_next_up, plan=check_in.next_up_plan, due=_when(check_in.next_up_due)
        ),
        "reflection": section(
            check_in.has_reflection,
            outcome=check_in.reflection_outcome,
            learned=check_in.reflection_learned,
        ),
        "context": section(
            check_in.has_context,
            why=check_in.context_why,
            baseline=check_in.context_baseline,
            tactic=check_in.context_tactic,
        ),
        "result": section(
            check_in.has_result,
            value=_number(check_in.result_value),
            score=_number(check_in.result_score),
            score_overridden=check_in.result_score_overridden,
            override_reason=check_in.result_override_reason,
            worked=check_in.result_worked,
            did_not_work=check_in.result_did_not_work,
            learned=check_in.result_learned,
        ),
        "insight": check_in.is_insight,
        "blocker": check_in.is_blocker,
    }
    if check_in.is_blocker:
        data["resolution"] = section(
            check_in.blocker_resolved_at is not None,
            at=_when(check_in.blocker_resolved_at),
            by=person(check_in.blocker_resolved_by),
            how=check_in.blocker_resolution,
        )
    return data


def _dependency(dependency: Any) -> dict[str, Any]:
    key_result = dependency.key_result
    return {
        "id": str(dependency.uid),
        "state": dependency.state,
        "need": dependency.need,
        "due": _when(dependency.due),
        "objective": {"id": str(dependency.objective.uid), "title": dependency.objective.title},
        "key_result": (
            {"id": str(key_result.uid), "title": key_result.title} if key_result else None
        ),
        "requesting_team": _ref(dependency.requesting_team.uid, dependency.requesting_team.name),
        "providing_team": _ref(dependency.providing_team.uid, dependency.providing_team.name),
        "url": _url(
            "alignment:dependency", org=dependency.organization.slug, dependency=dependency.uid
        ),
    }


def _period(period: Any) -> dict[str, Any]:
    return {
        "id": str(period.uid),
        "name": period.name,
        "kind": period.kind,
        "start": _when(period.start),
        "end": _when(period.end),
        "state": period.state,
    }


def describe(subject: Model) -> dict[str, Any]:
    """The `data` of an event about `subject`: the subject and only what hangs on it (its
    objective, its key result), which whoever may see the subject may see too."""
    label = subject._meta.label
    if label == "okrs.Objective":
        return {"objective": _objective(subject)}
    if label == "okrs.KeyResult":
        return {"key_result": _key_result(subject)}
    if label == "checkins.CheckIn":
        key_result = subject.key_result  # type: ignore[attr-defined]
        return {"check_in": _check_in(subject), "key_result": _key_result_ref(key_result)}
    if label == "alignment.Dependency":
        return {"dependency": _dependency(subject)}
    if label == "orgs.Period":
        return {"period": _period(subject)}
    raise TypeError(f"no webhook events about {label}")


def may_see(owner: Member, subject: Model) -> bool:
    """The gate, asked as the endpoint's owner: the same `visible_to` as every page."""
    from cairn.alignment.models import Dependency
    from cairn.okrs.models import KeyResult, Objective

    if owner.organization_id != subject.organization_id:  # type: ignore[attr-defined]
        return False
    label = subject._meta.label
    if label == "okrs.Objective":
        return Objective.objects.visible_to(owner).filter(pk=subject.pk).exists()
    if label == "okrs.KeyResult":
        return KeyResult.objects.visible_to(owner).filter(pk=subject.pk).exists()
    if label == "checkins.CheckIn":
        key_result_id = subject.key_result_id  # type: ignore[attr-defined]
        return KeyResult.objects.visible_to(owner).filter(pk=key_result_id).exists()
    if label == "alignment.Dependency":
        return Dependency.objects.visible_to(owner).filter(pk=subject.pk).exists()
    if label == "orgs.Period":
        # Periods are the organization's calendar: every member sees them.
        return True
    raise TypeError(f"no webhook events about {label}")


# Emitting -----------------------------------------------------------------------------------


def emit(
    *,
    organization: Organization,
    event: str,
    subject: Model,
    actor: Member | None = None,
    extra: Mapping[str, Any] | None = None,
) -> list[int]:
    """Queue `event` about `subject` for every endpoint of `organization` that listens to it
    and whose owner may see `subject`. Call it inside the service's transaction, after its
    write (for a deletion: just before the row goes, while the gate can still see it).
    Returns the ids of the deliveries written (none, in the usual case of no endpoints)."""
    if event not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event {event!r}")
    # Most organizations have no endpoint, and every check-in emits: a narrow read of which
    # endpoints listen first, the endpoints with their owners only when one does.
    listening = [
        pk
        for pk, event_types in WebhookEndpoint.objects.listening(organization).values_list(
            "pk", "event_types"
        )
        if event in (event_types or [])
    ]
    if not listening:
        return []
    endpoints = list(
        WebhookEndpoint.objects.filter(pk__in=listening)
        .select_related("owner__organization")
        .order_by("created_at", "id")
    )
    endpoints = [endpoint for endpoint in endpoints if may_see(endpoint.owner, subject)]
    if not endpoints:
        return []
    data = describe(subject)
    if actor is not None:
        data["actor"] = person(actor)
    data.update(extra or {})
    return queue(organization=organization, event=event, data=data, endpoints=endpoints)


def queue(
    *,
    organization: Organization,
    event: str,
    data: Mapping[str, Any],
    endpoints: Sequence[WebhookEndpoint],
) -> list[int]:
    """One delivery per endpoint with the same event id and body; tasks after the commit."""
    now = timezone.now()
    event_id = uuid.uuid4()
    body = {
        "id": str(event_id),
        "type": event,
        "created_at": now.isoformat(),
        "organization": organization.slug,
        "data": dict(data),
    }
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            organization=organization,
            endpoint=endpoint,
            event_id=event_id,
            event_type=event,
            payload=body,
            next_attempt_at=now,
            created_at=now,
        )
        for endpoint in endpoints
    )
    ids = [delivery.pk for delivery in deliveries]
    # Robust: a failed enqueue must not fail the committed change; the sweep sends it later.
    transaction.on_commit(functools.partial(enqueue, ids), robust=True)
    return ids


def enqueue(delivery_ids: Iterable[int], *, run_after: dt.datetime | None = None) -> None:
    from cairn.notifications import tasks

    task = tasks.deliver_webhook
    if run_after is not None and task.get_backend().supports_defer:
        task = task.using(run_after=run_after)
    for delivery_id in delivery_ids:
        task.enqueue(delivery_id)


# Delivering ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    duration_ms: int
    error: str = ""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new address to send the signed body to."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()


def send(delivery: WebhookDelivery) -> Outcome:
    """POST the delivery once; any 2xx is success, anything else (3xx included) a failure."""
    endpoint = delivery.endpoint
    body = body_of(delivery)
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Cairn-Event": delivery.event_type,
            "X-Cairn-Delivery": str(delivery.event_id),
            "X-Cairn-Timestamp": timestamp,
            "X-Cairn-Signature": sign(endpoint.secret, timestamp, body),
        },
    )
    started = time.monotonic()
    status_code: int | None = None
    error = ""
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            status_code = int(response.status)
            response.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        status_code = exc.code
        error = f"HTTP {exc.code} {exc.reason}".strip()
        exc.close()
    except urllib.error.URLError as exc:
        error = str(exc.reason)
    except (TimeoutError, OSError, ValueError) as exc:
        error = str(exc) or exc.__class__.__name__
    duration_ms = int((time.monotonic() - started) * 1000)
    ok = status_code is not None and 200 <= status_code < 300
    return Outcome(ok=ok, status_code=status_code, duration_ms=duration_ms, error=error[:500])


def deliver(*, delivery_id: int, now: dt.datetime | None = None) -> str:
    """Send one delivery if it is due and its endpoint is on, and record how it went. Safe to
    run twice: the claim lets one run send; a delivered (or given-up) one is never sent."""
    now = now or timezone.now()
    claimed = (
        WebhookDelivery.objects.open()
        .filter(pk=delivery_id, next_attempt_at__lte=now, endpoint__is_active=True)
        .update(next_attempt_at=now + LEASE)
    )
    if not claimed:
        return _not_sent(delivery_id)
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    outcome = send(delivery)
    return record(delivery_id=delivery_id, outcome=outcome, now=now)


def _not_sent(delivery_id: int) -> str:
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return "gone"
    if not delivery.is_open:
        return f"already {delivery.status}"
    if not delivery.endpoint.is_active:
        return "endpoint disabled"
    return "not due"


@transaction.atomic
def record(*, delivery_id: int, outcome: Outcome, now: dt.datetime) -> str:
    """Write an attempt's outcome: delivered, retry later, or give up (and maybe switch the
    endpoint off). The endpoint's row is locked first, so its counter sees every result."""
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    if not delivery.is_open:
        return f"already {delivery.status}"
    delivery.attempts += 1
    delivery.last_response_code = outcome.status_code
    delivery.last_duration_ms = outcome.duration_ms
    delivery.last_error = outcome.error
    endpoint_fields: list[str] = []
    if outcome.ok:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        if endpoint.consecutive_failures:
            endpoint.consecutive_failures = 0
            endpoint_fields.append("consecutive_failures")
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.GAVE_UP
        delivery.next_attempt_at = None
        endpoint.consecutive_failures += 1
        endpoint_fields.append("consecutive_failures")
        if endpoint.is_active and endpoint.consecutive_failures >= DISABLE_AFTER:
            endpoint_fields += _switch_off(endpoint, outcome, now)
    else:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = now + backoff(delivery.attempts)
        transaction.on_commit(
            functools.partial(enqueue, [delivery.pk], run_after=delivery.next_attempt_at),
            robust=True,
        )
    delivery.save(
        update_fields=[
            "status",
            "attempts",
            "next_attempt_at",
            "last_response_code",
            "last_duration_ms",
            "last_error",
            "delivered_at",
        ]
    )
    if endpoint_fields:
        endpoint.save(update_fields=endpoint_fields)
    return str(delivery.status)


def _switch_off(endpoint: WebhookEndpoint, outcome: Outcome, now: dt.datetime) -> list[str]:
    organization = Organization.objects.get(pk=endpoint.organization_id)
    last = outcome.error or (f"HTTP {outcome.status_code}" if outcome.status_code else "")
    # Written once, read by the organization's admins: in the organization's language.
    with translation.override(emails.organization_language(organization)):
        reason = _(
            "Switched off automatically after %(count)d deliveries in a row failed "
            "(last error: %(error)s)."
        ) % {"count": endpoint.consecutive_failures, "error": last or _("unknown")}
    endpoint.is_active = False
    endpoint.disabled_reason = reason[:300]
    endpoint.disabled_at = now
    logger.warning("Webhook endpoint %s switched off: %s", endpoint.uid, reason)
    return ["is_active", "disabled_reason", "disabled_at"]


# The periodic sweep -------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    requeued: int
    became_stale: int
    pruned: int

    def summary(self) -> str:
        return (
            f"webhooks: {self.requeued} due deliveries queued again, "
            f"{self.became_stale} key results announced as stale, "
            f"{self.pruned} old deliveries removed from the logs"
        )


def requeue_due(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Queue again the due deliveries no task has picked up (an enqueue lost between the
    commit and the queue, a worker that died mid-request). Their claim keeps them single."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.open()
        .filter(next_attempt_at__lte=now - SWEEP_GRACE, endpoint__is_active=True)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    enqueue(due)
    return len(due)


def announce_stale(*, now: dt.datetime | None = None) -> int:
    """Emit `key_result.became_stale` once for each key result of an active period that is
    stale (or dead) now and was not at the last run; forget the ones that are alive again.
    Only organizations with an endpoint listening are looked at. Safe to run as often as
    you like: a StaleMark row per announced key result is the memory between runs."""
    from cairn.okrs.models import KeyResult

    now = now or timezone.now()
    listening = {
        endpoint.organization_id
        for endpoint in WebhookEndpoint.objects.filter(is_active=True).only(
            "organization_id", "event_types"
        )
        if endpoint.listens_to("key_result.became_stale")
    }
    announced = 0
    for organization in Organization.objects.filter(pk__in=listening).order_by("id"):
        today = rhythm.local_date(now, organization.time_zone)
        # A closed key result, or one whose Result is in, cannot go stale.
        key_results = KeyResult.objects.in_org(organization).filter(
            objective__period__state=PeriodState.ACTIVE,
            objective__closed_at__isnull=True,
            score__isnull=True,
        )
        stale = {
            key_result.pk
            for key_result in key_results.only(
                "id",
                "kind",
                "current_value",
                "target_value",
                "created_at",
                "last_check_in_at",
                "next_up_due",
            )
            if not key_result.is_done
            and rhythm.staleness_for(key_result, organization, today) in STALE
        }
        marked = set(
            StaleMark.objects.filter(organization=organization).values_list(
                "key_result_id", flat=True
            )
        )
        StaleMark.objects.filter(
            organization=organization, key_result_id__in=marked - stale
        ).delete()
        newly = (
            key_results.filter(pk__in=stale - marked)
            .select_related("objective", "owner__user", "organization")
            .order_by("id")
        )
        for key_result in newly:
            try:
                with transaction.atomic():
                    StaleMark.objects.create(organization=organization, key_result=key_result)
                    emit(
                        organization=organization,
                        event="key_result.became_stale",
                        subject=key_result,
                        extra={
                            "staleness": str(rhythm.staleness_for(key_result, organization, today)),
                            "last_check_in_at": _when(key_result.last_check_in_at),
                        },
                    )
            except IntegrityError:
                continue  # announced by a concurrent run
            announced += 1
    return announced


def prune(*, now: dt.datetime | None = None) -> int:
    """Delivery logs keep finished deliveries for `LOG_RETENTION`: long enough to debug a
    receiver, short enough that the table does not grow with every event forever."""
    now = now or timezone.now()
    finished = WebhookDelivery.objects.filter(
        status__in=(DeliveryStatus.SUCCEEDED, DeliveryStatus.GAVE_UP),
        created_at__lt=now - LOG_RETENTION,
    )
    deleted, _by_model = finished.delete()
    return deleted


def sweep(*, now: dt.datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    became_stale = announce_stale(now=now)
    return SweepResult(
        requeued=requeue_due(now=now), became_stale=became_stale, pruned=prune(now=now)
    )
