"""API v1: outbound webhooks. Admins only (403 for members and viewers); the signing secret
is in the response to the POST that creates an endpoint, and nowhere else."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from cairn.api.auth import member_of
from cairn.api.common import Page, PageParams, PersonRef, paginate
from cairn.api.errors import Error
from cairn.notifications import services, webhooks
from cairn.notifications.models import WebhookDelivery, WebhookEndpoint
from cairn.notifications.queries import endpoint_for
from cairn.orgs.access import require_admin

router = Router(tags=["webhooks"])

ERRORS: dict[int, Any] = {400: Error, 401: Error, 403: Error, 404: Error, 422: Error, 429: Error}
EVENTS_DESCRIPTION = "Events to receive, any of: " + ", ".join(webhooks.EVENT_TYPES) + "."


class WebhookIn(Schema):
    url: str = Field(
        ..., max_length=500, examples=["https://hooks.example.com/cairn"], description="http(s)"
    )
    event_types: list[str] = Field(
        ..., examples=[["check_in.created", "blocker.raised"]], description=EVENTS_DESCRIPTION
    )
    description: str = Field("", max_length=120, examples=["Team dashboard"])


class WebhookOut(Schema):
    id: str
    url: str
    description: str
    event_types: list[str]
    is_active: bool
    disabled_reason: str = Field(description="Why it was switched off, if it was.")
    consecutive_failures: int = Field(description="Deliveries in a row that gave up.")
    owner: PersonRef = Field(description="Events go out with this person's visibility.")
    created_at: dt.datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="Signs every request (X-Cairn-Signature). Shown in this response only."
    )


class DeliveryOut(Schema):
    event_id: str
    event_type: str
    status: str = Field(description="pending, succeeded, failed (will retry) or gave_up")
    attempts: int
    next_attempt_at: dt.datetime | None
    last_response_code: int | None
    last_duration_ms: int | None
    last_error: str
    created_at: dt.datetime
    delivered_at: dt.datetime | None


def _endpoint(endpoint: WebhookEndpoint) -> dict[str, Any]:
    owner = endpoint.owner
    return {
        "id": str(endpoint.uid),
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "is_active": endpoint.is_active,
        "disabled_reason": endpoint.disabled_reason,
        "consecutive_failures": endpoint.consecutive_failures,
        "owner": {"id": str(owner.uid), "name": owner.name, "email": owner.user.email},
        "created_at": endpoint.created_at,
    }


def _delivery(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "event_id": str(delivery.event_id),
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_response_code": delivery.last_response_code,
        "last_duration_ms": delivery.last_duration_ms,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "delivered_at": delivery.delivered_at,
    }


@router.get(
    "/webhooks",
    response={200: Page[WebhookOut], **ERRORS},
    summary="List webhook endpoints",
)
def list_webhooks(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    member = member_of(request)
    require_admin(member)
    endpoints = (
        WebhookEndpoint.objects.in_org(member.organization)
        .select_related("owner__user")
        .order_by("created_at", "id")
    )
    page = paginate(endpoints, params)
    page["items"] = [_endpoint(endpoint) for endpoint in page["items"]]
    return page


@router.post(
    "/webhooks",
    response={201: WebhookCreated, **ERRORS},
    summary="Register a webhook endpoint (the response holds its secret, once)",
)
def create_webhook(request: HttpRequest, payload: WebhookIn) -> Status:
    member = member_of(request)
    require_admin(member)
    endpoint, secret = services.create_endpoint(
        actor=member,
        url=payload.url,
        event_types=payload.event_types,
        description=payload.description,
    )
    return Status(201, {**_endpoint(endpoint), "secret": secret})


@router.get("/webhooks/{webhook_id}", response={200: WebhookOut, **ERRORS}, summary="One webhook")
def get_webhook(request: HttpRequest, webhook_id: str) -> dict[str, Any]:
    return _endpoint(endpoint_for(member_of(request), webhook_id))


@router.delete(
    "/webhooks/{webhook_id}",
    response={204: None, **ERRORS},
    summary="Delete a webhook endpoint and its delivery log",
)
def delete_webhook(request: HttpRequest, webhook_id: str) -> Status:
    member = member_of(request)
    services.delete_endpoint(endpoint=endpoint_for(member, webhook_id), actor=member)
    return Status(204, None)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response={200: Page[DeliveryOut], **ERRORS},
    summary="The delivery log of a webhook, newest first",
)
def list_deliveries(
    request: HttpRequest, webhook_id: str, params: Query[PageParams]
) -> dict[str, Any]:
    endpoint = endpoint_for(member_of(request), webhook_id)
    page = paginate(endpoint.deliveries.order_by("-created_at", "-id"), params)
    page["items"] = [_delivery(delivery) for delivery in page["items"]]
    return page


@router.post(
    "/webhooks/{webhook_id}/test",
    response={202: DeliveryOut, **ERRORS},
    summary="Queue a webhook.test event for this endpoint",
)
def test_webhook(request: HttpRequest, webhook_id: str) -> Status:
    member = member_of(request)
    delivery = services.send_test_event(endpoint=endpoint_for(member, webhook_id), actor=member)
    return Status(202, _delivery(delivery))


@router.post(
    "/webhooks/{webhook_id}/enable",
    response={200: WebhookOut, **ERRORS},
    summary="Switch a webhook that was switched off on again",
)
def enable_webhook(request: HttpRequest, webhook_id: str) -> dict[str, Any]:
    member = member_of(request)
    endpoint = services.enable_endpoint(endpoint=endpoint_for(member, webhook_id), actor=member)
    return _endpoint(endpoint)
