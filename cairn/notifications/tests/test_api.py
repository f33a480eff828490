"""/api/v1/webhooks: admins only (403 for members and viewers, 404 for another organization's
endpoint), the secret only in the response that creates an endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cairn.conftest import World
from cairn.notifications import services, webhooks
from cairn.notifications.models import WebhookDelivery, WebhookEndpoint
from cairn.notifications.tests.conftest import Receiver
from cairn.orgs.models import Member
from cairn.orgs.tokens import create_token

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, member: Member) -> None:
        _, raw = create_token(member=member, name="test", read_only=not member.can_write)
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(
            f"/api/v1{path}", body or {}, content_type="application/json", headers=self.headers
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/api/v1{path}", headers=self.headers)


def test_an_admin_creates_a_webhook_and_gets_its_secret_only_then(
    world: World, receiver: Receiver
) -> None:
    api = Api(world.admin)

    response = api.post(
        "/webhooks", {"url": receiver.url, "event_types": ["blocker.raised", "check_in.created"]}
    )

    assert response.status_code == 201
    created = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert created["secret"] == endpoint.secret
    assert created["id"] == str(endpoint.uid)
    # Stored in the product's order, whatever order they were sent in.
    assert created["event_types"] == ["check_in.created", "blocker.raised"]
    assert created["owner"]["id"] == str(world.admin.uid)
    assert created["is_active"] is True
    for path in ("/webhooks", f"/webhooks/{endpoint.uid}"):
        response = api.get(path)
        assert response.status_code == 200
        assert endpoint.secret not in response.content.decode()
    assert api.get("/webhooks").json()["items"][0]["url"] == receiver.url


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "not a url", "event_types": ["period.closed"]}, "url"),
        ({"url": "ftp://files.test/x", "event_types": ["period.closed"]}, "url"),
        ({"url": "https://user:pw@hooks.test/", "event_types": ["period.closed"]}, "url"),
        ({"url": "https://hooks.test/", "event_types": []}, "event_types"),
        ({"url": "https://hooks.test/", "event_types": ["nope"]}, "event_types"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    world: World, body: dict[str, Any], field: str
) -> None:
    response = Api(world.admin).post("/webhooks", body)

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert not WebhookEndpoint.objects.exists()


def test_the_delivery_log_and_the_test_event(
    world: World, receiver: Receiver, endpoint: WebhookEndpoint
) -> None:
    api = Api(world.admin)

    response = api.post(f"/webhooks/{endpoint.uid}/test")

    assert response.status_code == 202
    queued = response.json()
    assert (queued["event_type"], queued["status"], queued["attempts"]) == (
        "webhook.test",
        "pending",
        0,
    )
    webhooks.deliver(delivery_id=WebhookDelivery.objects.get().pk)
    (request,) = receiver.requests
    assert receiver.verified(request)
    log = api.get(f"/webhooks/{endpoint.uid}/deliveries").json()
    (item,) = log["items"]
    assert item["event_id"] == queued["event_id"]
    assert (item["status"], item["last_response_code"]) == ("succeeded", 200)
    assert item["last_duration_ms"] is not None
    assert log["next_offset"] is None


def test_an_admin_deletes_a_webhook(world: World, endpoint: WebhookEndpoint) -> None:
    api = Api(world.admin)

    assert api.delete(f"/webhooks/{endpoint.uid}").status_code == 204

    assert not WebhookEndpoint.objects.exists()
    assert api.get(f"/webhooks/{endpoint.uid}").status_code == 404


def test_a_switched_off_webhook_is_switched_on_again(
    world: World, endpoint: WebhookEndpoint
) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False, disabled_reason="x")
    api = Api(world.admin)
    assert api.get(f"/webhooks/{endpoint.uid}").json()["disabled_reason"] == "x"
    assert api.post(f"/webhooks/{endpoint.uid}/test").status_code == 422

    response = api.post(f"/webhooks/{endpoint.uid}/enable")

    assert response.status_code == 200
    assert response.json()["is_active"] is True


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_members_and_viewers_get_403(world: World, endpoint: WebhookEndpoint, who: str) -> None:
    api = Api(getattr(world, who))
    path = f"/webhooks/{endpoint.uid}"

    for response in (
        api.get("/webhooks"),
        api.post("/webhooks", {"url": "https://x.test/", "event_types": ["period.closed"]}),
        api.get(path),
        api.get(f"{path}/deliveries"),
        api.post(f"{path}/test"),
        api.post(f"{path}/enable"),
        api.delete(path),
    ):
        assert response.status_code == 403
        assert response.json()["code"] in ("forbidden", "read_only_token")
    assert WebhookEndpoint.objects.count() == 1
    assert not WebhookDelivery.objects.exists()


def test_an_outsider_gets_404_for_acmes_webhooks(world: World, endpoint: WebhookEndpoint) -> None:
    api = Api(world.outsider)
    path = f"/webhooks/{endpoint.uid}"

    for response in (
        api.get(path),
        api.get(f"{path}/deliveries"),
        api.post(f"{path}/test"),
        api.post(f"{path}/enable"),
        api.delete(path),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    # Their own list holds only their own organization's webhooks.
    assert api.get("/webhooks").json()["items"] == []
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert not WebhookDelivery.objects.exists()


def test_an_unknown_or_malformed_id_is_a_404(world: World) -> None:
    api = Api(world.admin)

    assert api.get("/webhooks/not-a-uuid").status_code == 404
    assert api.get("/webhooks/00000000-0000-0000-0000-000000000000").status_code == 404


def test_without_a_token_it_is_a_401(endpoint: WebhookEndpoint) -> None:
    assert Client().get("/api/v1/webhooks").status_code == 401


def test_the_list_pages(world: World) -> None:
    for n in range(3):
        services.create_endpoint(
            actor=world.admin, url=f"https://h{n}.test/", event_types=["period.closed"]
        )
    api = Api(world.admin)

    first = api.get("/webhooks", limit=2).json()
    second = api.get("/webhooks", limit=2, offset=first["next_offset"]).json()

    assert [item["url"] for item in first["items"] + second["items"]] == [
        f"https://h{n}.test/" for n in range(3)
    ]
    assert second["next_offset"] is None
