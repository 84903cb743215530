from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar

import pytest

from domain import events
from domain.errors import (
    EventError,
    EventSchemaError,
    NewerSchemaVersionError,
    UnknownEventTypeError,
)
from domain.events import (
    EVENT_CLASSES,
    DomainEvent,
    PaymentAuthorized,
    PaymentCaptured,
    ReservationRequested,
    parse_event,
)
from handlers.routing import SUBSCRIPTIONS


def requested() -> ReservationRequested:
    return ReservationRequested(
        reservation_id="r-1",
        hotel_id="grand-lisbon",
        room_type="STD",
        check_in=date(2031, 5, 1),
        check_out=date(2031, 5, 4),
        guests=2,
        guest_id="g-1",
        guest_name="Ada Lovelace",
        payment_method_ref="pm_r-1",
    )


def test_events_round_trip_through_their_cloudevent_data() -> None:
    event = requested()
    data = event.to_data()
    assert data["checkIn"] == "2031-05-01"
    assert data["schemaVersion"] == 2
    assert data["guestName"] == "Ada Lovelace"
    assert parse_event("Hotel.ReservationRequested", data) == event
    assert event.subject == "/hotels/grand-lisbon/reservations/r-1"


def test_money_travels_as_a_string() -> None:
    from decimal import Decimal

    event = PaymentAuthorized(
        reservation_id="r",
        hotel_id="h",
        room_type="STD",
        room_number="101",
        amount=Decimal("360.00"),
        currency="EUR",
        authorization_id="a",
    )
    assert event.to_data()["amount"] == "360.00"


def test_every_routed_type_is_an_event() -> None:
    known = {cls.event_type() for cls in EVENT_CLASSES}
    for subscription in SUBSCRIPTIONS:
        assert set(subscription.included_event_types) <= known


def test_unknown_type_is_an_event_error() -> None:
    with pytest.raises(UnknownEventTypeError):
        parse_event("Hotel.Nope", {})


@pytest.mark.parametrize(
    "data",
    [
        "not an object",
        None,
        {"reservationId": "r-1"},
        {**requested().to_data(), "unexpected": 1},
        {**requested().to_data(), "schemaVersion": 0},
        {**requested().to_data(), "schemaVersion": -3},
        {**requested().to_data(), "schemaVersion": "1"},
        {**requested().to_data(), "schemaVersion": 1.0},
        {**requested().to_data(), "schemaVersion": True},
        {**requested().to_data(), "checkIn": "not a date"},
    ],
)
def test_bad_payloads_are_schema_errors(data: object) -> None:
    with pytest.raises(EventSchemaError):
        parse_event("Hotel.ReservationRequested", data)


@pytest.mark.parametrize("version", [3, 99])
def test_a_newer_schema_version_is_transient_not_poison(version: int) -> None:
    # A newer publisher during a rolling deploy: this worker can process it once upgraded.
    with pytest.raises(NewerSchemaVersionError, match=f"schemaVersion {version} is newer") as info:
        parse_event(
            "Hotel.ReservationRequested", {**requested().to_data(), "schemaVersion": version}
        )
    assert not isinstance(info.value, EventError)


class GuestNoted(DomainEvent):
    """A v2 event: v1 had ``name``, v2 splits it (a made-up upcast, to test the mechanism)."""

    first_name: str
    last_name: str

    CURRENT_VERSION: ClassVar[int] = 2

    @staticmethod
    def _v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
        first, _, last = payload.pop("name").partition(" ")
        return {**payload, "firstName": first, "lastName": last}

    upcasters: ClassVar[dict[int, Callable[[dict[str, Any]], dict[str, Any]]]] = {
        1: _v1_to_v2,
    }


def test_older_payloads_are_upcast_before_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = dict(events.EVENT_REGISTRY)
    registry[GuestNoted.event_type()] = GuestNoted
    monkeypatch.setattr(events, "EVENT_REGISTRY", registry)
    v1 = {"reservationId": "r", "hotelId": "h", "name": "Ada Lovelace"}
    event = parse_event("Hotel.GuestNoted", v1)
    assert isinstance(event, GuestNoted)
    assert (event.first_name, event.last_name, event.schema_version) == ("Ada", "Lovelace", 2)
    current = event.to_data()
    assert parse_event("Hotel.GuestNoted", current) == event


def test_a_v1_payment_captured_takes_its_capture_time_as_the_check_out_time() -> None:
    v1 = {
        "schemaVersion": 1,
        "reservationId": "r-1",
        "hotelId": "h",
        "occurredAt": "2031-05-04T10:00:00Z",
        "guestId": "g-1",
        "amount": "360.00",
        "currency": "EUR",
        "kind": "stay",
        "nights": 3,
    }
    event = parse_event("Hotel.PaymentCaptured", v1)
    assert isinstance(event, PaymentCaptured)
    assert event.schema_version == 2
    assert event.checked_out_at == event.occurred_at
    fee = parse_event("Hotel.PaymentCaptured", {**v1, "kind": "cancellation_fee", "nights": 1})
    assert isinstance(fee, PaymentCaptured)
    assert fee.checked_out_at is None
    assert parse_event("Hotel.PaymentCaptured", event.to_data()) == event


def test_a_v1_reservation_requested_has_no_guest_name() -> None:
    v1 = {**requested().to_data(), "schemaVersion": 1}
    del v1["guestName"]
    event = parse_event("Hotel.ReservationRequested", v1)
    assert isinstance(event, ReservationRequested)
    assert (event.schema_version, event.guest_name) == (2, None)
    assert event.guest_id == "g-1"
