"""One registry: which handler serves which Event Grid subscription.

The function app's Event Grid triggers call ``dispatch(subscription, event.type, event.data,
ports)``. Events that can never be processed (unknown type, bad schema) raise EventError
subclasses for the trigger to dead-letter; anything else that raises is transient and redelivered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Final

from domain.events import DomainEvent, parse_event
from handlers import billing, loyalty, reservations, rooms
from handlers.ports import Ports
from handlers.routing import SUBSCRIPTIONS

log = logging.getLogger(__name__)

Handler = Callable[[DomainEvent, Ports], None]

HANDLERS: Final[dict[str, Handler]] = {
    "reservations": reservations.handle_event,
    "rooms": rooms.handle_event,
    "billing": billing.handle_event,
    "loyalty": loyalty.handle_event,
}

ROUTED_TYPES: Final[Mapping[str, frozenset[str]]] = {
    s.name: frozenset(s.included_event_types) for s in SUBSCRIPTIONS
}


def dispatch(subscription: str, event_type: str, data: object, ports: Ports) -> None:
    """Parse (and upcast) one delivered event and hand it to the subscription's handler.

    Raises KeyError for an unknown subscription (a wiring bug) and EventError subclasses for
    events that can never be processed; ignores (logs) types the subscription does not handle.
    """
    handler = HANDLERS[subscription]
    event = parse_event(event_type, data)
    if event_type not in ROUTED_TYPES.get(subscription, frozenset()):
        log.warning("%s: ignoring unrouted %s %s", subscription, event_type, event.event_id)
        return
    handler(event, ports)
