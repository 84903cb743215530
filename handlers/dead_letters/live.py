"""The live edge: dispatch a delivered event, and quarantine one that can never succeed.

Such an event is written to ``deadletter-poison`` and acknowledged instead of being retried by
Event Grid for 24 hours (and then dead-lettered only to be poisoned by the reprocessor).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from domain.errors import EventError
from handlers.dead_letters.blob_format import (
    dead_letter_blob,
    dead_letter_name,
    iso,
    metadata_value,
    with_dead_letter_fields,
)
from handlers.dead_letters.metadata import (
    DEAD_LETTERED_AT,
    OUTCOME,
    POISONED,
    QUARANTINED_AT,
    REASON,
    REPROCESS_ATTEMPTS,
    REPROCESSED_BY,
)
from handlers.dispatch import Dispatcher, dispatch
from handlers.ports import DeadLetterStore, Ports

log = logging.getLogger(__name__)

# The ``deadLetterReason`` of an event quarantined at delivery.
EDGE_DEAD_LETTER_REASON: Final = "UnprocessableEvent"


def deliver(
    subscription: str,
    event: Mapping[str, Any],
    ports: Ports,
    store: DeadLetterStore,
    *,
    dispatcher: Dispatcher = dispatch,
) -> bool:
    """A live Event Grid delivery: dispatch it; True if handled.

    An event that can never be processed (EventError) is written to ``deadletter-poison`` with
    the reason and acknowledged (False): retrying it would only delay the same failure by 24 h.
    Any other exception propagates, so Event Grid retries (and finally dead-letters) it.
    """
    cloudevent = "specversion" in event
    event_type = str(event.get("type") if cloudevent else event.get("eventType"))
    data = event.get("data")
    try:
        dispatcher(subscription, event_type, data, ports)
    except EventError as exc:
        quarantine(subscription, event, exc, ports, store)
        return False
    return True


def quarantine(
    subscription: str,
    event: Mapping[str, Any],
    error: EventError,
    ports: Ports,
    store: DeadLetterStore,
) -> str:
    """Write ``event`` to ``deadletter-poison`` as a one-element dead-letter array; its name."""
    now = ports.clock()
    reason = f"{type(error).__name__}: {error}"
    fields = {
        "deadLetterReason": EDGE_DEAD_LETTER_REASON,
        "deadLetterDetail": reason,
        "deliveryAttempts": 1,
        "lastDeliveryOutcome": "Poison",
        "lastDeliveryAttemptTime": iso(now),
    }
    lettered = with_dead_letter_fields(event, fields, cloudevents="specversion" in event)
    name = dead_letter_name(subscription, now)
    store.quarantine(
        name,
        dead_letter_blob([lettered]),
        {
            OUTCOME: POISONED,
            REASON: metadata_value(reason),
            REPROCESS_ATTEMPTS: "0",
            REPROCESSED_BY: "edge",
            QUARANTINED_AT: iso(now),
            DEAD_LETTERED_AT: iso(now),
        },
    )
    log.warning("%s: quarantined event %s to %s: %s", subscription, event.get("id"), name, reason)
    return name
