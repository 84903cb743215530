from __future__ import annotations

from datetime import UTC, date, datetime

from domain.events import RoomAllocated, RoomAllocationFailed, RoomReleased
from domain.rooms import RoomAllocation, choose_room
from domain.stay import Stay

N1, N2, N3 = date(2031, 5, 1), date(2031, 5, 2), date(2031, 5, 3)
ROOMS = ("101", "102", "103")
T0 = datetime(2031, 4, 1, 12, 0, tzinfo=UTC)
STAY = Stay("grand-lisbon", "STD", N1, N3)


def test_first_room_in_catalog_order_when_nothing_is_held() -> None:
    assert choose_room(ROOMS, {}, [N1, N2]) == "101"


def test_a_room_must_be_free_for_every_night() -> None:
    held = {N1: {"101"}, N2: {"102"}, N3: set[str]()}
    assert choose_room(ROOMS, held, [N1, N2, N3]) == "103"
    assert choose_room(ROOMS, held, [N2]) == "101"


def test_no_room_when_each_is_held_some_night() -> None:
    held = {N1: {"101", "102"}, N3: {"103"}}
    assert choose_room(ROOMS, held, [N1, N2, N3]) is None


def test_excluded_rooms_are_skipped() -> None:
    assert choose_room(ROOMS, {}, [N1], exclude=["101"]) == "102"


def allocated() -> RoomAllocation:
    return RoomAllocation.allocate(
        reservation_id="r-1",
        stay=STAY,
        room_number="102",
        guest_id="g-1",
        payment_method_ref="pm_r-1",
        at=T0,
    )


def test_allocation_holds_the_room_for_each_night_and_records_it() -> None:
    allocation = allocated()
    assert allocation.held_room_nights == [(N1, "102"), (N2, "102")]
    [event] = allocation.pending_events
    assert isinstance(event, RoomAllocated)
    assert (event.room_number, event.nights, event.payment_method_ref) == (
        "102",
        [N1, N2],
        "pm_r-1",
    )


def test_release_lets_every_night_go_once() -> None:
    allocation = allocated()
    allocation.clear_events()
    assert allocation.release("payment_declined", at=T0) == [(N1, "102"), (N2, "102")]
    assert allocation.status == "Released"
    [event] = allocation.pending_events
    assert isinstance(event, RoomReleased)
    assert event.reason == "payment_declined"
    allocation.clear_events()
    assert allocation.release("cancelled", at=T0) == []
    assert allocation.pending_events == ()


def test_failed_allocation_holds_nothing() -> None:
    failed = RoomAllocation.fail(reservation_id="r-1", stay=STAY, guest_id="g-1", at=T0)
    assert failed.held_room_nights == []
    assert isinstance(failed.pending_events[0], RoomAllocationFailed)
    assert failed.release("cancelled", at=T0) == []


def test_tombstone_holds_nothing_and_records_nothing() -> None:
    tombstone = RoomAllocation.tombstone(
        reservation_id="r-1", hotel_id="grand-lisbon", room_type="STD", at=T0
    )
    assert tombstone.status == "Cancelled"
    assert tombstone.held_room_nights == []
    assert tombstone.pending_events == ()
    assert tombstone.release("cancelled", at=T0) == []
