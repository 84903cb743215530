"""The rooms context: hold one concrete room for every night, release it, tombstone early cancels.

A held room-night is an entity whose insert is the lock (RoomInventory.save), so two bookings
racing for the last room cannot both win: the loser's save raises ConcurrencyError, it re-reads
what is held and tries another room, or records RoomAllocationFailed. Outcomes are published
from the outbox (never re-derived).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any, Final

from domain.errors import HotelNotFoundError, ValidationError
from domain.events import DomainEvent, PaymentDeclined, ReservationCancelled, ReservationRequested
from domain.rooms import ReleaseReason, RoomAllocation, choose_room
from domain.stay import stay_nights
from handlers.outbox import publish_recorded
from handlers.ports import OutboxEntry, Ports
from handlers.retry import MAX_ATTEMPTS, retry_on_conflict

log = logging.getLogger(__name__)

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


def handle_event(event: DomainEvent, ports: Ports) -> None:
    """The ``rooms`` subscription."""
    if isinstance(event, ReservationRequested):
        _allocate(event, ports)
    elif isinstance(event, ReservationCancelled):
        _release(event, "cancelled", ports)
    elif isinstance(event, PaymentDeclined):
        _release(event, "payment_declined", ports)
    else:
        log.info("rooms: ignoring %s %s", event.event_type(), event.event_id)


def _room_numbers(ports: Ports, hotel_id: str, room_type: str) -> tuple[str, ...]:
    hotel = ports.catalog.get(hotel_id)
    kind = None if hotel is None else hotel.room_types.get(room_type)
    return () if kind is None else kind.room_numbers


def _allocate(event: ReservationRequested, ports: Ports) -> None:
    inventory = ports.inventory
    hotel_id, room_type = event.hotel_id, event.room_type
    rooms = _room_numbers(ports, hotel_id, room_type)
    nights = stay_nights(event.check_in, event.check_out)

    def attempt() -> list[OutboxEntry]:
        if inventory.was_processed(hotel_id, room_type, event.event_id):
            return []
        existing = inventory.get_allocation(hotel_id, room_type, event.reservation_id)
        if existing is not None:  # allocated or failed before, or the tombstone of a cancel
            log.info("rooms: %s already %s", event.reservation_id, existing.status)
            return []
        now = ports.clock()
        room = choose_room(rooms, inventory.held_rooms(hotel_id, room_type, nights), nights)
        if room is None or not nights:
            failed = RoomAllocation.fail(
                reservation_id=event.reservation_id,
                hotel_id=hotel_id,
                room_type=room_type,
                check_in=event.check_in,
                check_out=event.check_out,
                guest_id=event.guest_id,
                at=now,
            )
            return inventory.save(hotel_id, room_type, failed, processed_event_id=event.event_id)
        allocation = RoomAllocation.allocate(
            reservation_id=event.reservation_id,
            hotel_id=hotel_id,
            room_type=room_type,
            room_number=room,
            check_in=event.check_in,
            check_out=event.check_out,
            guest_id=event.guest_id,
            payment_method_ref=event.payment_method_ref,
            at=now,
        )
        return inventory.save(
            hotel_id,
            room_type,
            allocation,
            hold=allocation.held_room_nights,
            processed_event_id=event.event_id,
        )

    # Every lost race means another room got taken, so one attempt per room is enough.
    publish_recorded(retry_on_conflict(attempt, attempts=len(rooms) + MAX_ATTEMPTS), ports)


def _release(
    event: ReservationCancelled | PaymentDeclined, reason: ReleaseReason, ports: Ports
) -> None:
    inventory = ports.inventory
    hotel_id, room_type = event.hotel_id, event.room_type

    def attempt() -> list[OutboxEntry]:
        if inventory.was_processed(hotel_id, room_type, event.event_id):
            return []
        allocation = inventory.get_allocation(hotel_id, room_type, event.reservation_id)
        now = ports.clock()
        if allocation is None:
            if isinstance(event, PaymentDeclined):  # billing only sees allocated rooms
                log.warning("rooms: PaymentDeclined for unallocated %s", event.reservation_id)
                return []
            tombstone = RoomAllocation.tombstone(
                reservation_id=event.reservation_id,
                hotel_id=hotel_id,
                room_type=room_type,
                at=now,
            )
            return inventory.save(hotel_id, room_type, tombstone, processed_event_id=event.event_id)
        released = allocation.release(reason, at=now)
        if not released:  # failed, released already, or a tombstone
            return []
        return inventory.save(
            hotel_id, room_type, allocation, release=released, processed_event_id=event.event_id
        )

    publish_recorded(retry_on_conflict(attempt), ports)
