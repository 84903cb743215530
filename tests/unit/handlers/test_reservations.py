from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.catalog import DEMO_CATALOG
from domain.errors import (
    IdempotencyKeyReusedError,
    ReservationNotFoundError,
    ValidationError,
)
from handlers.commands import parse_request_reservation, validate_request
from handlers.ports import Ports
from handlers.reservations import (
    cancel_reservation,
    check_in,
    get_reservation,
    request_reservation,
    reservation_events,
)
from tests.support.harness import Bus, command, request_body, types_of

TODAY = date(2031, 4, 1)


class Catalog:
    def hotels(self) -> list[Any]:
        return list(DEMO_CATALOG)

    def get(self, hotel_id: str) -> Any:
        return next((h for h in DEMO_CATALOG if h.hotel_id == hotel_id), None)


def test_a_well_formed_request_parses() -> None:
    cmd = parse_request_reservation(request_body())
    assert (cmd.hotel_id, cmd.check_in, cmd.guests, cmd.guest.email) == (
        "grand-lisbon",
        date(2031, 5, 1),
        2,
        "ada@example.com",
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**request_body(), "extra": 1}, {"extra"}),
        ({k: v for k, v in request_body().items() if k != "guest"}, {"guest"}),
        (request_body(guests=0), {"guests"}),
        (request_body(guests="2"), {"guests"}),
        (request_body(guests=True), {"guests"}),
        (request_body(paymentToken=""), {"paymentToken"}),
        (request_body(paymentToken="   "), {"paymentToken"}),
        (request_body(checkIn="05/01/2031"), {"checkIn"}),
        (request_body(guest={"id": "g", "name": "A", "email": "nope"}), {"guest.email"}),
        (request_body(hotelId=7, roomType=None), {"hotelId", "roomType"}),
        ([], {"body"}),
        ("text", {"body"}),
    ],
)
def test_malformed_requests_list_each_field(body: object, fields: set[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_request_reservation(body)
    assert set(caught.value.errors) == fields


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"checkOut": "2031-05-01"}, {"checkOut"}),
        ({"checkOut": "2031-04-30"}, {"checkOut"}),
        ({"checkIn": "2031-05-01", "checkOut": "2031-06-01"}, {"checkOut"}),  # 31 nights
        ({"checkIn": "2031-03-31", "checkOut": "2031-04-02"}, {"checkIn"}),
        ({"hotelId": "nowhere"}, {"hotelId"}),
        ({"roomType": "PENT"}, {"roomType"}),
        ({"guests": 3}, {"guests"}),
        ({"roomType": "STE", "guests": 5}, {"guests"}),
        ({"hotelId": "harbor-porto", "roomType": "DLX"}, {"roomType"}),
    ],
)
def test_business_rules(overrides: dict[str, Any], fields: set[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_request(command(**overrides), Catalog(), TODAY)
    assert set(caught.value.errors) == fields


@pytest.mark.parametrize(
    "overrides",
    [
        {"checkIn": "2031-04-01", "checkOut": "2031-05-01"},  # today, 30 nights
        {"roomType": "STE", "guests": 4},
    ],
)
def test_edges_that_are_allowed(overrides: dict[str, Any]) -> None:
    validate_request(command(**overrides), Catalog(), TODAY)


def test_request_validates_against_today_utc(ports: Ports) -> None:
    with pytest.raises(ValidationError):
        request_reservation(command(checkIn="2031-03-31"), idempotency_key=None, ports=ports)
    assert ports.outbox.pending(created_before=datetime(2999, 1, 1, tzinfo=UTC), limit=10) == []


def test_same_idempotency_key_and_body_is_the_same_reservation(ports: Ports, bus: Bus) -> None:
    first, created = request_reservation(command(), idempotency_key="k-1", ports=ports)
    again, created_again = request_reservation(command(), idempotency_key="k-1", ports=ports)
    assert (created, created_again) == (True, False)
    assert again.reservation_id == first.reservation_id
    bus.run()
    later, _ = request_reservation(command(), idempotency_key="k-1", ports=ports)
    assert later.status == "Confirmed"
    assert (
        types_of(reservation_events(first.reservation_id, ports)).count("ReservationRequested") == 1
    )
    other, created_other = request_reservation(command(), idempotency_key="k-2", ports=ports)
    assert created_other
    assert other.reservation_id != first.reservation_id


def test_same_idempotency_key_with_another_body_is_refused(ports: Ports) -> None:
    request_reservation(command(), idempotency_key="k-1", ports=ports)
    with pytest.raises(IdempotencyKeyReusedError):
        request_reservation(command(guests=1), idempotency_key="k-1", ports=ports)
    with pytest.raises(IdempotencyKeyReusedError):
        request_reservation(command(paymentToken="tok_other"), idempotency_key="k-1", ports=ports)


def test_without_a_key_every_request_is_a_new_booking(ports: Ports) -> None:
    first, _ = request_reservation(command(), idempotency_key=None, ports=ports)
    second, _ = request_reservation(command(), idempotency_key=None, ports=ports)
    assert first.reservation_id != second.reservation_id


def test_a_twin_request_that_wins_the_insert_is_returned(ports: Ports) -> None:
    """Two requests with one key racing: the loser's insert conflicts, it reloads the winner."""
    real_save = ports.reservations.save
    calls = 0

    def twin_saves_first(key: str, aggregate: Any, **options: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:  # the twin commits between our decision and our commit
            request_reservation(command(), idempotency_key="k-1", ports=ports)
        return real_save(key, aggregate, **options)

    object.__setattr__(ports.reservations, "save", twin_saves_first)
    reservation, created = request_reservation(command(), idempotency_key="k-1", ports=ports)
    assert not created
    assert reservation.status == "Pending"
    assert calls == 2  # ours (refused), then the twin's


def test_unknown_reservations_are_not_found(ports: Ports) -> None:
    for action in (get_reservation, cancel_reservation, check_in, reservation_events):
        with pytest.raises(ReservationNotFoundError):
            action("nope", ports)
