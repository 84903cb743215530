"""Domain events as CloudEvents 1.0 JSON (structured mode), the one wire format of the topic.

The JSON built here is stored in the outbox row as it is published, so a relay that publishes it
again sends the very same event (same ``id``: consumers deduplicate on it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from domain.events import DomainEvent

SPEC_VERSION: Final = "1.0"
DATA_CONTENT_TYPE: Final = "application/json"
SOURCE_PREFIX: Final = "/hotel/"

_PROPAGATOR: Final = TraceContextTextMapPropagator()


def source_of(context: str) -> str:
    """The CloudEvent ``source`` of events emitted by one bounded context."""
    return f"{SOURCE_PREFIX}{context}"


def iso_utc(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` suffix; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def trace_extensions() -> dict[str, str]:
    """``traceparent`` (and ``tracestate`` if any) of the active span; empty without one."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)  # writes nothing unless the current span context is valid
    return {key: value for key, value in carrier.items() if key in ("traceparent", "tracestate")}


def to_cloudevent(event: DomainEvent, *, context: str) -> dict[str, Any]:
    """The CloudEvents 1.0 JSON of ``event``, emitted by ``context`` (rooms, billing...)."""
    cloudevent: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": event.event_id,
        "source": source_of(context),
        "type": event.event_type(),
        "subject": event.subject,
        "time": iso_utc(event.occurred_at),
        "datacontenttype": DATA_CONTENT_TYPE,
        "data": event.to_data(),
    }
    cloudevent.update(trace_extensions())
    return cloudevent
