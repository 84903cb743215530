"""The Event Grid subscribers: one function per subscription of the routing table.

``handlers/routing.SUBSCRIPTIONS`` names each subscription and the function it delivers to (the
emulator's subscriptions and the Bicep's come from the same table), so a subscription cannot
be added without its function, nor a function without its subscription.

An exception here is a 500 to Event Grid, which retries and finally dead-letters: handlers must
raise rather than swallow anything that should be tried again. An event that can never be
processed (EventError) is quarantined to deadletter-poison and acknowledged (``deliver``).
"""

from __future__ import annotations

import azure.functions as func

from adapters.accounting import saga_step
from entrypoints import wiring
from entrypoints.eventgrid_edge import consumes, deliver, delivered_event_json
from handlers.routing import SUBSCRIPTIONS, Subscription

bp = func.Blueprint()  # type: ignore[no-untyped-call]


def _subscribe(subscription: Subscription) -> None:
    """Register the Event Grid-triggered function ``subscription.function_name``."""
    name, function_name = subscription.name, subscription.function_name

    def subscriber(event: func.CloudEvent) -> None:
        with saga_step(function_name):
            deliver(name, delivered_event_json(event), wiring.ports(), wiring.dead_letter_store())

    # Named before decorating (``consumes`` copies the name): tracebacks and logs keep saying
    # ``rooms_subscriber`` as when each subscriber was written out by hand.
    subscriber.__name__ = subscriber.__qualname__ = f"{name}_subscriber"
    bp.function_name(name=function_name)(
        bp.event_grid_trigger(arg_name="event")(consumes(name)(subscriber))
    )


for _subscription in SUBSCRIPTIONS:
    _subscribe(_subscription)
