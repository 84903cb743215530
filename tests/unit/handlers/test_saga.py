"""The booking saga end to end: each handler's published CloudEvents fed to the next."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.errors import InvalidTransitionError
from handlers import billing
from handlers.loyalty import loyalty_view
from handlers.ports import Ports
from handlers.reservations import (
    cancel_reservation,
    check_in,
    check_out,
    get_reservation,
    reservation_events,
)
from tests.support.harness import (
    MAY_1,
    MAY_2,
    MAY_3,
    Bus,
    Clock,
    book,
    gateway,
    held_nights,
    live_authorizations,
    types_of,
)
from tests.support.memory_ports import InMemoryPublisher


@pytest.fixture
def bus(ports: Ports) -> Bus:
    """Time passes between deliveries here, so each story's stream has its order."""
    return Bus(ports, tick=timedelta(milliseconds=1))


def snapshot(ports: Ports, reservation_ids: list[str]) -> dict[str, Any]:
    """Everything a duplicate could change, across every context."""
    return {
        "reservations": [get_reservation(r, ports).to_body() for r in reservation_ids],
        "invoices": [billing.invoice(r, ports) for r in reservation_ids],
        "loyalty": loyalty_view("g-123", ports),
        "held": held_nights(ports, "grand-lisbon", "STD", MAY_1, MAY_2, MAY_3),
        "auths": sorted(
            (a.authorization_id, a.voided, a.captured)
            for a in gateway(ports).authorizations.values()
        ),
        "outbox": [len(reservation_events(r, ports)) for r in reservation_ids],
    }


def test_booking_is_confirmed_end_to_end(ports: Ports, bus: Bus) -> None:
    reservation = book(ports)
    assert reservation.status == "Pending"
    bus.run()
    confirmed = get_reservation(reservation.reservation_id, ports).to_body()
    assert (confirmed["status"], confirmed["roomNumber"], confirmed["total"]) == (
        "Confirmed",
        "101",
        "360.00",
    )
    assert held_nights(ports, "grand-lisbon", "STD", MAY_1, MAY_2, MAY_3) == {"101"}
    assert types_of(reservation_events(reservation.reservation_id, ports)) == [
        "ReservationRequested",
        "RoomAllocated",
        "PaymentAuthorized",
        "ReservationConfirmed",
    ]
    invoice = billing.invoice(reservation.reservation_id, ports)
    assert invoice is not None
    assert (invoice["status"], invoice["total"], len(invoice["lines"])) == (
        "Authorized",
        "360.00",
        3,
    )


def test_events_never_carry_the_payment_token(ports: Ports, bus: Bus) -> None:
    book(ports, paymentToken="tok_secret_visa")
    bus.run()
    assert "tok_secret_visa" not in repr(bus.publisher.published)


def test_declined_payment_rejects_and_releases_the_room(ports: Ports, bus: Bus) -> None:
    reservation = book(ports, paymentToken="tok_declined")
    bus.run()
    rejected = get_reservation(reservation.reservation_id, ports)
    assert (rejected.status, rejected.reason) == ("Rejected", "payment_declined")
    assert held_nights(ports, "grand-lisbon", "STD", MAY_1, MAY_2, MAY_3) == set()
    story = types_of(reservation_events(reservation.reservation_id, ports))
    assert story[:3] == ["ReservationRequested", "RoomAllocated", "PaymentDeclined"]
    assert sorted(story[3:]) == ["ReservationRejected", "RoomReleased"]  # in either order
    assert live_authorizations(ports) == []


def test_sold_out_is_rejected_with_no_availability(ports: Ports, bus: Bus) -> None:
    first = book(ports, roomType="STE", guests=4)
    second = book(ports, roomType="STE", guests=1, checkIn="2031-05-03", checkOut="2031-05-05")
    bus.run()
    third = book(ports, roomType="STE", checkIn="2031-05-02", checkOut="2031-05-04")
    bus.run()
    statuses = [get_reservation(r.reservation_id, ports) for r in (first, second, third)]
    assert [(r.status, r.room_number) for r in statuses] == [
        ("Confirmed", "301"),
        ("Confirmed", "302"),
        ("Rejected", None),
    ]
    assert statuses[2].reason == "no_availability"
    assert billing.invoice(third.reservation_id, ports) is None
    # the first stay checks out on 05-04: its room is free that night
    fourth = book(ports, roomType="STE", checkIn="2031-05-04", checkOut="2031-05-05")
    bus.run()
    assert get_reservation(fourth.reservation_id, ports).room_number == "301"


