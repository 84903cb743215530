from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.errors import InvalidTransitionError
from domain.events import (
    GuestCheckedIn,
    GuestCheckedOut,
    ReservationCancelled,
    ReservationConfirmed,
    ReservationRejected,
    ReservationRequested,
)
from domain.reservation import Guest, Reservation, ReservationStatus
from domain.stay import Stay

T0 = datetime(2031, 4, 1, 12, 0, tzinfo=UTC)
T1 = datetime(2031, 4, 1, 12, 5, tzinfo=UTC)
STAY = Stay("grand-lisbon", "STD", date(2031, 5, 1), date(2031, 5, 4))


def pending() -> Reservation:
    reservation = Reservation.request(
        reservation_id="r-1",
        stay=STAY,
        guests=2,
        guest=Guest(id="g-123", name="Ada Lovelace", email="ada@example.com"),
        currency="EUR",
        payment_method_ref="pm_r-1",
        at=T0,
        request_fingerprint="abc",
    )
    reservation.clear_events()
    return reservation


def in_status(status: ReservationStatus) -> Reservation:
    reservation = pending()
    if status == "Rejected":
        reservation.reject("no_availability", at=T0)
    if status == "Cancelled":
        reservation.cancel(at=T0)
    if status in ("Confirmed", "CheckedIn", "CheckedOut"):
        reservation.confirm(room_number="101", total=Decimal("360"), currency="EUR", at=T0)
    if status in ("CheckedIn", "CheckedOut"):
        reservation.check_in_guest(at=T0)
    if status == "CheckedOut":
        reservation.check_out_guest(at=T0)
    assert reservation.status == status
    reservation.clear_events()
    return reservation


STATUSES: tuple[ReservationStatus, ...] = (
    "Pending",
    "Confirmed",
    "Rejected",
    "Cancelled",
    "CheckedIn",
    "CheckedOut",
)


def test_a_request_is_pending_and_records_reservation_requested() -> None:
    reservation = Reservation.request(
        reservation_id="r-1",
        stay=STAY,
        guests=2,
        guest=Guest(id="g-123", name="Ada Lovelace", email="ada@example.com"),
        currency="EUR",
        payment_method_ref="pm_r-1",
        at=T0,
    )
    assert reservation.status == "Pending"
    assert reservation.nights == 3
    [event] = reservation.pending_events
    assert isinstance(event, ReservationRequested)
    assert (event.reservation_id, event.guest_id, event.payment_method_ref) == (
        "r-1",
        "g-123",
        "pm_r-1",
    )
    assert "tok" not in event.model_dump_json()  # the payment token never travels


def test_body_before_confirmation_has_nulls_for_what_is_not_known_yet() -> None:
    assert pending().to_body() == {
        "reservationId": "r-1",
        "status": "Pending",
        "hotelId": "grand-lisbon",
        "roomType": "STD",
        "checkIn": "2031-05-01",
        "checkOut": "2031-05-04",
        "nights": 3,
        "guests": 2,
        "guest": {"id": "g-123", "name": "Ada Lovelace", "email": "ada@example.com"},
        "roomNumber": None,
        "total": None,
        "currency": "EUR",
        "reason": None,
        "createdAt": "2031-04-01T12:00:00+00:00",
        "updatedAt": "2031-04-01T12:00:00+00:00",
    }


def test_confirmation_sets_room_and_total_as_money_string() -> None:
    reservation = pending()
    assert reservation.confirm(room_number="107", total=Decimal("360"), currency="EUR", at=T1)
    body = reservation.to_body()
    assert (body["status"], body["roomNumber"], body["total"]) == ("Confirmed", "107", "360.00")
    assert body["updatedAt"] == T1.isoformat()
    [event] = reservation.pending_events
    assert isinstance(event, ReservationConfirmed)
    assert event.to_data()["total"] == "360.00"


