"""A real webhook receiver: an HTTP server on loopback, in a thread, started by the test.

It answers with the status codes it is told to (200 once they run out), keeps every request
it received, and checks each signature the way a receiver should (`webhooks.verify`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cairn.conftest import World
from cairn.notifications import services, webhooks
from cairn.notifications.models import WebhookDelivery, WebhookEndpoint


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    statuses: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    secret: str = ""

    def verified(self, request: Received) -> bool:
        return webhooks.verify(
            self.secret,
            timestamp=request.headers["X-Cairn-Timestamp"],
            body=request.body,
            signature=request.headers["X-Cairn-Signature"],
        )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.requests.append(Received(self.path, dict(self.headers.items()), body))
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/cairn"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def make_endpoint(
    world: World, receiver: Receiver, events: tuple[str, ...] = webhooks.EVENT_TYPES
) -> WebhookEndpoint:
    endpoint, secret = services.create_endpoint(
        actor=world.admin, url=receiver.url, event_types=events
    )
    receiver.secret = secret
    return endpoint


@pytest.fixture
def endpoint(world: World, receiver: Receiver) -> WebhookEndpoint:
    """An endpoint of Acme's admin, listening to every event, pointed at the receiver."""
    return make_endpoint(world, receiver)


def deliveries(event: str | None = None) -> list[WebhookDelivery]:
    found = WebhookDelivery.objects.order_by("id")
    if event is not None:
        found = found.filter(event_type=event)
    return list(found)
