"""The subscription validation handshake (Event Grid schema): one attempt, and why it failed.

Until a subscriber echoes the ``validationCode`` of a ``SubscriptionValidationEvent``, Event
Grid delivers it nothing; the dispatcher retries the handshake while the subscriber is down.
"""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Final

import httpx

from devstack.eventgrid.config import SubscriptionConfig
from devstack.eventgrid.delivery import utcnow
from handlers.dead_letters.blob_format import iso

VALIDATION_EVENT_TYPE: Final = "Microsoft.EventGrid.SubscriptionValidationEvent"


async def handshake(client: httpx.AsyncClient, sub: SubscriptionConfig, topic_id: str) -> str:
    """An empty string when ``sub`` is validated, else why not."""
    code = secrets.token_hex(16)
    event = {
        "id": str(uuid.uuid4()),
        "topic": topic_id,
        "subject": "",
        "data": {"validationCode": code, "validationUrl": None},
        "eventType": VALIDATION_EVENT_TYPE,
        "eventTime": iso(utcnow()),
        "metadataVersion": "1",
        "dataVersion": "2",
    }
    headers = {
        "content-type": "application/json",
        "aeg-event-type": "SubscriptionValidation",
        "aeg-subscription-name": sub.name.upper(),
        "aeg-delivery-count": "0",
        "aeg-data-version": "2",
        "aeg-metadata-version": "1",
    }
    try:
        response = await client.post(
            sub.endpoint, content=json.dumps([event]).encode(), headers=headers
        )
    except httpx.HTTPError as exc:
        return f"endpoint {sub.endpoint} unreachable ({type(exc).__name__}: {exc})"
    if response.status_code != 200:
        return f"{sub.endpoint} answered the handshake with {response.status_code}"
    try:
        answer = response.json()
    except ValueError:
        return "the handshake response is not JSON"
    echoed = answer.get("validationResponse") if isinstance(answer, dict) else None
    if echoed != code:
        return f"the handshake response did not echo the validationCode (got {echoed!r})"
    return ""
