"""The saga heals itself: Event Grid retries a failing subscriber, the relay repairs a crash."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from adapters.bootstrap import build_ports
from adapters.settings import Settings
from devstack.stack import LocalStack
from handlers import reservations
from handlers.commands import RequestReservation
from tests.e2e.stack import booking, wait_for

pytestmark = pytest.mark.e2e


class PublisherCrashedError(RuntimeError):
    """Stands for the process dying after its commit and before its publish."""


class CrashingPublisher:
    def publish(self, cloudevents: Sequence[dict[str, Any]]) -> None:
        raise PublisherCrashedError("the worker died before publishing")


def status_of(api: httpx.Client, reservation_id: str) -> str:
    return str(api.get(f"/reservations/{reservation_id}").json()["status"])


def test_a_transiently_failing_handler_recovers_through_event_grid_retries(
    stack: LocalStack, api: httpx.Client, admin: httpx.Client
) -> None:
    stack.wait_idle(timeout=30)
    before = admin.get("/admin/devstack/invocations").json().get("billing", {})
    retried_before = stack.stats()["subscriptions"]["billing"]["retried"]
    fault = {"functionName": "billing", "failures": 3, "status": 503}
    assert admin.post("/admin/devstack/faults", json=fault).status_code in (200, 201, 204)

    created = api.post("/reservations", json=booking(hotel="harbor-porto", guests=1, nights=2))
    assert created.status_code == 202
    rid = created.json()["reservationId"]
    wait_for(lambda: status_of(api, rid) == "Confirmed", timeout=30, message="confirmation")

    after = admin.get("/admin/devstack/invocations").json()["billing"]
    assert after["faulted"] - before.get("faulted", 0) == 3
    assert stack.stats()["subscriptions"]["billing"]["retried"] >= retried_before + 3


def test_a_crash_between_commit_and_publish_is_repaired_by_the_relay(
    stack: LocalStack, api: httpx.Client, admin: httpx.Client
) -> None:
    settings = Settings.load(
        {
            "AzureWebJobsStorage": stack.connection_string,
            "EVENTGRID_TOPIC_ENDPOINT": stack.topic_endpoint,
            "EVENTGRID_TOPIC_KEY": stack.topic_key,
        }
    )
    crashing = dataclasses.replace(build_ports(settings), publisher=CrashingPublisher())
    command = RequestReservation.model_validate(booking(hotel="harbor-porto", guests=1, nights=2))
    reservation, _ = reservations.request_reservation(command, idempotency_key=None, ports=crashing)
    rid = reservation.reservation_id

    # Committed but never published: nothing moves until the relay runs.
    stack.wait_idle(timeout=30)
    assert status_of(api, rid) == "Pending"
    events = api.get(f"/reservations/{rid}/events").json()["events"]
    assert [e["type"] for e in events] == ["Hotel.ReservationRequested"]

    # The relay leaves intents younger than SETTLE_AFTER to the fast path, so it is run until
    # the intent is old enough and the reservation moves.
    def relayed() -> bool:
        assert admin.post("/admin/functions/relay_outbox", json={"input": ""}).status_code == 202
        return status_of(api, rid) == "Confirmed"

    wait_for(relayed, timeout=45, interval=1.0, message="relay repair")
