"""The front desk's day sheets, kept by the ``frontdesk`` subscriber from the saga's events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.storage_names import FRONTDESK_TABLE
from adapters.table_store import Operation, RowQuery, StoredRow
from domain.errors import HotelNotFoundError
from domain.events import ReservationRequested
from handlers.dispatch import dispatch
from handlers.frontdesk import frontdesk_view
from handlers.ports import Ports
from handlers.reservations import cancel_reservation, check_in, check_out, get_reservation
from tests.support.azure_format import run_failing
from tests.support.frontdesk import Sheet, empty_sheet, expected_sheet, shown_sheet
from tests.support.harness import MAY_1, MAY_2, MAY_3, Bus, Clock, book
from tests.support.memory_ports import build_memory_ports
from tests.support.memory_tables import MemoryTableStore

MAY_4 = date(2031, 5, 4)
SUBSCRIPTION = "frontdesk"


class CountingStore(MemoryTableStore):
    """The in-memory store, counting the calls made on the Frontdesk table."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def get(
        self, table: str, partition_key: str, row_key: str, *, select: Sequence[str] | None = None
    ) -> StoredRow | None:
        if table == FRONTDESK_TABLE:
            self.calls.append("read")
        return super().get(table, partition_key, row_key, select=select)

    def query(self, table: str, query: RowQuery) -> Any:
        if table == FRONTDESK_TABLE:
            self.calls.append("query")
        return super().query(table, query)

    def submit(self, table: str, operations: Sequence[Operation]) -> list[str]:
        if table == FRONTDESK_TABLE:
            self.calls.append("transaction")
        return super().submit(table, operations)

    def taken(self) -> list[str]:
        calls, self.calls = self.calls, []
        return calls


@pytest.fixture
def store() -> CountingStore:
    return CountingStore()


@pytest.fixture
def ports(store: CountingStore) -> Ports:
    return build_memory_ports(Clock(), store=store)


@pytest.fixture
def bus(ports: Ports) -> Bus:
    return Bus(ports)


def sheet(ports: Ports, day: date) -> Sheet:
    return shown_sheet(ports, "grand-lisbon", day)


def empty() -> Sheet:
    return empty_sheet()


def test_a_confirmed_booking_arrives_on_its_check_in_day(ports: Ports, bus: Bus) -> None:
    rid = book(ports).reservation_id
    bus.run()
    assert sheet(ports, MAY_1) == {**empty(), "arrivals": [(rid, "Confirmed")]}
    (line,) = frontdesk_view("grand-lisbon", MAY_1, ports)["arrivals"]
    reservation = get_reservation(rid, ports)
    assert line == {
        "reservationId": rid,
        "guestId": "g-123",
        "guestName": "Ada Lovelace",
        "roomType": "STD",
        "roomNumber": reservation.room_number,
        "checkIn": "2031-05-01",
        "checkOut": "2031-05-04",
        "status": "Confirmed",
    }
    for day in (MAY_2, MAY_3, MAY_4):
        assert sheet(ports, day) == empty()


def test_check_in_moves_the_guest_in_house_and_check_out_to_departed(
    ports: Ports, bus: Bus
) -> None:
    rid = book(ports).reservation_id
    bus.run()
    check_in(rid, ports)
    bus.run()
    for night in (MAY_1, MAY_2, MAY_3):
        assert sheet(ports, night) == {**empty(), "inHouse": [(rid, "CheckedIn")]}
    assert sheet(ports, MAY_4) == {**empty(), "departures": [(rid, "CheckedIn")]}
    check_out(rid, ports)
    bus.run()
    for night in (MAY_1, MAY_2, MAY_3):
        assert sheet(ports, night) == empty()
    assert sheet(ports, MAY_4) == {**empty(), "departures": [(rid, "CheckedOut")]}


@pytest.mark.parametrize("token", ["tok_visa", "tok_declined"])
def test_cancelled_and_rejected_bookings_are_on_no_sheet(
    ports: Ports, bus: Bus, token: str
) -> None:
    rid = book(ports, paymentToken=token).reservation_id
    bus.run()
    if token == "tok_visa":
        assert sheet(ports, MAY_1)["arrivals"] == [(rid, "Confirmed")]
        cancel_reservation(rid, ports)
        bus.run()
    assert sheet(ports, MAY_1) == empty()


def test_lists_are_sorted_by_guest_name(ports: Ports, bus: Bus) -> None:
    names = ["Grace Hopper", "Ada Lovelace", "Alan Turing"]
    for name in names:
        book(ports, guest={"id": "g-1", "name": name, "email": "x@example.com"})
    bus.run()
    arrivals = frontdesk_view("grand-lisbon", MAY_1, ports)["arrivals"]
    assert [line["guestName"] for line in arrivals] == sorted(names)