def test_cancel_pending_before_the_saga_leaves_nothing_behind(ports: Ports, bus: Bus) -> None:
    reservation = book(ports)
    cancelled, changed = cancel_reservation(reservation.reservation_id, ports)
    assert changed
    assert cancelled.status == "Cancelled"
    bus.run()
    assert get_reservation(reservation.reservation_id, ports).status == "Cancelled"
    assert held_nights(ports, "grand-lisbon", "STD", MAY_1, MAY_2, MAY_3) == set()
    assert live_authorizations(ports) == []
    invoice = billing.invoice(reservation.reservation_id, ports)
    assert invoice is not None
    assert invoice["total"] == "0.00"


def test_cancel_confirmed_early_is_free(ports: Ports, bus: Bus) -> None:
    reservation = book(ports)
    bus.run()
    _, changed = cancel_reservation(reservation.reservation_id, ports)
    assert changed
    bus.run()
    assert held_nights(ports, "grand-lisbon", "STD", MAY_1, MAY_2, MAY_3) == set()
    assert live_authorizations(ports) == []
    invoice = billing.invoice(reservation.reservation_id, ports)
    assert invoice is not None
    assert (invoice["status"], invoice["total"], invoice["lines"]) == ("Voided", "0.00", [])
    assert [a.captured for a in gateway(ports).authorizations.values()] == [None]


def test_cancel_confirmed_late_captures_the_first_night(
    ports: Ports, bus: Bus, clock: Clock
) -> None:
    reservation = book(ports)
    bus.run()
    clock.now = clock.now.replace(month=4, day=29, hour=0, minute=0, second=1)  # < 48 h
    cancel_reservation(reservation.reservation_id, ports)
    bus.run()
    assert held_nights(ports, "grand-lisbon", "STD", MAY_1, MAY_2, MAY_3) == set()
    invoice = billing.invoice(reservation.reservation_id, ports)
    assert invoice is not None
    assert (invoice["status"], invoice["total"]) == ("PartiallyCaptured", "120.00")
    [auth] = gateway(ports).authorizations.values()
    assert (auth.captured, auth.voided) == (Decimal("120.00"), True)
    assert types_of(reservation_events(reservation.reservation_id, ports))[-3:] in (
        ["RoomReleased", "PaymentCaptured", "PaymentVoided"],
        ["PaymentCaptured", "PaymentVoided", "RoomReleased"],
    )
    assert loyalty_view("g-123", ports)["points"] == 0  # fees earn no points


def test_cancelling_twice_is_a_no_op_and_finished_ones_cannot_be(ports: Ports, bus: Bus) -> None:
    reservation = book(ports)
    cancel_reservation(reservation.reservation_id, ports)
    again, changed = cancel_reservation(reservation.reservation_id, ports)
    assert (again.status, changed) == ("Cancelled", False)
    declined = book(
        ports, paymentToken="tok_declined", guest={"id": "g-2", "name": "B", "email": "b@x.io"}
    )
    bus.run()
    with pytest.raises(InvalidTransitionError):
        cancel_reservation(declined.reservation_id, ports)


