"""The rooms context: hold one concrete room for every night, release it, tombstone early cancels.

A held room-night is an entity whose insert is the lock (RoomInventory.save), so two bookings
racing for the last room cannot both win: the loser's commit raises ConcurrencyError, the unit
of work re-reads what is held and tries another room, or records RoomAllocationFailed.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any, Final

from domain.errors import HotelNotFoundError, ValidationError
from domain.events import PaymentDeclined, ReservationCancelled, ReservationRequested
from domain.rooms import ReleaseReason, RoomAllocation, choose_room
from domain.stay import stay_nights
from handlers.catalog import event_room_type, find_room_type
from handlers.ports import Ports
from handlers.retry import MAX_ATTEMPTS
from handlers.unit_of_work import AllocationSlot, Change, Reaction

log = logging.getLogger(__name__)

CONTEXT: Final = "rooms"
MAX_AVAILABILITY_NIGHTS: Final = 366


def availability(
    hotel_id: str, room_type: str, from_: date, to: date, ports: Ports
) -> dict[str, Any]:
    """Rooms free per night in [from_, to): ``{"hotelId", "roomType", "nights": [...]}``.

    Raises HotelNotFoundError for an unknown hotel; ValidationError for an unknown room type
    or a bad range (at most a year).
    """
    errors: dict[str, str] = {}
    hotel = ports.catalog.get(hotel_id)
    rooms: tuple[str, ...] = ()
    if hotel is None:
        raise HotelNotFoundError(hotel_id)
    if (kind := hotel.room_types.get(room_type)) is None:
        errors["roomType"] = f"unknown room type {room_type!r}"
    else:
        rooms = kind.room_numbers
    if to <= from_:
        errors["to"] = "must be after from"
    elif to - from_ > timedelta(days=MAX_AVAILABILITY_NIGHTS):
        errors["to"] = f"at most {MAX_AVAILABILITY_NIGHTS} nights at a time"
    if errors:
        raise ValidationError(errors)
    nights = stay_nights(from_, to)
    held = ports.inventory.held_rooms(hotel_id, room_type, nights)
    return {
        "hotelId": hotel_id,
        "roomType": room_type,
        "nights": [
            {
                "date": night.isoformat(),
                "available": len(set(rooms) - held.get(night, set())),
            }
            for night in nights
        ],
    }


def _slot(
    event: ReservationRequested | ReservationCancelled | PaymentDeclined, ports: Ports
) -> AllocationSlot:
    return AllocationSlot(ports.inventory, event.hotel_id, event.room_type, event.reservation_id)


def decide_allocation(
    event: ReservationRequested, current: RoomAllocation | None, ports: Ports
) -> Change[RoomAllocation] | None:
    """Hold the first room free for every night, or record that none was."""
    if current is not None:  # allocated or failed before, or the tombstone of a cancel
        log.info("rooms: %s already %s", event.reservation_id, current.status)
        return None
    hotel_id, room_type = event.hotel_id, event.room_type
    rooms = event_room_type(ports, hotel_id, room_type)[1].room_numbers
    nights = stay_nights(event.check_in, event.check_out)
    now = ports.clock()
    held = ports.inventory.held_rooms(hotel_id, room_type, nights)
    room = choose_room(rooms, held, nights)
    if room is None or not nights:
        return Change(
            RoomAllocation.fail(
                reservation_id=event.reservation_id,
                stay=event.stay,
                guest_id=event.guest_id,
                at=now,
            )
        )
    allocation = RoomAllocation.allocate(
        reservation_id=event.reservation_id,
        stay=event.stay,
        room_number=room,
        guest_id=event.guest_id,
        payment_method_ref=event.payment_method_ref,
        at=now,
    )
    return Change(allocation, hold=tuple(allocation.held_room_nights))


def _allocation_attempts(event: ReservationRequested, ports: Ports) -> int:
    # Every lost race means another room got taken, so one attempt per room is enough.
    found = find_room_type(ports, event.hotel_id, event.room_type)
    return (0 if found is None else len(found[1].room_numbers)) + MAX_ATTEMPTS


def decide_release(
    event: ReservationCancelled | PaymentDeclined,
    current: RoomAllocation | None,
    ports: Ports,
) -> Change[RoomAllocation] | None:
    """Let the room-nights go; a cancel that overtakes the request leaves a tombstone."""
    now = ports.clock()
    if current is None:
        if isinstance(event, PaymentDeclined):  # billing only sees allocated rooms
            log.warning("rooms: PaymentDeclined for unallocated %s", event.reservation_id)
            return None
        return Change(
            RoomAllocation.tombstone(
                reservation_id=event.reservation_id,
                hotel_id=event.hotel_id,
                room_type=event.room_type,
                at=now,
            )
        )
    reason: ReleaseReason = (
        "cancelled" if isinstance(event, ReservationCancelled) else ("payment_declined")
    )
    released = current.release(reason, at=now)
    if not released:  # failed, released already, or a tombstone
        return None
    return Change(current, release=tuple(released))


REACTIONS: Final[tuple[Reaction[Any, Any], ...]] = (
    # Fresh: a request normally finds no allocation (a cancel that overtook it leaves one).
    Reaction(
        CONTEXT,
        ReservationRequested,
        _slot,
        decide_allocation,
        attempts=_allocation_attempts,
        fresh=True,
    ),
    Reaction(CONTEXT, ReservationCancelled, _slot, decide_release),
    Reaction(CONTEXT, PaymentDeclined, _slot, decide_release),
)
