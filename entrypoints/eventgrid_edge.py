"""The Event Grid edge: what every live delivery goes through before and after its handler.

- ``consumes(subscription)`` runs a trigger inside a CONSUMER span continuing the event's trace;
- ``delivered_event_json`` turns the worker's decoded event back into its JSON, as it came;
- ``deliver`` dispatches it to the subscription's handler. An event that can never succeed
  (``EventError``) is quarantined to ``deadletter-poison`` and acknowledged instead of being
  retried by Event Grid for 24 hours; anything else raises, so Event Grid retries it.

The reprocessor replays dead letters with the same dispatch (handlers/dead_letters/), and the
blobs written here use its format and metadata names, so poison from either is handled alike.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final, ParamSpec, TypeVar

import azure.functions as func

from adapters.telemetry import consume_span
from domain.errors import EventError
from handlers.dead_letters.blob_format import dead_letter_name, iso, metadata_value
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

P = ParamSpec("P")
R = TypeVar("R")

# The logger the dead-letter log lines have always used (log filters and alerts rely on it).
log = logging.getLogger("handlers.dead_letters")

# The reason fields added to an event quarantined at delivery (CloudEvents attribute names are
# lowercase alphanumerics; the Event Grid schema uses camelCase like its dead-letter fields).
EDGE_DEAD_LETTER_REASON: Final = "UnprocessableEvent"


def consumes(subscription: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate an Event Grid trigger: its body runs inside ``consume_span(subscription, ...)``.

    The CloudEvent is found among the arguments (the worker passes bindings by name); for an
    Event Grid-schema event the body runs without a span. ``functools.wraps`` keeps the
    signature the Functions indexing reads.
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            event = next(
                (v for v in (*args, *kwargs.values()) if isinstance(v, func.CloudEvent)), None
            )
            if event is None:
                return function(*args, **kwargs)
            with consume_span(subscription, event):
                return function(*args, **kwargs)

        return wrapper

    return decorate


def delivered_event_json(event: func.CloudEvent | func.EventGridEvent) -> dict[str, Any]:
    """The JSON of an event as the Functions worker decoded it (to quarantine it as it came)."""
    if isinstance(event, func.EventGridEvent):
        return {
            "id": event.id,
            "topic": event.topic,
            "subject": event.subject,
            "eventType": event.event_type,
            "eventTime": _iso_or_none(event.event_time),
            "dataVersion": event.data_version,
            "metadataVersion": "1",
            "data": event.get_json(),
        }
    document: dict[str, Any] = {
        "specversion": event.specversion,
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "subject": event.subject,
        "time": _iso_or_none(event.time),
        "datacontenttype": event.datacontenttype,
        "dataschema": event.dataschema,
    }
    document = {key: value for key, value in document.items() if value is not None}
    document.update(event.extension_attrs or {})
    document["data"] = event.get_json()
    return document


def _iso_or_none(when: datetime | None) -> str | None:
    return None if when is None else iso(when)


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
    if "specversion" in event:
        fields = {key.lower(): value for key, value in fields.items()}
    name = dead_letter_name(subscription, now)
    body = json.dumps([{**event, **fields}], ensure_ascii=False, default=str).encode("utf-8")
    store.quarantine(
        name,
        body,
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