def test_the_story_delivered_backwards_ends_where_it_would_in_order(ports: Ports, bus: Bus) -> None:
    rid = book(ports).reservation_id
    held = run_failing(bus, SUBSCRIPTION)
    check_in(rid, ports)
    check_out(rid, ports)
    held += run_failing(bus, SUBSCRIPTION)
    assert [ce["type"] for _, ce in held] == [
        "Hotel.ReservationRequested",
        "Hotel.ReservationConfirmed",
        "Hotel.GuestCheckedIn",
        "Hotel.GuestCheckedOut",
    ]
    for delivery in reversed(held):
        bus.deliver(delivery)
    assert sheet(ports, MAY_4) == {**empty(), "departures": [(rid, "CheckedOut")]}
    for day in (MAY_1, MAY_2, MAY_3):
        assert sheet(ports, day) == empty()


def test_a_cancel_before_its_confirmation_keeps_the_stay_off_the_sheets(
    ports: Ports, bus: Bus
) -> None:
    rid = book(ports).reservation_id
    held = run_failing(bus, SUBSCRIPTION)
    cancel_reservation(rid, ports)
    held += run_failing(bus, SUBSCRIPTION)
    by_type = {ce["type"]: (name, ce) for name, ce in held}
    bus.deliver(by_type["Hotel.ReservationCancelled"])
    bus.deliver(by_type["Hotel.ReservationConfirmed"])
    bus.deliver(by_type["Hotel.ReservationRequested"])
    assert sheet(ports, MAY_1) == empty()


def test_an_event_is_one_read_and_at_most_one_transaction(
    ports: Ports, bus: Bus, store: CountingStore
) -> None:
    book(ports)
    held = run_failing(bus, SUBSCRIPTION)
    store.taken()
    for delivery in held:
        bus.deliver(delivery)
        assert store.taken() == ["read", "transaction"]
    for delivery in held:  # duplicates: read, nothing new, nothing written
        bus.deliver(delivery)
        assert store.taken() == ["read"]
    sheet(ports, MAY_1)
    assert store.taken() == ["query"]


def test_a_v1_request_shows_the_guest_without_a_name(ports: Ports, bus: Bus) -> None:
    rid = book(ports).reservation_id
    held = run_failing(bus, SUBSCRIPTION)
    requested = {ce["type"]: ce for _, ce in held}[ReservationRequested.event_type()]
    v1 = {k: v for k, v in requested["data"].items() if k != "guestName"}
    dispatch(SUBSCRIPTION, requested["type"], {**v1, "schemaVersion": 1}, ports)
    for name, ce in held:
        if ce is not requested:
            bus.deliver((name, ce))
    (line,) = frontdesk_view("grand-lisbon", MAY_1, ports)["arrivals"]
    assert (line["reservationId"], line["guestName"], line["guestId"]) == (rid, None, "g-123")


@pytest.mark.parametrize("hotel_id", ["nowhere", "bad/id", ""])
def test_an_unknown_hotel_is_not_found(ports: Ports, hotel_id: str) -> None:
    with pytest.raises(HotelNotFoundError):
        frontdesk_view(hotel_id, MAY_1, ports)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    token=st.sampled_from(["tok_visa", "tok_declined"]),
    story=st.sampled_from(["booked", "cancelled", "checked-in", "checked-out"]),
)
def test_any_order_and_duplication_ends_with_the_sheets_of_the_final_status(
    data: st.DataObject, token: str, story: str
) -> None:
    ports = build_memory_ports(Clock())
    bus = Bus(ports)
    rid = book(ports, paymentToken=token).reservation_id
    held = run_failing(bus, SUBSCRIPTION)
    early = data.draw(st.lists(st.sampled_from(held), max_size=3), label="delivered early")
    for delivery in early:  # some arrive before the commands below even run
        bus.deliver(delivery)
    if get_reservation(rid, ports).status == "Confirmed":
        if story == "cancelled":
            cancel_reservation(rid, ports)
        if story in ("checked-in", "checked-out"):
            check_in(rid, ports)
        if story == "checked-out":
            check_out(rid, ports)
    held += run_failing(bus, SUBSCRIPTION)
    duplicates = data.draw(st.lists(st.sampled_from(held), max_size=4), label="duplicates")
    for delivery in data.draw(st.permutations([*held, *duplicates]), label="order"):
        bus.deliver(delivery)
    reservation = get_reservation(rid, ports)
    for offset in range(-1, 5):
        day = MAY_1 + timedelta(days=offset)
        expected = expected_sheet([reservation], "grand-lisbon", day)
        assert sheet(ports, day) == expected, (day, reservation.status)
