"""Which reactions serve a delivered event: the function app's Event Grid triggers (and the
dead letter reprocessor) call ``dispatch(subscription, event.type, event.data, ports)``.

Events that can never be processed (unknown type, bad schema) raise EventError subclasses for
the trigger to quarantine; anything else that raises is transient and redelivered.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Final

from domain.events import DomainEvent, parse_event
from handlers.ports import Ports
from handlers.reactions import reactions_by_route
from handlers.routing import SUBSCRIPTIONS

log = logging.getLogger(__name__)

Handler = Callable[[DomainEvent, Ports], None]
# ``dispatch``'s signature: what the live edge and the reprocessor call (tests pass stand-ins).
Dispatcher = Callable[[str, str, object, Ports], None]

_ROUTES: Final = reactions_by_route()


def run_reactions(subscription: str, event: DomainEvent, ports: Ports) -> None:
    """Run every reaction ``subscription`` has to this event's type; log and skip the rest."""
    reactions = _ROUTES.get((subscription, event.event_type()), ())
    if not reactions:
        log.warning("%s: ignoring unrouted %s %s", subscription, event.event_type(), event.event_id)
    for reaction in reactions:
        reaction.run(event, ports)


HANDLERS: Final[Mapping[str, Handler]] = {
    s.name: functools.partial(run_reactions, s.name) for s in SUBSCRIPTIONS
}


def dispatch(subscription: str, event_type: str, data: object, ports: Ports) -> None:
    """Parse (and upcast) one delivered event and run the subscription's reactions to it.

    Raises KeyError for an unknown subscription (a wiring bug) and EventError subclasses for
    events that can never be processed.
    """
    handler = HANDLERS[subscription]
    handler(parse_event(event_type, data), ports)
