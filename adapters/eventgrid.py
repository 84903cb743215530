"""Publishing CloudEvents to the Event Grid custom topic (``EventPublisher``).

One ``EventGridPublisherClient`` per publisher, built once per worker. Locally the topic key
authenticates (``aeg-sas-key``); in Azure the topic has ``disableLocalAuth`` and the worker's
managed identity (EventGrid Data Sender) does, through ``DefaultAzureCredential``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from azure.core.credentials import AzureKeyCredential, TokenCredential
from azure.core.messaging import CloudEvent
from azure.eventgrid import EventGridPublisherClient

from adapters.telemetry import publish_span
from adapters.transport import client_options

# Attributes of CloudEvents 1.0 that are not extensions.
_CORE_ATTRIBUTES: Final = frozenset(
    {"specversion", "id", "source", "type", "subject", "time", "datacontenttype",
     "dataschema", "data", "data_base64"}
)  # fmt: skip
MAX_EVENTS_PER_REQUEST: Final = 500  # well under Event Grid's 5,000 events / 1 MB per request


def cloudevent_from_json(cloudevent: dict[str, Any]) -> CloudEvent[Any]:
    """Rebuild the SDK's CloudEvent from stored JSON, keeping id, time and extensions."""
    time_text = cloudevent.get("time")
    time = datetime.fromisoformat(str(time_text).replace("Z", "+00:00")) if time_text else None
    extensions = {k: v for k, v in cloudevent.items() if k not in _CORE_ATTRIBUTES}
    return CloudEvent(
        source=str(cloudevent["source"]),
        type=str(cloudevent["type"]),
        specversion=str(cloudevent.get("specversion", "1.0")),
        id=str(cloudevent["id"]),
        time=time,
        subject=cloudevent.get("subject"),
        datacontenttype=cloudevent.get("datacontenttype"),
        dataschema=cloudevent.get("dataschema"),
        data=cloudevent.get("data"),
        extensions=extensions or None,
    )


class EventGridPublisher:
    """``EventPublisher`` on a custom topic; raises on any failure (nothing is marked then)."""

    def __init__(
        self,
        endpoint: str,
        *,
        key: str | None = None,
        credential: TokenCredential | None = None,
    ) -> None:
        self._endpoint = endpoint
        if key:
            self._client = EventGridPublisherClient(
                endpoint, AzureKeyCredential(key), **client_options()
            )
        else:
            if credential is None:
                from azure.identity import DefaultAzureCredential

                credential = DefaultAzureCredential()
            self._client = EventGridPublisherClient(endpoint, credential, **client_options())

    def publish(self, cloudevents: Sequence[dict[str, Any]]) -> None:
        events = [cloudevent_from_json(ce) for ce in cloudevents]
        with publish_span(cloudevents, self._endpoint):
            for start in range(0, len(events), MAX_EVENTS_PER_REQUEST):
                self._client.send(events[start : start + MAX_EVENTS_PER_REQUEST])

    def close(self) -> None:
        self._client.close()
