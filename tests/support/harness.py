"""Test harness for handler stories: a settable clock, in-memory ports and a tiny event bus.

The bus stands in for Event Grid: it takes what the fake publisher published, routes each
CloudEvent by ``handlers.routing.SUBSCRIPTIONS`` and calls ``dispatch`` as the triggers do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from adapters.payments import SandboxPaymentGateway
from domain.reservation import Reservation
from handlers.commands import RequestReservation
from handlers.dispatch import dispatch
from handlers.ports import Ports
from handlers.reservations import request_reservation
from handlers.routing import SUBSCRIPTIONS
from tests.support.memory_ports import InMemoryPublisher, build_memory_ports

NOW = datetime(2031, 4, 1, 12, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


Delivery = tuple[str, dict[str, Any]]  # (subscription, CloudEvent)


def deliveries_of(cloudevent: dict[str, Any]) -> list[Delivery]:
    return [
        (s.name, cloudevent) for s in SUBSCRIPTIONS if cloudevent["type"] in s.included_event_types
    ]


@dataclass
class Bus:
    ports: Ports
    cursor: int = 0
    delivered: list[Delivery] = field(default_factory=list)
    # Time that passes before each delivery, as it does in Event Grid: without it every event of
    # a story has the same time, and a reservation's stream (ordered by time) has no order.
    tick: timedelta | None = None

    @property
    def publisher(self) -> InMemoryPublisher:
        assert isinstance(self.ports.publisher, InMemoryPublisher)
        return self.ports.publisher

    def take_published(self) -> list[Delivery]:
        """Deliveries for everything published since the last call (Event Grid fan-out)."""
        fresh = self.publisher.published[self.cursor :]
        self.cursor += len(fresh)
        return [delivery for ce in fresh for delivery in deliveries_of(ce)]

    def deliver(self, delivery: Delivery) -> None:
        if self.tick is not None and isinstance(self.ports.clock, Clock):
            self.ports.clock.advance(self.tick)
        subscription, cloudevent = delivery
        self.delivered.append(delivery)
        dispatch(subscription, cloudevent["type"], cloudevent["data"], self.ports)

    def run(self, *, max_steps: int = 1000) -> int:
        """Deliver until quiet, FIFO; returns how many deliveries were made."""
        queue = self.take_published()
        steps = 0
        while queue:
            steps += 1
            assert steps <= max_steps, "the saga does not settle"
            self.deliver(queue.pop(0))
            queue.extend(self.take_published())
        return steps


def make_ports(clock: Clock | None = None) -> Ports:
    return build_memory_ports(clock or Clock())


def gateway(ports: Ports) -> SandboxPaymentGateway:
    assert isinstance(ports.gateway, SandboxPaymentGateway)
    return ports.gateway


def live_authorizations(ports: Ports) -> list[str]:
    return [
        auth.authorization_id
        for auth in gateway(ports).authorizations.values()
        if not auth.voided and auth.captured is None
    ]


# The nights of the default stay (``request_body``: check in 2031-05-01, check out 2031-05-04).
MAY_1, MAY_2, MAY_3 = date(2031, 5, 1), date(2031, 5, 2), date(2031, 5, 3)


def request_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hotelId": "grand-lisbon",
        "roomType": "STD",
        "checkIn": "2031-05-01",
        "checkOut": "2031-05-04",
        "guests": 2,
        "guest": {"id": "g-123", "name": "Ada Lovelace", "email": "ada@example.com"},
        "paymentToken": "tok_visa",
    }
    body.update(overrides)
    return body


def command(**overrides: Any) -> RequestReservation:
    return RequestReservation.model_validate(request_body(**overrides))


def book(ports: Ports, *, idempotency_key: str | None = None, **overrides: Any) -> Reservation:
    reservation, _ = request_reservation(
        command(**overrides), idempotency_key=idempotency_key, ports=ports
    )
    return reservation


def held_nights(ports: Ports, hotel_id: str, room_type: str, *nights: date) -> set[str]:
    held = ports.inventory.held_rooms(hotel_id, room_type, list(nights))
    return set().union(*held.values()) if held else set()


def types_of(cloudevents: list[dict[str, Any]]) -> list[str]:
    return [str(ce["type"]).removeprefix("Hotel.") for ce in cloudevents]
