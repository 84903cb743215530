"""Dead-letter blobs: what the emulator writes (the builder is pure; the writer does I/O).

Azure's format -- the path ``{SUBSCRIPTION-UPPER}/{yyyy}/{M}/{d}/{H}/{uuid}.json`` in the
subscription's dead-letter container, a JSON array of the undelivered event(s) with the
dead-letter fields added -- is the app's own reader's (handlers/dead_letters/blob_format.py), so
the emulator writes exactly what the reprocessor reads. Deviation: Azure writes the blob about
five minutes after the last attempt; the emulator writes it at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from azure.storage.blob import BlobServiceClient, ContentSettings

from devstack.eventgrid.config import InputSchema
from handlers.dead_letters.blob_format import iso, with_dead_letter_fields


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
    return with_dead_letter_fields(event, fields, cloudevents=schema is InputSchema.CLOUD_EVENTS)


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
