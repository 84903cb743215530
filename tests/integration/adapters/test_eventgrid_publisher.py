"""EventGridPublisher publishes to the real Event Grid emulator; a subscriber gets the event."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from opentelemetry.sdk.trace import TracerProvider
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.cloudevents import to_cloudevent
from adapters.eventgrid import EventGridPublisher
from devstack.azurite import free_port
from devstack.eventgrid import EventGridEmulator
from devstack.eventgrid.config import parse_config
from devstack.server import ServerThread
from domain.events import ReservationRejected

pytestmark = pytest.mark.integration

KEY = "local-adapter-test-key"


class Recorder:
    """A webhook: answers the validation handshake, records CloudEvent notifications."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[dict[str, Any]] = []
        self.asgi = Starlette(routes=[Route("/events", self._handle, methods=["POST"])])

    async def _handle(self, request: Request) -> Response:
        body = await request.json()
        if request.headers.get("aeg-event-type") == "SubscriptionValidation":
            code = body[0]["data"]["validationCode"]
            return JSONResponse({"validationResponse": code})
        with self._lock:
            self._events.extend(body if isinstance(body, list) else [body])
        return Response(status_code=200)

    def wait_for(self, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self._events) >= count:
                    return list(self._events)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} events, got {len(self._events)}")


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, str]]:
    webhook = Recorder()
    with ServerThread(webhook.asgi, port=free_port(), name="adapter-subscriber") as server:
        yield webhook, f"{server.url}/events"


@pytest.fixture
def topic_endpoint(recorder: tuple[Recorder, str], storage_connection_string: str) -> Iterator[str]:
    _, endpoint = recorder
    config = parse_config(
        {
            "topic": {"name": "hotel-events", "key": KEY, "inputSchema": "CloudEventSchemaV1_0"},
            "storage": storage_connection_string,
            "retryDelaysSeconds": [1],
            "subscriptions": [{"name": "adapter-test", "endpoint": endpoint}],
        }
    )
    emulator = EventGridEmulator(config)
    with ServerThread(emulator.asgi, port=free_port(), name="eventgrid-emulator") as server:
        yield f"{server.url}/api/events"


def test_a_published_cloudevent_reaches_the_subscriber_intact(
    recorder: tuple[Recorder, str], topic_endpoint: str
) -> None:
    webhook, _ = recorder
    tracer = TracerProvider().get_tracer("test")
    event = ReservationRejected(
        reservation_id="r-eg-1",
        hotel_id="grand-lisbon",
        reason="payment_declined",
        occurred_at=datetime(2031, 5, 1, 10, 30, tzinfo=UTC),
    )
    with tracer.start_as_current_span("publish"):
        cloudevent = to_cloudevent(event, context="reservations")
    assert "traceparent" in cloudevent
    publisher = EventGridPublisher(topic_endpoint, key=KEY)
    try:
        publisher.publish([cloudevent])
    finally:
        publisher.close()

    (received,) = webhook.wait_for(1)
    for attribute in ("id", "type", "subject", "source", "traceparent", "data"):
        assert received[attribute] == cloudevent[attribute], attribute
    assert received["id"] == event.event_id
    assert received["type"] == "Hotel.ReservationRejected"
    assert received["subject"] == "/hotels/grand-lisbon/reservations/r-eg-1"
    parsed = datetime.fromisoformat(str(received["time"]).replace("Z", "+00:00"))
    assert parsed == event.occurred_at


def test_a_wrong_key_raises(topic_endpoint: str) -> None:
    publisher = EventGridPublisher(topic_endpoint, key="wrong-key")
    event = ReservationRejected(reservation_id="r", hotel_id="h", reason="no_availability")
    with pytest.raises(HttpResponseError):
        publisher.publish([to_cloudevent(event, context="reservations")])
    publisher.close()
