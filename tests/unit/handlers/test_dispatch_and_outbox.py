from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.errors import EventSchemaError, UnknownEventTypeError
from domain.events import ReservationRequested
from handlers.dispatch import HANDLERS, dispatch
from handlers.outbox import SETTLE_AFTER, relay_outbox
from handlers.ports import Ports
from handlers.routing import SUBSCRIPTIONS
from tests.support.harness import Bus, Clock, book
from tests.support.memory_ports import InMemoryPublisher


def requested() -> ReservationRequested:
    return ReservationRequested(
        reservation_id="r-1",
        hotel_id="grand-lisbon",
        room_type="STD",
        check_in=date(2031, 5, 1),
        check_out=date(2031, 5, 2),
        guests=1,
        guest_id="g-1",
        payment_method_ref="pm_r-1",
    )


def test_every_subscription_has_a_handler() -> None:
    assert set(HANDLERS) == {s.name for s in SUBSCRIPTIONS}


def test_unknown_types_and_bad_data_propagate_as_event_errors(ports: Ports) -> None:
    with pytest.raises(UnknownEventTypeError):
        dispatch("rooms", "Hotel.Nope", {}, ports)
    with pytest.raises(EventSchemaError):
        dispatch("rooms", "Hotel.ReservationRequested", {"reservationId": "r"}, ports)


def test_types_a_subscription_does_not_handle_are_ignored(ports: Ports) -> None:
    dispatch("loyalty", "Hotel.ReservationRequested", requested().to_data(), ports)
    assert ports.inventory.get_allocation("grand-lisbon", "STD", "r-1") is None
    assert isinstance(ports.publisher, InMemoryPublisher)
    assert ports.publisher.published == []


def test_an_unknown_subscription_is_a_wiring_bug(ports: Ports) -> None:
    with pytest.raises(KeyError):
        dispatch("spa", "Hotel.ReservationRequested", requested().to_data(), ports)


def test_dispatch_routes_to_the_context(ports: Ports) -> None:
    dispatch("rooms", "Hotel.ReservationRequested", requested().to_data(), ports)
    allocation = ports.inventory.get_allocation("grand-lisbon", "STD", "r-1")
    assert allocation is not None
    assert allocation.room_number == "101"


def test_relay_publishes_oldest_first_in_batches(ports: Ports, bus: Bus, clock: Clock) -> None:
    assert isinstance(ports.publisher, InMemoryPublisher)
    ports.publisher.always_fail = True
    ids = []
    for _ in range(3):
        ids.append(book(ports).reservation_id)
        clock.advance(timedelta(seconds=1))
    clock.advance(SETTLE_AFTER)
    with pytest.raises(ConnectionError):
        relay_outbox(ports)
    ports.publisher.always_fail = False
    assert relay_outbox(ports, batch=2) == 3
    assert relay_outbox(ports) == 0
    published = [ce["data"]["reservationId"] for ce in ports.publisher.published]
    assert published == ids


def test_hotels_view_lists_the_catalog(ports: Ports) -> None:
    from handlers.catalog import hotels_view

    view = hotels_view(ports)
    assert [h["hotelId"] for h in view["hotels"]] == ["grand-lisbon", "harbor-porto"]
    assert view["hotels"][0]["roomTypes"][0] == {
        "roomType": "STD",
        "capacity": 2,
        "nightlyRate": "120.00",
        "rooms": 20,
    }
