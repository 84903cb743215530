"""Dead letter blobs as Azure writes them, and a saga that dead-letters one subscription.

Shared by the unit tests of the dead letters and by the integration tests on Azurite.

Format (Microsoft Learn, "Dead letter and retry policies" for Event Grid): a JSON array of one or
more events in the topic's schema with the dead-letter fields added -- camelCase for the Event
Grid schema (``deadLetterReason``, ``deliveryAttempts``, ``lastDeliveryOutcome``,
``publishTime``, ``lastDeliveryAttemptTime``; ``lastHttpStatusCode`` is seen in the wild),
lowercase for CloudEvents. Path ``{SUB}/{yyyy}/{M}/{d}/{H}/{guid}.json``. The events are built
here by hand, not with handlers/dead_letters/blob_format.py, so that its reader is tested against
the format rather than against its own writer.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from handlers.dead_letters.blob_format import dead_letter_name
from handlers.ports import Ports
from tests.support.harness import Bus, Delivery, book

TOPIC_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/hotel"
    "/providers/Microsoft.EventGrid/topics/hotel-events"
)
WHEN = "2031-04-01T12:00:00.0000000Z"


def dead_letter_fields(
    *,
    reason: str = "MaxDeliveryAttemptsExceeded",
    attempts: int = 30,
    outcome: str = "Busy",
    status: int = 503,
) -> dict[str, Any]:
    return {
        "deadLetterReason": reason,
        "deliveryAttempts": attempts,
        "lastDeliveryOutcome": outcome,
        "lastHttpStatusCode": status,
        "publishTime": WHEN,
        "lastDeliveryAttemptTime": WHEN,
    }


def as_cloudevents_letter(cloudevent: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A CloudEvent as dead-lettered: its attributes plus the lowercase dead letter fields."""
    extra = {key.lower(): value for key, value in dead_letter_fields(**fields).items()}
    return {**cloudevent, **extra}


def as_eventgrid_letter(cloudevent: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The same event published in the Event Grid schema, as dead-lettered (camelCase)."""
    return {
        "topic": TOPIC_ID,
        "subject": cloudevent.get("subject", ""),
        "eventType": cloudevent["type"],
        "id": cloudevent["id"],
        "data": cloudevent.get("data"),
        "dataVersion": "",
        "metadataVersion": "1",
        "eventTime": cloudevent.get("time", WHEN),
        **dead_letter_fields(**fields),
    }


def blob(events: Sequence[dict[str, Any]]) -> bytes:
    return json.dumps(list(events)).encode("utf-8")


def blob_name(subscription: str, when: datetime | None = None) -> str:
    return dead_letter_name(subscription, when or datetime(2031, 4, 1, 9, tzinfo=UTC))


def a_cloudevent(
    event_type: str, data: object, *, subject: str = "/hotels/x/reservations/y"
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/hotel/test",
        "type": event_type,
        "subject": subject,
        "time": WHEN,
        "datacontenttype": "application/json",
        "data": data,
    }


def run_failing(bus: Bus, subscription: str) -> list[Delivery]:
    """Deliver until quiet, except to ``subscription``; what it would have received."""
    held: list[Delivery] = []
    queue = bus.take_published()
    while queue:
        delivery = queue.pop(0)
        if delivery[0] == subscription:
            held.append(delivery)
        else:
            bus.deliver(delivery)
        queue.extend(bus.take_published())
    return held


def book_with_billing_down(ports: Ports, bus: Bus, **overrides: Any) -> tuple[str, dict[str, Any]]:
    """A booking whose RoomAllocated never reached billing: (reservation id, that CloudEvent)."""
    reservation = book(ports, **overrides)
    held = run_failing(bus, "billing")
    (allocated,) = [ce for sub, ce in held if ce["type"] == "Hotel.RoomAllocated"]
    return reservation.reservation_id, allocated
