"""The webhook pages under the organization's settings: admins only (403 for members and
viewers, 404 for outsiders), the secret shown once, the delivery log, the test button."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cairn.conftest import World
from cairn.notifications import services, webhooks
from cairn.notifications.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from cairn.notifications.tests.conftest import Receiver

pytestmark = pytest.mark.django_db


def url(name: str, endpoint: WebhookEndpoint | None = None, org: str = "acme") -> str:
    kwargs: dict[str, object] = {"org": org}
    if endpoint is not None:
        kwargs["webhook"] = endpoint.uid
    return reverse(f"notifications:{name}", kwargs=kwargs)


PAGES = ("webhooks", "webhook_create")
ENDPOINT_PAGES = ("webhook", "webhook_delete")
ENDPOINT_ACTIONS = ("webhook_test", "webhook_enable", "webhook_delete")


def test_an_admin_registers_a_webhook_and_sees_its_secret_once(
    admin_client: Client, world: World, receiver: Receiver
) -> None:
    response = admin_client.post(
        url("webhook_create"),
        {
            "url": receiver.url,
            "description": "Dashboard",
            "event_types": ["check_in.created", "period.closed"],
        },
    )

    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.owner == world.admin
    assert endpoint.event_types == ["check_in.created", "period.closed"]
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    for page in (url("webhooks"), url("webhook", endpoint)):
        content = admin_client.get(page).content.decode()
        assert receiver.url in content
        assert endpoint.secret not in content


def test_the_form_names_what_is_wrong(admin_client: Client) -> None:
    response = admin_client.post(url("webhook_create"), {"url": "ftp://example.com/x"})

    assert response.status_code == 200
    assert "Choose at least one event." in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_log_shows_status_response_code_and_duration(
    admin_client: Client, world: World, receiver: Receiver, endpoint: WebhookEndpoint
) -> None:
    receiver.statuses = [500]
    delivery = services.send_test_event(endpoint=endpoint, actor=world.admin)
    webhooks.deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()

    content = admin_client.get(url("webhook", endpoint)).content.decode()

    assert "webhook.test" in content
    assert "Failed, will retry" in content
    assert ">500<" in content
    assert f"{delivery.last_duration_ms} ms" in content


def test_the_log_is_a_fragment_for_htmx(admin_client: Client, endpoint: WebhookEndpoint) -> None:
    response = admin_client.get(url("webhook", endpoint), headers={"HX-Request": "true"})

    content = response.content.decode()
    assert content.lstrip().startswith('<section id="delivery-log"')
    assert "<html" not in content


def test_the_test_button_sends_a_test_event(
    admin_client: Client, world: World, receiver: Receiver, endpoint: WebhookEndpoint
) -> None:
    response = admin_client.post(url("webhook_test", endpoint))

    assert response.status_code == 302
    assert response["Location"] == url("webhook", endpoint)
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "webhook.test"
    assert webhooks.deliver(delivery_id=delivery.pk) == "succeeded"
    (request,) = receiver.requests
    assert receiver.verified(request)
    assert "Delivered" in admin_client.get(url("webhook", endpoint)).content.decode()


def test_a_switched_off_webhook_shows_why_and_can_be_switched_on(
    admin_client: Client, endpoint: WebhookEndpoint
) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, disabled_reason="Switched off automatically after 5 deliveries"
    )
    for page in (url("webhooks"), url("webhook", endpoint)):
        assert "Switched off automatically after 5 deliveries" in (
            admin_client.get(page).content.decode()
        )
    admin_client.post(url("webhook_test", endpoint))
    assert not WebhookDelivery.objects.exists()

    admin_client.post(url("webhook_enable", endpoint))

    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert endpoint.disabled_reason == ""


def test_an_admin_deletes_a_webhook_and_its_log(
    admin_client: Client, world: World, endpoint: WebhookEndpoint
) -> None:
    services.send_test_event(endpoint=endpoint, actor=world.admin)
    assert admin_client.get(url("webhook_delete", endpoint)).status_code == 200

    response = admin_client.post(url("webhook_delete", endpoint))

    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("who", ["member_client", "viewer_client"])
def test_members_and_viewers_get_403_everywhere(
    request: pytest.FixtureRequest, who: str, endpoint: WebhookEndpoint
) -> None:
    client: Client = request.getfixturevalue(who)
    for name in PAGES:
        assert client.get(url(name)).status_code == 403
    for name in ENDPOINT_PAGES:
        assert client.get(url(name, endpoint)).status_code == 403
    for name in ENDPOINT_ACTIONS:
        assert client.post(url(name, endpoint)).status_code == 403
    response = client.post(url("webhook_create"), {"url": "https://x.test", "event_types": []})
    assert response.status_code == 403
    assert WebhookEndpoint.objects.count() == 1
    assert not WebhookDelivery.objects.exists()


def test_an_outsider_gets_404_everywhere(
    outsider_client: Client, endpoint: WebhookEndpoint
) -> None:
    for name in PAGES:
        assert outsider_client.get(url(name)).status_code == 404
    for name in ENDPOINT_PAGES:
        assert outsider_client.get(url(name, endpoint)).status_code == 404
    for name in ENDPOINT_ACTIONS:
        assert outsider_client.post(url(name, endpoint)).status_code == 404
    # Nor can the outsider reach Acme's endpoint through their own organization.
    for name in ENDPOINT_PAGES:
        assert outsider_client.get(url(name, endpoint, org="globex")).status_code == 404
    assert outsider_client.post(url("webhook_delete", endpoint, org="globex")).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_signed_out_visitors_are_sent_to_sign_in(endpoint: WebhookEndpoint) -> None:
    response = Client().get(url("webhook", endpoint))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def _queries_for_list(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url("webhooks")).status_code == 200
    return len(queries)


def test_the_list_takes_as_many_queries_for_one_webhook_as_for_five(
    admin_client: Client, world: World
) -> None:
    services.create_endpoint(
        actor=world.admin, url="https://one.test/", event_types=["period.closed"]
    )
    one = _queries_for_list(admin_client)
    for n in range(4):
        services.create_endpoint(
            actor=world.admin, url=f"https://more{n}.test/", event_types=["period.closed"]
        )

    assert _queries_for_list(admin_client) == one


def test_the_log_takes_as_many_queries_for_one_delivery_as_for_five(
    admin_client: Client, world: World, endpoint: WebhookEndpoint
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url("webhook", endpoint)).status_code == 200
        return len(captured)

    services.send_test_event(endpoint=endpoint, actor=world.admin)
    one = queries()
    for _ in range(4):
        services.send_test_event(endpoint=endpoint, actor=world.admin)

    assert queries() == one
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 5
