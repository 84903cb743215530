"""Every reaction of every subscription, in one table: the routing table is built from it.

A subscription receives exactly the event types it has a reaction for (handlers/routing.py), so
a type cannot be routed to a subscription that ignores it, nor handled but never routed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from handlers import billing, frontdesk, loyalty, reservations, rooms
from handlers.unit_of_work import Reaction

REACTIONS: Final[tuple[Reaction[Any, Any], ...]] = (
    *reservations.REACTIONS,
    *rooms.REACTIONS,
    *billing.REACTIONS,
    *loyalty.REACTIONS,
    *frontdesk.REACTIONS,
)


def reactions_by_route() -> Mapping[tuple[str, str], tuple[Reaction[Any, Any], ...]]:
    """(subscription, CloudEvents type) -> its reactions, in declaration order."""
    table: dict[tuple[str, str], tuple[Reaction[Any, Any], ...]] = {}
    for reaction in REACTIONS:
        route = (reaction.subscription, reaction.event_type.event_type())
        table[route] = (*table.get(route, ()), reaction)
    return table


def subscribed_types(subscription: str) -> tuple[str, ...]:
    """The CloudEvents types one subscription reacts to, in declaration order, once each."""
    return tuple(
        dict.fromkeys(
            r.event_type.event_type() for r in REACTIONS if r.subscription == subscription
        )
    )
