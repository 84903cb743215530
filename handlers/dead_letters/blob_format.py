"""Azure's dead-letter blobs: their names, their body, their metadata (pure; no I/O).

Event Grid writes an event it could not deliver to the dead-letter container at
``{SUBSCRIPTION}/{yyyy}/{M}/{d}/{H}/{guid}.json`` (UTC, not zero-padded): a JSON array of one or
more events in the topic's schema (Event Grid or CloudEvents 1.0), each with the dead-letter
fields added (``deadLetterReason``, ``deliveryAttempts``, ... ; lowercase for CloudEvents, whose
attribute names must be lowercase).

The one place for these rules: the reprocessor reads blobs with them, the live edge writes
poison with them, and the Event Grid emulator (devstack/eventgrid/deadletter.py) writes its
dead letters with them, so the emulator and the app cannot drift apart.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from domain.errors import EventError

# Blob metadata values are HTTP header values, and Azure bounds their total size.
MAX_METADATA_VALUE: Final = 1024


class UnreadableDeadLetterError(EventError):
    """A dead-letter blob that no code could ever replay (broken JSON, not events, ...)."""


@dataclass(frozen=True)
class LetteredEvent:
    """One event of a dead-letter blob, in either schema, with Event Grid's dead-letter fields."""

    schema: Literal["CloudEvents", "EventGrid"]
    event_id: str
    event_type: str
    subject: str
    data: object
    dead_letter_reason: str | None
    delivery_attempts: int | None
    last_delivery_outcome: str | None
    publish_time: str | None


# -- names and timestamps -------------------------------------------------------------------


def dead_letter_name(subscription: str, when: datetime, blob_id: uuid.UUID | None = None) -> str:
    """``{SUBSCRIPTION}/{yyyy}/{M}/{d}/{H}/{guid}.json`` in UTC, not zero-padded (as Azure)."""
    when = when.astimezone(UTC)
    return (
        f"{subscription.upper()}/{when.year}/{when.month}/{when.day}/{when.hour}/"
        f"{blob_id or uuid.uuid4()}.json"
    )


# Microsoft Learn ("Set dead-letter location and retry policy"): MY-BLOB-SUBSCRIPTION/2019/8/8/5/
# {guid}.json. Matched at the end of the name, so a prefix before the subscription (a topic or a
# folder some tool adds) does not hide it; the subscription is the segment before the date.
_AZURE_NAME = re.compile(
    r"(?:^|/)(?P<subscription>[A-Za-z0-9-]{3,64})"
    r"/\d{4}/(?:[1-9]|1[0-2])/(?:[1-9]|[12]\d|3[01])/(?:1?\d|2[0-3])"
    r"/[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}\.json$"
)


def folder_of(name: str) -> str:
    """The subscription folder of a blob named as Event Grid names dead letters (the segment
    before ``yyyy/M/d/H/guid.json``, upper-cased by Event Grid); for any other name, its first
    path segment."""
    match = _AZURE_NAME.search(name)
    return match["subscription"] if match else name.split("/", 1)[0]


def iso(when: datetime) -> str:
    """UTC ISO 8601 with a ``Z``, as Azure writes timestamps."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: str | None) -> datetime | None:
    """A timestamp as ``iso`` writes it (a naive one is taken as UTC); None if absent or bad."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# -- writing a blob -------------------------------------------------------------------------


def with_dead_letter_fields(
    event: Mapping[str, Any], fields: Mapping[str, Any], *, cloudevents: bool
) -> dict[str, Any]:
    """``event`` with the dead-letter ``fields`` (named in camelCase) added: lowercased for a
    CloudEvent, whose attribute names must be lowercase; as given for the Event Grid schema."""
    if cloudevents:
        fields = {name.lower(): value for name, value in fields.items()}
    return {**event, **fields}


def dead_letter_blob(events: Iterable[Mapping[str, Any]]) -> bytes:
    """The body of a dead-letter blob: a UTF-8 JSON array of the events."""
    return json.dumps(list(events), ensure_ascii=False, default=str).encode("utf-8")


def metadata_value(text: str) -> str:
    """Blob metadata values are HTTP header values: printable ASCII, bounded."""
    clean = "".join(ch if " " <= ch <= "~" else "?" for ch in text).strip()
    return clean[: MAX_METADATA_VALUE - 3] + "..." if len(clean) > MAX_METADATA_VALUE else clean


def meta(metadata: Mapping[str, str], name: str) -> str | None:
    """A metadata value by name, ignoring case (Azure metadata names are case-insensitive)."""
    lowered = name.lower()
    for key, value in metadata.items():
        if key.lower() == lowered:
            return value
    return None


# -- reading a blob -------------------------------------------------------------------------


def optional_int(value: Any) -> int | None:
    """``value`` as an int; None if absent or not a number (fields and metadata are text)."""
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _field(event: Mapping[str, Any], name: str) -> Any:
    """A dead-letter field by its Event Grid name, or its lowercase CloudEvents twin."""
    return event.get(name, event.get(name.lower()))


def _cloudevent_data(event: Mapping[str, Any]) -> object:
    if "data_base64" not in event:
        return event.get("data")
    try:
        return json.loads(base64.b64decode(str(event["data_base64"]), validate=True))
    except (binascii.Error, ValueError) as exc:
        raise UnreadableDeadLetterError(f"data_base64 is not base64 JSON: {exc}") from exc


def parse_event(index: int, event: object) -> LetteredEvent:
    """One element of a dead-letter array; UnreadableDeadLetterError if it is not an event."""
    if not isinstance(event, dict):
        raise UnreadableDeadLetterError(f"event {index}: not a JSON object")
    if "specversion" in event:
        schema: Literal["CloudEvents", "EventGrid"] = "CloudEvents"
        event_type, data = event.get("type"), _cloudevent_data(event)
    elif "eventType" in event:
        schema = "EventGrid"
        event_type, data = event.get("eventType"), event.get("data")
    else:
        raise UnreadableDeadLetterError(
            f"event {index}: neither CloudEvents (specversion) nor Event Grid schema (eventType)"
        )
    if not isinstance(event_type, str) or not event_type:
        raise UnreadableDeadLetterError(f"event {index}: no event type")
    return LetteredEvent(
        schema=schema,
        event_id=str(event.get("id", "")),
        event_type=event_type,
        subject=str(event.get("subject", "")),
        data=data,
        dead_letter_reason=_optional_str(_field(event, "deadLetterReason")),
        delivery_attempts=optional_int(_field(event, "deliveryAttempts")),
        last_delivery_outcome=_optional_str(_field(event, "lastDeliveryOutcome")),
        publish_time=_optional_str(_field(event, "publishTime")),
    )


def parse_dead_letter_blob(body: bytes) -> list[LetteredEvent]:
    """The events of one dead-letter blob (a JSON array; a lone object is taken as one event).

    Raises UnreadableDeadLetterError: such a blob can never be replayed.
    """
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UnreadableDeadLetterError(f"undecodable JSON: {exc}") from exc
    if isinstance(document, dict):
        document = [document]
    if not isinstance(document, list):
        raise UnreadableDeadLetterError("not a JSON array of events")
    if not document:
        raise UnreadableDeadLetterError("an empty array: no events")
    return [parse_event(index, event) for index, event in enumerate(document)]
