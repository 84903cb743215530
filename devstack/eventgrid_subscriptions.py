"""The Event Grid emulator's configuration for this app: the routing table as subscriptions.

Each entry of ``handlers.routing.SUBSCRIPTIONS`` becomes one emulator subscription delivering to
the Functions host's Event Grid webhook of its function. The document's format is described in
``devstack/eventgrid/README.md`` and validated by ``devstack.eventgrid.config.parse_config``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

from devstack.azurite import PROJECT_ROOT
from handlers.routing import SUBSCRIPTIONS, TOPIC_NAME, Subscription

EVENTGRID_SAMPLE_CONFIG: Final = PROJECT_ROOT / "devstack" / "eventgrid.local.json"


def webhook_url(host_url: str, function_name: str) -> str:
    """Where the Functions host takes Event Grid deliveries for one function."""
    return f"{host_url}/runtime/webhooks/eventgrid?functionName={function_name}"


def eventgrid_config(
    *,
    host_url: str,
    topic_key: str,
    storage: str,
    subscriptions: Iterable[Subscription] = SUBSCRIPTIONS,
    retry_delays_seconds: Sequence[float] | None = None,
    delivery_multiplier: int = 1,
    max_delivery_attempts: int | None = None,
    journal: Path | None = None,
) -> dict[str, Any]:
    """The emulator's JSON configuration (devstack/eventgrid/README.md) for the routing table."""
    config: dict[str, Any] = {
        "topic": {"name": TOPIC_NAME, "key": topic_key, "inputSchema": "CloudEventSchemaV1_0"},
        "storage": storage,
    }
    if retry_delays_seconds:
        config["retryDelaysSeconds"] = list(retry_delays_seconds)
    if delivery_multiplier != 1:
        config["deliveryMultiplier"] = delivery_multiplier
    if journal is not None:
        config["journal"] = str(journal)
    config["subscriptions"] = [
        {
            "name": sub.name,
            "endpoint": webhook_url(host_url, sub.function_name),
            "endpointType": "AzureFunction",  # as infra/subscriptions.bicep deploys them
            "filter": {"includedEventTypes": list(sub.included_event_types)},
            "retryPolicy": {
                "maxDeliveryAttempts": max_delivery_attempts or sub.max_delivery_attempts,
                "eventTimeToLiveInMinutes": sub.event_ttl_minutes,
            },
            "deadLetter": {"container": sub.deadletter_container},
        }
        for sub in subscriptions
    ]
    return config


def sample_eventgrid_config() -> dict[str, Any]:
    """``devstack/eventgrid.local.json``: the emulator alone, in front of ``func start``."""
    return eventgrid_config(
        host_url="http://127.0.0.1:7071",
        topic_key="local-dev-key",
        storage="UseDevelopmentStorage=true",
    )
