"""Dead-letter blobs: where they go and what they hold (builders are pure; the writer does I/O).

Path ``{SUBSCRIPTION-UPPER}/{yyyy}/{M}/{d}/{H}/{uuid}.json`` in UTC, not zero-padded, in the
subscription's dead-letter container. The blob is a JSON array of the undelivered event(s), each
with the dead-letter fields added (camelCase for the Event Grid schema, lowercase for
CloudEvents, whose attribute names must be lowercase). Deviation: Azure writes the blob about
five minutes after the last attempt; the emulator writes it at once.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from azure.storage.blob import BlobServiceClient, ContentSettings

from devstack.eventgrid.config import InputSchema


def blob_name(subscription: str, when: datetime, blob_id: uuid.UUID | None = None) -> str:
    when = when.astimezone(UTC)
    return (
        f"{subscription.upper()}/{when.year}/{when.month}/{when.day}/{when.hour}/"
        f"{blob_id or uuid.uuid4()}.json"
    )


def iso(when: datetime) -> str:
    """UTC ISO 8601 with a ``Z``, as Azure writes timestamps."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def dead_letter_event(
    event: dict[str, Any],
    schema: InputSchema,
    *,
    reason: str,
    attempts: int,
    outcome: str,
    status: int | None,
    publish_time: datetime,
    last_attempt_time: datetime | None,
) -> dict[str, Any]:
    """The event with the dead-letter fields added (``lastHttpStatusCode`` 0 if no response)."""
    fields: dict[str, Any] = {
        "deadLetterReason": reason,
        "deliveryAttempts": attempts,
        "lastDeliveryOutcome": outcome,
        "lastHttpStatusCode": status or 0,
        "publishTime": iso(publish_time),
        "lastDeliveryAttemptTime": iso(last_attempt_time or publish_time),
    }
    if schema is InputSchema.CLOUD_EVENTS:
        fields = {name.lower(): value for name, value in fields.items()}
    return {**event, **fields}


def dead_letter_blob(events: Sequence[dict[str, Any]]) -> bytes:
    return json.dumps(list(events), ensure_ascii=False).encode("utf-8")


class DeadLetterWriter:
    """Writes dead-letter blobs with the sync SDK (call from a worker thread)."""

    def __init__(self, connection_string: str) -> None:
        self._service = BlobServiceClient.from_connection_string(connection_string)

    def write(self, container: str, name: str, body: bytes) -> None:
        blob = self._service.get_blob_client(container, name)
        blob.upload_blob(
            body,
            overwrite=False,
            content_settings=ContentSettings(content_type="application/json"),
        )

    def close(self) -> None:
        self._service.close()
