"""The rooms context: which concrete room each reservation holds, for which nights.

One ``RoomAllocation`` per reservation. The room-nights themselves are separate entities owned by
the inventory (inserting one is the lock); the allocation says which ones this reservation holds
and is the tombstone when a cancellation overtakes the request.

Statuses: ``Allocated`` (holds ``room_number`` for ``nights``), ``Failed`` (no room was free),
``Released`` (held, then let go on cancel or declined payment) and ``Cancelled``: a tombstone
written when ``ReservationCancelled`` arrives before ``ReservationRequested``, so the late request
allocates nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Literal

from domain.aggregate import Aggregate
from domain.events import RoomAllocated, RoomAllocationFailed, RoomReleased
from domain.stay import Stay

AllocationStatus = Literal["Allocated", "Released", "Failed", "Cancelled"]
ReleaseReason = Literal["cancelled", "payment_declined"]


def choose_room(
    room_numbers: Sequence[str],
    held: Mapping[date, Iterable[str]],
    nights: Sequence[date],
    *,
    exclude: Iterable[str] = (),
) -> str | None:
    """The first room (in catalog order) free for ALL ``nights``, or None.

    ``held`` maps a night to the rooms already held that night; ``exclude`` skips rooms known to
    be contended (e.g. one that just lost a race).
    """
    taken = set(exclude)
    for night in nights:
        taken.update(held.get(night, ()))
    return next((room for room in room_numbers if room not in taken), None)


class RoomAllocation(Aggregate):
    reservation_id: str
    hotel_id: str
    room_type: str
    status: AllocationStatus
    room_number: str | None = None
    check_in: date | None = None
    check_out: date | None = None
    nights: list[date] = []
    guest_id: str | None = None
    updated_at: datetime

    @classmethod
    def allocate(
        cls,
        *,
        reservation_id: str,
        stay: Stay,
        room_number: str,
        guest_id: str,
        payment_method_ref: str,
        at: datetime,
    ) -> RoomAllocation:
        nights = stay.nights
        allocation = cls(
            reservation_id=reservation_id,
            hotel_id=stay.hotel_id,
            room_type=stay.room_type,
            status="Allocated",
            room_number=room_number,
            check_in=stay.check_in,
            check_out=stay.check_out,
            nights=nights,
            guest_id=guest_id,
            updated_at=at,
        )
        allocation.record(
            RoomAllocated(
                reservation_id=reservation_id,
                hotel_id=stay.hotel_id,
                occurred_at=at,
                room_type=stay.room_type,
                room_number=room_number,
                check_in=stay.check_in,
                check_out=stay.check_out,
                nights=nights,
                guest_id=guest_id,
                payment_method_ref=payment_method_ref,
            )
        )
        return allocation

    @classmethod
    def fail(
        cls, *, reservation_id: str, stay: Stay, guest_id: str, at: datetime
    ) -> RoomAllocation:
        allocation = cls(
            reservation_id=reservation_id,
            hotel_id=stay.hotel_id,
            room_type=stay.room_type,
            status="Failed",
            check_in=stay.check_in,
            check_out=stay.check_out,
            guest_id=guest_id,
            updated_at=at,
        )
        allocation.record(
            RoomAllocationFailed(
                reservation_id=reservation_id,
                hotel_id=stay.hotel_id,
                occurred_at=at,
                room_type=stay.room_type,
            )
        )
        return allocation

    @classmethod
    def tombstone(
        cls, *, reservation_id: str, hotel_id: str, room_type: str, at: datetime
    ) -> RoomAllocation:
        """Cancelled before it was requested (out of order): a later request does nothing."""
        return cls(
            reservation_id=reservation_id,
            hotel_id=hotel_id,
            room_type=room_type,
            status="Cancelled",
            updated_at=at,
        )

    @property
    def held_room_nights(self) -> list[tuple[date, str]]:
        """The (night, room) entities this allocation holds; empty unless Allocated."""
        if self.status != "Allocated" or self.room_number is None:
            return []
        return [(night, self.room_number) for night in self.nights]

    def release(self, reason: ReleaseReason, *, at: datetime) -> list[tuple[date, str]]:
        """Let the room-nights go; returns them (empty, and nothing recorded, if none held)."""
        held = self.held_room_nights
        if not held or self.room_number is None:
            return []
        self.status = "Released"
        self.updated_at = at
        self.record(
            RoomReleased(
                reservation_id=self.reservation_id,
                hotel_id=self.hotel_id,
                occurred_at=at,
                room_type=self.room_type,
                room_number=self.room_number,
                nights=list(self.nights),
                reason=reason,
            )
        )
        return held
