"""Out-of-order deliveries, races and availability, driven handler by handler."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.errors import HotelNotFoundError, ValidationError
from domain.rooms import RoomAllocation
from handlers import billing
from handlers.ports import OutboxEntry, Ports
from handlers.reservations import cancel_reservation, get_reservation
from handlers.rooms import availability
from tests.support.harness import Bus, book, held_nights, live_authorizations, types_of

MAY_1, MAY_4 = date(2031, 5, 1), date(2031, 5, 4)


def by_type(deliveries: list[tuple[str, dict[str, Any]]], subscription: str, kind: str) -> Any:
    return next(d for d in deliveries if d[0] == subscription and d[1]["type"] == f"Hotel.{kind}")


def test_availability_counts_free_rooms_per_night(ports: Ports, bus: Bus) -> None:
    book(ports, roomType="STE")
    bus.run()
    view = availability("grand-lisbon", "STE", date(2031, 4, 30), date(2031, 5, 5), ports)
    assert view == {
        "hotelId": "grand-lisbon",
        "roomType": "STE",
        "nights": [
            {"date": "2031-04-30", "available": 2},
            {"date": "2031-05-01", "available": 1},
            {"date": "2031-05-02", "available": 1},
            {"date": "2031-05-03", "available": 1},
            {"date": "2031-05-04", "available": 2},
        ],
    }


@pytest.mark.parametrize(
    ("hotel", "room_type", "start", "end", "fields"),
    [
        ("grand-lisbon", "PENT", MAY_1, MAY_4, {"roomType"}),
        ("grand-lisbon", "STD", MAY_4, MAY_1, {"to"}),
        ("grand-lisbon", "STD", MAY_1, date(2033, 1, 1), {"to"}),
    ],
)
def test_availability_rejects_bad_queries(
    ports: Ports, hotel: str, room_type: str, start: date, end: date, fields: set[str]
) -> None:
    with pytest.raises(ValidationError) as caught:
        availability(hotel, room_type, start, end, ports)
    assert set(caught.value.errors) == fields


def test_availability_of_an_unknown_hotel_is_not_found(ports: Ports) -> None:
    with pytest.raises(HotelNotFoundError):
        availability("nowhere", "STD", MAY_1, MAY_4, ports)


def test_the_loser_of_a_race_for_a_room_takes_another(ports: Ports, bus: Bus) -> None:
    """Our read says 101 is free, but a rival holds it before our insert: we retry with 102."""
    inventory = ports.inventory
    real_held = inventory.held_rooms
    raced = False

    def stale_held_rooms(hotel_id: str, room_type: str, nights: Any) -> dict[date, set[str]]:
        nonlocal raced
        snapshot = real_held(hotel_id, room_type, nights)
        if not raced:
            raced = True
            rival = RoomAllocation.tombstone(
                reservation_id="rival", hotel_id=hotel_id, room_type=room_type, at=ports.clock()
            )
            inventory.save(hotel_id, room_type, rival, hold=[(n, "101") for n in nights])
        return snapshot

    object.__setattr__(inventory, "held_rooms", stale_held_rooms)
    reservation = book(ports)
    bus.run()
    assert get_reservation(reservation.reservation_id, ports).room_number == "102"


def test_cancel_reaching_rooms_before_the_request_leaves_a_tombstone(
    ports: Ports, bus: Bus
) -> None:
    reservation = book(ports)
    requested = bus.take_published()
    cancel_reservation(reservation.reservation_id, ports)
    cancelled = bus.take_published()
    for delivery in cancelled:  # rooms and billing see the cancel first
        bus.deliver(delivery)
    for delivery in requested:
        bus.deliver(delivery)
    bus.run()
    assert held_nights(ports, "grand-lisbon", "STD", MAY_1) == set()
    assert live_authorizations(ports) == []
    allocation = ports.inventory.get_allocation("grand-lisbon", "STD", reservation.reservation_id)
    assert allocation is not None
    assert allocation.status == "Cancelled"
    assert types_of(
        ports.outbox.stream(
            reservation.reservation_id, hotel_id="grand-lisbon", room_type="STD", guest_id="g-123"
        )
    ) == ["ReservationRequested", "ReservationCancelled"]


def test_cancel_reaching_billing_before_the_allocation_voids_at_once(
    ports: Ports, bus: Bus
) -> None:
    reservation = book(ports)
    bus.deliver(bus.take_published()[0])  # rooms allocates; RoomAllocated not delivered yet
    allocated = bus.take_published()
    cancel_reservation(reservation.reservation_id, ports)
    cancelled = bus.take_published()
    bus.deliver(by_type(cancelled, "billing", "ReservationCancelled"))  # tombstone
    bus.deliver(by_type(allocated, "billing", "RoomAllocated"))  # authorize, then void
    bus.deliver(by_type(cancelled, "rooms", "ReservationCancelled"))  # release
    bus.run()
    assert live_authorizations(ports) == []
    assert held_nights(ports, "grand-lisbon", "STD", MAY_1) == set()
    invoice = billing.invoice(reservation.reservation_id, ports)
    assert invoice is not None
    assert (invoice["status"], invoice["total"]) == ("Voided", "0.00")
    assert get_reservation(reservation.reservation_id, ports).status == "Cancelled"


def test_an_authorization_left_by_a_crash_is_voided_by_the_late_allocation(
    ports: Ports, bus: Bus
) -> None:
    """Billing authorized, then died before saving; the cancel tombstones; the redelivery voids."""
    reservation = book(ports)
    bus.deliver(bus.take_published()[0])
    allocated = by_type(bus.take_published(), "billing", "RoomAllocated")
    real_save = ports.folios.save

    def crash(key: str, aggregate: Any, **kwargs: Any) -> list[OutboxEntry]:
        raise RuntimeError("worker died")

    object.__setattr__(ports.folios, "save", crash)
    with pytest.raises(RuntimeError):
        bus.deliver(allocated)
    assert len(live_authorizations(ports)) == 1
    object.__setattr__(ports.folios, "save", real_save)
    cancel_reservation(reservation.reservation_id, ports)
    bus.run()
    bus.deliver(allocated)  # Event Grid redelivers the failed RoomAllocated
    bus.run()
    assert live_authorizations(ports) == []


def test_payment_declined_twice_releases_once(ports: Ports, bus: Bus) -> None:
    book(ports, paymentToken="tok_declined")
    bus.run()
    declined = by_type(bus.delivered, "rooms", "PaymentDeclined")
    published_before = [ce["id"] for ce in bus.publisher.published]
    bus.deliver(declined)  # a redelivery publishes what it recorded again, once
    bus.deliver(declined)
    again = [ce["id"] for ce in bus.publisher.published[len(published_before) :]]
    assert len(again) == 1
    assert set(again) <= set(published_before)  # no new RoomReleased
