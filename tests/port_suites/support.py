"""Tiny aggregates and events for the suites: the adapters must not depend on the domain's."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from domain.aggregate import Aggregate
from domain.events import DomainEvent
from domain.rooms import RoomAllocation
from domain.stay import Stay

BASE_TIME = datetime(2031, 1, 1, 12, 0, tzinfo=UTC)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def at(seconds: float) -> datetime:
    return BASE_TIME + timedelta(seconds=seconds)


class TallyBumped(DomainEvent):
    count: int


class Tally(Aggregate):
    """A counter keyed by a reservation (or, loyalty-style, by anything else)."""

    reservation_id: str
    hotel_id: str = "test-hotel"
    count: int = 0

    def bump(self, *, when: datetime | None = None, reservation_id: str | None = None) -> str:
        """Count one more and record it; returns the event id."""
        self.count += 1
        event = TallyBumped(
            reservation_id=reservation_id or self.reservation_id,
            hotel_id=self.hotel_id,
            count=self.count,
            occurred_at=when or datetime.now(UTC),
        )
        self.record(event)
        return event.event_id


def allocation(
    *,
    hotel_id: str,
    room_type: str,
    room: str,
    nights: list[date],
    reservation_id: str | None = None,
    when: datetime | None = None,
) -> RoomAllocation:
    """A new allocation holding ``room`` for ``nights`` (with its RoomAllocated event)."""
    return RoomAllocation.allocate(
        reservation_id=reservation_id or unique("r"),
        stay=Stay(hotel_id, room_type, nights[0], nights[-1] + timedelta(days=1)),
        room_number=room,
        guest_id="g-1",
        payment_method_ref="pm_test",
        at=when or datetime.now(UTC),
    )


def stay(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]
