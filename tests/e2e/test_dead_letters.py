"""Dead letters on the whole local stack: a subscriber down long enough to be dead-lettered,
healed, then replayed by the reprocessor; and poison refused at the edge.

The e2e stack shrinks Event Grid's retry schedule (tests/e2e/stack.py) so a subscriber that
keeps failing is dead-lettered after its 30 attempts in about half a minute, and delivers every
event twice -- so each booking here produces two dead letter blobs of the same event.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.messaging import CloudEvent
from azure.eventgrid import EventGridPublisherClient
from azure.storage.blob import BlobServiceClient

from adapters.storage_names import (
    DEADLETTER_ARCHIVE_CONTAINER,
    DEADLETTER_CONTAINER,
    DEADLETTER_POISON_CONTAINER,
)
from devstack.stack import LocalStack
from tests.e2e.stack import (
    E2E_DELIVERY_MULTIPLIER,
    book,
    booking,
    event_types,
    settle,
    wait_for,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def blobs(stack: LocalStack) -> Iterator[BlobServiceClient]:
    with BlobServiceClient.from_connection_string(stack.connection_string) as service:
        yield service


def letters_about(
    service: BlobServiceClient, container: str, needle: str
) -> dict[str, dict[str, str]]:
    """Blobs of ``container`` whose body mentions ``needle``: name -> metadata."""
    client = service.get_container_client(container)
    found = {}
    for props in client.list_blobs(include=["metadata"]):
        if needle in client.download_blob(props.name).readall().decode("utf-8", "replace"):
            found[props.name] = dict(props.metadata or {})
    return found


def invocations(admin: httpx.Client, name: str) -> dict[str, int]:
    response = admin.get("/admin/devstack/invocations")
    assert response.status_code == 200
    counts: dict[str, int] = response.json()[name]
    return counts


def test_a_dead_lettered_booking_is_replayed_once_billing_is_healed(
    api: httpx.Client,
    ops: httpx.Client,
    admin: httpx.Client,
    blobs: BlobServiceClient,
    stack: LocalStack,
) -> None:
    fault = {"functionName": "billing", "failures": -1}
    assert admin.post("/admin/devstack/faults", json=fault).is_success
    try:
        reservation_id = book(api, booking())["reservationId"]
        dead = wait_for(
            lambda: (
                len(found := letters_about(blobs, DEADLETTER_CONTAINER, reservation_id))
                >= E2E_DELIVERY_MULTIPLIER
                and found
            ),
            timeout=120,
            interval=0.5,
            message="billing's RoomAllocated to be dead-lettered",
        )
        # A redelivered RoomAllocated is published again, so more letters may still be on their
        # way: let every delivery settle while billing is still failing, then take the final set.
        stack.wait_idle(timeout=60)
        dead = letters_about(blobs, DEADLETTER_CONTAINER, reservation_id)
    finally:
        assert admin.delete("/admin/devstack/faults").is_success
    assert all(name.startswith("BILLING/") for name in dead)
    assert api.get(f"/reservations/{reservation_id}").json()["status"] == "Pending"

    # The operator's view shows them, with Event Grid's reason.
    view = ops.get("/ops/dead-letters", params={"state": "deadlettered", "subscription": "billing"})
    assert view.status_code == 200, view.text
    rows = [row for row in view.json()["items"] if reservation_id in (row["subject"] or "")]
    assert {row["blob"] for row in rows} == set(dead)
    assert {row["eventType"] for row in rows} == {"Hotel.RoomAllocated"}
    assert all(row["reason"].startswith("MaxDeliveryAttemptsExceeded") for row in rows)

    # Healed: run the reprocessor now (force: the 5-minute timer may have tried meanwhile).
    response = ops.post("/ops/dead-letters/reprocess", params={"force": "true"})
    assert response.status_code == 200, response.text
    confirmed = settle(api, reservation_id)
    assert confirmed["status"] == "Confirmed"
    archived = letters_about(blobs, DEADLETTER_ARCHIVE_CONTAINER, reservation_id)
    assert set(archived) == set(dead)
    assert all(meta["outcome"] == "archived" for meta in archived.values())
    assert all(meta["reprocessedAt"] and meta["reprocessAttempts"] for meta in archived.values())
    assert letters_about(blobs, DEADLETTER_CONTAINER, reservation_id) == {}
    report = response.json()
    ours = [item for item in report["items"] if item["blob"] in dead]
    assert ours, report  # (unless the timer beat us to it -- then the archive proves it)
    assert {item["outcome"] for item in ours} == {"archived"}
    stack.wait_idle(timeout=30)
    types = event_types(api, reservation_id)
    for once in ("RoomAllocated", "PaymentAuthorized", "ReservationConfirmed"):
        assert types.count(once) == 1, types

    # Running it again -- by hand, as the timer -- changes nothing.
    before = invocations(admin, "reprocess_dead_letters")["succeeded"]
    invoked = admin.post("/admin/functions/reprocess_dead_letters", json={"input": ""})
    assert invoked.status_code == 202
    wait_for(
        lambda: invocations(admin, "reprocess_dead_letters")["succeeded"] > before,
        timeout=30,
        message="the reprocess_dead_letters timer to run",
    )
    assert letters_about(blobs, DEADLETTER_ARCHIVE_CONTAINER, reservation_id) == archived
    assert letters_about(blobs, DEADLETTER_CONTAINER, reservation_id) == {}
    assert letters_about(blobs, DEADLETTER_POISON_CONTAINER, reservation_id) == {}
    assert api.get(f"/reservations/{reservation_id}").json() == confirmed
    assert event_types(api, reservation_id) == types


def test_an_event_that_can_never_succeed_is_quarantined_at_the_edge_not_retried(
    api: httpx.Client, ops: httpx.Client, blobs: BlobServiceClient, stack: LocalStack
) -> None:
    before = stack.wait_idle(timeout=30)["subscriptions"]["billing"]
    event = CloudEvent(
        source="/e2e/poison",
        type="Hotel.RoomAllocated",
        subject=f"/hotels/grand-lisbon/reservations/{uuid.uuid4()}",
        data={"roomType": 42},
    )
    with EventGridPublisherClient(
        stack.topic_endpoint, AzureKeyCredential(stack.topic_key)
    ) as client:
        client.send(event)
    after = stack.wait_idle(timeout=30)["subscriptions"]["billing"]

    assert after["delivered"] == before["delivered"] + E2E_DELIVERY_MULTIPLIER  # acknowledged
    assert after["retried"] == before["retried"]
    assert after["deadLettered"] == before["deadLettered"]
    poisoned = letters_about(blobs, DEADLETTER_POISON_CONTAINER, event.id)
    assert len(poisoned) == E2E_DELIVERY_MULTIPLIER
    for name, meta in poisoned.items():
        assert name.startswith("BILLING/")
        assert meta["reprocessedBy"] == "edge"
        assert meta["reason"].startswith("EventSchemaError")
        body: list[dict[str, Any]] = json.loads(
            blobs.get_blob_client(DEADLETTER_POISON_CONTAINER, name).download_blob().readall()
        )
        assert [e["id"] for e in body] == [event.id]
        assert body[0]["deadletterreason"] == "UnprocessableEvent"
    rows = ops.get("/ops/dead-letters", params={"state": "poison"}).json()["items"]
    assert {row["blob"] for row in rows if row["eventId"] == event.id} == set(poisoned)


def test_the_operator_routes_need_the_master_key(stack: LocalStack, api: httpx.Client) -> None:
    with httpx.Client(base_url=f"{stack.host_url}/api", timeout=10, trust_env=False) as anonymous:
        assert anonymous.get("/ops/dead-letters").status_code == 401
        assert anonymous.post("/ops/dead-letters/reprocess").status_code == 401
    # Admin level: the function key is refused, as in Azure.
    assert api.get("/ops/dead-letters").status_code == 401
    assert api.post("/ops/dead-letters/reprocess").status_code == 401