@pytest.mark.parametrize("reason", ["no_availability", "payment_declined"])
def test_rejection_records_the_reason(reason: str) -> None:
    reservation = pending()
    assert reservation.reject(reason, at=T1)  # type: ignore[arg-type]
    assert (reservation.status, reservation.reason) == ("Rejected", reason)
    [event] = reservation.pending_events
    assert isinstance(event, ReservationRejected)
    assert event.reason == reason


@pytest.mark.parametrize("status", ["Pending", "Confirmed"])
def test_pending_and_confirmed_can_be_cancelled(status: ReservationStatus) -> None:
    reservation = in_status(status)
    assert reservation.cancel(at=T1) is True
    assert (reservation.status, reservation.reason) == ("Cancelled", "cancelled_by_guest")
    [event] = reservation.pending_events
    assert isinstance(event, ReservationCancelled)
    assert event.was_confirmed is (status == "Confirmed")
    assert event.cancelled_at == T1
    assert (event.check_in, event.check_out) == (date(2031, 5, 1), date(2031, 5, 4))


def test_cancelling_a_cancelled_reservation_is_a_no_op() -> None:
    reservation = in_status("Cancelled")
    assert reservation.cancel(at=T1) is False
    assert reservation.pending_events == ()
    assert reservation.updated_at == T0


@pytest.mark.parametrize("status", ["Rejected", "CheckedIn", "CheckedOut"])
def test_finished_reservations_cannot_be_cancelled(status: ReservationStatus) -> None:
    with pytest.raises(InvalidTransitionError):
        in_status(status).cancel(at=T1)


def test_check_in_then_check_out() -> None:
    reservation = in_status("Confirmed")
    reservation.check_in_guest(at=T1)
    reservation.check_out_guest(at=T1)
    assert reservation.status == "CheckedOut"
    checked_in, checked_out = reservation.pending_events
    assert isinstance(checked_in, GuestCheckedIn)
    assert isinstance(checked_out, GuestCheckedOut)
    assert (checked_out.room_number, checked_out.nights, checked_out.guest_id) == (
        "101",
        3,
        "g-123",
    )


Command = Callable[[Reservation], object]
COMMANDS: dict[str, tuple[Command, set[ReservationStatus]]] = {
    "check_in": (lambda r: r.check_in_guest(at=T1), {"Confirmed"}),
    "check_out": (lambda r: r.check_out_guest(at=T1), {"CheckedIn"}),
    "cancel": (lambda r: r.cancel(at=T1), {"Pending", "Confirmed", "Cancelled"}),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("status", STATUSES)
def test_every_command_in_every_status(command: str, status: ReservationStatus) -> None:
    run, allowed = COMMANDS[command]
    reservation = in_status(status)
    if status in allowed:
        run(reservation)
    else:
        with pytest.raises(InvalidTransitionError):
            run(reservation)
        assert reservation.status == status
        assert reservation.pending_events == ()


Reaction = Callable[[Reservation], bool]
REACTIONS: dict[str, Reaction] = {
    "confirm": lambda r: r.confirm(room_number="102", total=Decimal("1"), currency="EUR", at=T1),
    "reject_no_availability": lambda r: r.reject("no_availability", at=T1),
    "reject_payment_declined": lambda r: r.reject("payment_declined", at=T1),
}


@pytest.mark.parametrize("reaction", sorted(REACTIONS))
@pytest.mark.parametrize("status", [s for s in STATUSES if s != "Pending"])
def test_saga_reactions_are_no_ops_once_the_reservation_left_pending(
    reaction: str, status: ReservationStatus
) -> None:
    reservation = in_status(status)
    before = reservation.model_dump()
    assert REACTIONS[reaction](reservation) is False
    assert reservation.model_dump() == before
    assert reservation.pending_events == ()


def test_state_round_trips_through_json() -> None:
    reservation = in_status("Confirmed")
    again = Reservation.model_validate_json(reservation.model_dump_json())
    assert again.to_body() == reservation.to_body()
    assert again.request_fingerprint == "abc"