def test_stay_then_check_out_captures_and_awards_points_once(ports: Ports, bus: Bus) -> None:
    reservation = book(ports)
    bus.run()
    with pytest.raises(InvalidTransitionError):
        check_out(reservation.reservation_id, ports)
    assert check_in(reservation.reservation_id, ports).status == "CheckedIn"
    with pytest.raises(InvalidTransitionError):
        check_in(reservation.reservation_id, ports)
    assert check_out(reservation.reservation_id, ports).status == "CheckedOut"
    bus.run()
    assert loyalty_view("g-123", ports) == {
        "guestId": "g-123",
        "points": 360,
        "tier": "Member",
        "nights": 3,
    }
    invoice = billing.invoice(reservation.reservation_id, ports)
    assert invoice is not None
    assert (invoice["status"], invoice["total"]) == ("Captured", "360.00")
    assert types_of(reservation_events(reservation.reservation_id, ports))[-4:] == [
        "GuestCheckedIn",
        "GuestCheckedOut",
        "PaymentCaptured",
        "LoyaltyPointsAwarded",
    ]
    # the room-nights stay held by the stay that used them
    assert held_nights(ports, "grand-lisbon", "STD", MAY_1) == {"101"}


def test_loyalty_tier_grows_across_stays(ports: Ports, bus: Bus) -> None:
    # 3 stays of 4 nights at 95.00: Member, Member, Member (8 nights before) -> then Silver
    for month in (5, 6, 7):
        reservation = book(
            ports,
            hotelId="harbor-porto",
            checkIn=f"2031-0{month}-01",
            checkOut=f"2031-0{month}-05",
        )
        bus.run()
        check_in(reservation.reservation_id, ports)
        check_out(reservation.reservation_id, ports)
        bus.run()
    assert loyalty_view("g-123", ports) == {
        "guestId": "g-123",
        "points": 380 * 3,
        "tier": "Silver",
        "nights": 12,
    }
    reservation = book(ports, hotelId="harbor-porto", checkIn="2031-08-01", checkOut="2031-08-05")
    bus.run()
    check_in(reservation.reservation_id, ports)
    check_out(reservation.reservation_id, ports)
    bus.run()
    assert loyalty_view("g-123", ports)["points"] == 380 * 3 + 475  # 380 x 1.25


def test_every_event_delivered_twice_changes_nothing(ports: Ports, bus: Bus) -> None:
    ids = [book(ports).reservation_id, book(ports, paymentToken="tok_declined").reservation_id]
    ids.append(book(ports).reservation_id)
    bus.run()
    check_in(ids[0], ports)
    check_out(ids[0], ports)
    cancel_reservation(ids[2], ports)
    bus.run()
    before = snapshot(ports, ids)
    published = {ce["id"] for ce in bus.publisher.published}
    for delivery in list(bus.delivered):
        bus.deliver(delivery)
    assert snapshot(ports, ids) == before
    # Redeliveries publish what their first delivery recorded (in case it died before its
    # publish), never anything new.
    assert {ce["id"] for ce in bus.publisher.published} == published


def test_a_redelivery_long_after_still_changes_nothing(
    ports: Ports, bus: Bus, clock: Clock
) -> None:
    reservation = book(ports)
    bus.run()
    first_allocation = bus.delivered[0]
    (first_allocation_result,) = [
        ce for ce in bus.publisher.published if ce["type"] == "Hotel.RoomAllocated"
    ]
    cancel_reservation(reservation.reservation_id, ports)
    bus.run()
    clock.advance(timedelta(days=3))
    bus.deliver(first_allocation)  # the ReservationRequested again, after release
    assert held_nights(ports, "grand-lisbon", "STD", MAY_1, MAY_2, MAY_3) == set()
    republished = bus.take_published()  # the RoomAllocated it recorded, once more
    assert [ce["id"] for _, ce in republished] == [first_allocation_result["id"]]
    bus.deliver(first_allocation)
    assert bus.take_published() == []


def test_a_failed_publish_is_left_for_the_relay(ports: Ports, bus: Bus, clock: Clock) -> None:
    from handlers.outbox import SETTLE_AFTER, relay_outbox

    assert isinstance(ports.publisher, InMemoryPublisher)
    ports.publisher.fail_next()
    reservation = book(ports)  # committed although the publish failed
    assert bus.run() == 0
    assert relay_outbox(ports) == 0  # too young: the fast path may still be publishing it
    clock.advance(SETTLE_AFTER + timedelta(seconds=1))
    assert relay_outbox(ports) == 1
    bus.run()
    assert get_reservation(reservation.reservation_id, ports).status == "Confirmed"
    assert relay_outbox(ports) == 0
