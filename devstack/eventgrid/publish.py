"""Parse and validate a publish request body, as the topic's ``inputSchema`` requires.

Pure functions: bytes in, a list of event dicts (stamped as Azure stamps them) or a
:class:`PublishError` out. The error carries the HTTP status and Azure's error body shape
``{"error": {"code", "message", "details": [{"code", "message"}]}}``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from devstack.eventgrid.config import InputSchema, TopicConfig

MAX_BODY_BYTES: Final = 1024 * 1024
MAX_EVENT_BYTES: Final = 1024 * 1024
MAX_EVENTS: Final = 5000

_EVENT_GRID_REQUIRED: Final = ("id", "subject", "eventType", "eventTime")
_CLOUD_EVENT_REQUIRED: Final = ("id", "source", "specversion", "type")
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")


@dataclass(frozen=True)
class PublishError(Exception):
    status: int
    code: str
    message: str
    details: list[tuple[str, str]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "details": [{"code": c, "message": m} for c, m in self.details],
            }
        }


def bad_request(message: str, detail_code: str = "InputJsonInvalid") -> PublishError:
    return PublishError(400, "BadRequest", message, [(detail_code, message)])


def too_large(message: str) -> PublishError:
    return PublishError(413, "RequestEntityTooLarge", message, [("PayloadTooLarge", message)])


def parse_timestamp(value: Any) -> datetime | None:
    """An RFC 3339 / ISO 8601 timestamp (``Z`` or offset; up to 7+ fraction digits), else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(_LONG_FRACTION.sub(r"\1", value.strip()))
    except ValueError:
        return None


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}") from None


def _check_size(event: dict[str, Any], index: int) -> None:
    size = len(json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_EVENT_BYTES:
        raise too_large(f"Event at index {index} is {size} bytes; an event may be at most 1 MB.")


def _require_strings(event: dict[str, Any], index: int, names: tuple[str, ...]) -> None:
    for name in names:
        value = event.get(name)
        if not isinstance(value, str) or not value:
            raise bad_request(
                f"Required property '{name}' was not set or is not a non-empty string "
                f"(event at index {index}).",
                "InputJsonInvalid",
            )


def _event_grid_event(event: dict[str, Any], index: int, topic: TopicConfig) -> dict[str, Any]:
    _require_strings(event, index, _EVENT_GRID_REQUIRED)
    if parse_timestamp(event["eventTime"]) is None:
        raise bad_request(f"Property 'eventTime' is not a valid timestamp (index {index}).")
    metadata_version = event.get("metadataVersion")
    if metadata_version is not None and metadata_version != "1":
        raise bad_request(
            f"Property 'metadataVersion' must be \"1\" or omitted, got {metadata_version!r} "
            f"(event at index {index})."
        )
    data_version = event.get("dataVersion")
    if data_version is not None and not isinstance(data_version, str):
        raise bad_request(f"Property 'dataVersion' must be a string (event at index {index}).")
    stamped = dict(event)
    stamped["topic"] = topic.topic_id
    stamped["dataVersion"] = data_version or ""
    stamped["metadataVersion"] = "1"
    return stamped


def _cloud_event(event: dict[str, Any], index: int) -> dict[str, Any]:
    _require_strings(event, index, _CLOUD_EVENT_REQUIRED)
    if event["specversion"] != "1.0":
        raise bad_request(
            f"Property 'specversion' must be \"1.0\", got {event['specversion']!r} "
            f"(event at index {index})."
        )
    time = event.get("time")
    if time is not None and parse_timestamp(time) is None:
        raise bad_request(f"Property 'time' is not a valid RFC 3339 timestamp (index {index}).")
    if "data" in event and "data_base64" in event:
        raise bad_request(f"Only one of 'data' and 'data_base64' may be set (index {index}).")
    return dict(event)


def parse_events(body: bytes, content_type: str | None, topic: TopicConfig) -> list[dict[str, Any]]:
    """Validate a publish body against the topic's input schema; the events as Azure stores them."""
    if len(body) > MAX_BODY_BYTES:
        raise too_large(f"The request body is {len(body)} bytes; the limit is 1 MB.")
    decoded = _decode(body)
    schema = topic.input_schema
    if (
        schema is InputSchema.CLOUD_EVENTS
        and isinstance(decoded, dict)
        and _media_type(content_type) == "application/cloudevents+json"
    ):
        decoded = [decoded]
    if not isinstance(decoded, list):
        raise bad_request("The request body must be a JSON array of events.")
    if not decoded:
        raise bad_request("The request body must contain at least one event.")
    if len(decoded) > MAX_EVENTS:
        raise too_large(f"{len(decoded)} events in one request; the limit is {MAX_EVENTS}.")
    events: list[dict[str, Any]] = []
    for index, event in enumerate(decoded):
        if not isinstance(event, dict):
            raise bad_request(f"The event at index {index} is not a JSON object.")
        _check_size(event, index)
        if schema is InputSchema.CLOUD_EVENTS:
            events.append(_cloud_event(event, index))
        else:
            events.append(_event_grid_event(event, index, topic))
    return events
