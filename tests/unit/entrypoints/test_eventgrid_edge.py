"""Poison at the edge: a live delivery that can never succeed is quarantined and acknowledged."""

from __future__ import annotations

import json
import re

import azure.functions as func
import pytest

from domain.errors import NewerSchemaVersionError
from entrypoints.eventgrid_edge import deliver, delivered_event_json
from handlers.ports import DeadLetterState, Ports
from tests.support.azure_format import a_cloudevent, as_eventgrid_letter
from tests.support.memory_deadletters import InMemoryDeadLetterStore

POISON = DeadLetterState.POISON
PATH = re.compile(r"^BILLING/2031/4/1/12/[0-9a-f-]{36}\.json$")


def test_a_schema_violation_is_quarantined_with_the_reason_and_acknowledged(
    ports: Ports, store: InMemoryDeadLetterStore
) -> None:
    event = a_cloudevent("Hotel.RoomAllocated", {"roomType": 7})
    event["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    assert deliver("billing", event, ports, store) is False

    (letter,) = store.letters(POISON)
    assert PATH.match(letter.name), letter.name
    body = store.read(POISON, letter.name)
    assert body is not None
    (quarantined,) = json.loads(body)
    assert {k: quarantined[k] for k in event} == event  # the event as delivered, extensions too
    assert quarantined["deadletterreason"] == "UnprocessableEvent"
    assert quarantined["deadletterdetail"].startswith("EventSchemaError: Hotel.RoomAllocated")
    assert quarantined["deliveryattempts"] == 1
    assert letter.metadata["outcome"] == "poisoned"
    assert letter.metadata["reprocessedBy"] == "edge"
    assert letter.metadata["reason"].startswith("EventSchemaError")


def test_an_unknown_event_type_in_event_grid_schema_gets_camel_case_reason_fields(
    ports: Ports, store: InMemoryDeadLetterStore
) -> None:
    event = as_eventgrid_letter(a_cloudevent("Hotel.SpaBooked", {}))
    for field in ("deadLetterReason", "deliveryAttempts", "lastDeliveryOutcome"):
        event.pop(field)

    assert deliver("billing", event, ports, store) is False

    (letter,) = store.letters(POISON)
    (quarantined,) = json.loads(store.read(POISON, letter.name) or b"")
    assert quarantined["deadLetterReason"] == "UnprocessableEvent"
    assert "UnknownEventTypeError" in quarantined["deadLetterDetail"]


def test_a_newer_schema_version_is_retried_by_event_grid_not_quarantined(
    ports: Ports, store: InMemoryDeadLetterStore
) -> None:
    # A rolling deploy: a newer publisher's event reaches this older subscriber.
    event = a_cloudevent("Hotel.RoomAllocated", {"schemaVersion": 99})

    with pytest.raises(NewerSchemaVersionError):
        deliver("billing", event, ports, store)
    assert store.letters(POISON) == []


def test_a_transient_failure_propagates_so_event_grid_retries(
    ports: Ports, store: InMemoryDeadLetterStore
) -> None:
    def down(subscription: str, event_type: str, data: object, ports: Ports) -> None:
        raise ConnectionError("storage is down")

    with pytest.raises(ConnectionError):
        deliver("billing", a_cloudevent("Hotel.RoomAllocated", {}), ports, store, dispatcher=down)
    assert store.letters(POISON) == []


def test_a_good_event_is_dispatched(ports: Ports, store: InMemoryDeadLetterStore) -> None:
    calls = []

    def record(subscription: str, event_type: str, data: object, ports: Ports) -> None:
        calls.append((subscription, event_type, data))

    event = a_cloudevent("Hotel.RoomAllocated", {"x": 1})
    assert deliver("billing", event, ports, store, dispatcher=record) is True
    assert calls == [("billing", "Hotel.RoomAllocated", {"x": 1})]


def test_the_workers_cloudevent_is_turned_back_into_its_json() -> None:
    event = func.CloudEvent(
        id="e-1",
        source="/hotel/rooms",
        type="Hotel.RoomAllocated",
        specversion="1.0",
        subject="/hotels/h/reservations/r",
        datacontenttype="application/json",
        data={"a": 1},
        traceparent="00-abc",
    )
    assert delivered_event_json(event) == {
        "specversion": "1.0",
        "id": "e-1",
        "source": "/hotel/rooms",
        "type": "Hotel.RoomAllocated",
        "subject": "/hotels/h/reservations/r",
        "datacontenttype": "application/json",
        "traceparent": "00-abc",
        "data": {"a": 1},
    }
