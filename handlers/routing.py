"""The one routing table: which subscription feeds which function with which event types.

The local Event Grid emulator's subscriptions (``devstack up``) and the Bicep
(``infra/routing.json``, generated from this module by ``python -m infra.generate``) both come
from here, so local and Azure route events identically. A test fails if the JSON is stale.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Final

from handlers.reactions import subscribed_types

TOPIC_NAME: Final = "hotel-events"


@dataclass(frozen=True)
class Subscription:
    """One Event Grid subscription on the topic, delivering to one Event Grid-triggered function."""

    name: str
    function_name: str
    included_event_types: tuple[str, ...]
    max_delivery_attempts: int = 30
    event_ttl_minutes: int = 1440
    deadletter_container: str = "deadletter"

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "functionName": self.function_name,
            "includedEventTypes": list(self.included_event_types),
            "maxDeliveryAttempts": self.max_delivery_attempts,
            "eventTimeToLiveInMinutes": self.event_ttl_minutes,
            "deadLetterContainer": self.deadletter_container,
        }


# The event types of each subscription come from its reactions (handlers/reactions.py).
SUBSCRIPTIONS: Final[tuple[Subscription, ...]] = tuple(
    Subscription(name=name, function_name=name, included_event_types=subscribed_types(name))
    for name in ("reservations", "rooms", "billing", "loyalty", "frontdesk")
)


def routing_document() -> dict[str, object]:
    return {
        "topic": TOPIC_NAME,
        "subscriptions": [s.as_json() for s in SUBSCRIPTIONS],
    }


def render() -> str:
    return json.dumps(routing_document(), indent=2) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
