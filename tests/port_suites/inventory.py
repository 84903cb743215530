"""The RoomInventory port: a room-night is held at most once, whatever the concurrency."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from domain.errors import ConcurrencyError
from handlers.ports import RoomInventory
from tests.port_suites.factory import PortFactory
from tests.port_suites.support import allocation, stay, unique

ROOM_TYPE = "STD"
NIGHTS = stay(date(2031, 5, 1), 3)


class RoomInventoryContract:
    @pytest.fixture
    def inventory(self, factory: PortFactory) -> RoomInventory:
        return factory.inventory()

    @pytest.fixture
    def hotel(self) -> str:
        return unique("hotel")

    def test_held_nights_are_listed_per_night(self, inventory: RoomInventory, hotel: str) -> None:
        alloc = allocation(hotel_id=hotel, room_type=ROOM_TYPE, room="101", nights=NIGHTS[:2])
        inventory.save(hotel, ROOM_TYPE, alloc, hold=[(n, "101") for n in NIGHTS[:2]])

        held = inventory.held_rooms(hotel, ROOM_TYPE, NIGHTS)

        assert held == {NIGHTS[0]: {"101"}, NIGHTS[1]: {"101"}, NIGHTS[2]: set()}
        assert inventory.held_rooms(hotel, "DLX", NIGHTS) == {n: set() for n in NIGHTS}

    def test_an_allocation_reads_back(self, inventory: RoomInventory, hotel: str) -> None:
        alloc = allocation(hotel_id=hotel, room_type=ROOM_TYPE, room="101", nights=NIGHTS)
        entries = inventory.save(hotel, ROOM_TYPE, alloc)
        assert [e.cloudevent["type"] for e in entries] == ["Hotel.RoomAllocated"]
        loaded = inventory.get_allocation(hotel, ROOM_TYPE, alloc.reservation_id)
        assert loaded is not None
        assert loaded.reservation_id == alloc.reservation_id
        assert (loaded.version, loaded.etag) == (1, alloc.etag)
        assert inventory.get_allocation(hotel, ROOM_TYPE, unique("r")) is None

    def test_a_held_night_cannot_be_held_again_and_nothing_is_written(
        self, inventory: RoomInventory, hotel: str
    ) -> None:
        first = allocation(hotel_id=hotel, room_type=ROOM_TYPE, room="101", nights=NIGHTS[1:2])
        inventory.save(hotel, ROOM_TYPE, first, hold=[(NIGHTS[1], "101")])
        loser = allocation(hotel_id=hotel, room_type=ROOM_TYPE, room="101", nights=NIGHTS)

        with pytest.raises(ConcurrencyError):
            inventory.save(hotel, ROOM_TYPE, loser, hold=[(n, "101") for n in NIGHTS])

        assert inventory.get_allocation(hotel, ROOM_TYPE, loser.reservation_id) is None
        assert inventory.held_rooms(hotel, ROOM_TYPE, NIGHTS) == {
            NIGHTS[0]: set(),
            NIGHTS[1]: {"101"},
            NIGHTS[2]: set(),
        }

    def test_releasing_frees_the_nights_for_someone_else(
        self, inventory: RoomInventory, hotel: str
    ) -> None:
        nights = [(n, "101") for n in NIGHTS]
        alloc = allocation(hotel_id=hotel, room_type=ROOM_TYPE, room="101", nights=NIGHTS)
        inventory.save(hotel, ROOM_TYPE, alloc, hold=nights)
        loaded = inventory.get_allocation(hotel, ROOM_TYPE, alloc.reservation_id)
        assert loaded is not None

        inventory.save(hotel, ROOM_TYPE, loaded, release=nights)

        assert inventory.held_rooms(hotel, ROOM_TYPE, NIGHTS) == {n: set() for n in NIGHTS}
        other = allocation(hotel_id=hotel, room_type=ROOM_TYPE, room="101", nights=NIGHTS)
        inventory.save(hotel, ROOM_TYPE, other, hold=nights)
        assert inventory.held_rooms(hotel, ROOM_TYPE, NIGHTS) == {n: {"101"} for n in NIGHTS}

    def test_releasing_a_night_not_held_is_a_conflict(
        self, inventory: RoomInventory, hotel: str
    ) -> None:
        alloc = allocation(hotel_id=hotel, room_type=ROOM_TYPE, room="101", nights=NIGHTS)
        with pytest.raises(ConcurrencyError):
            inventory.save(hotel, ROOM_TYPE, alloc, release=[(NIGHTS[0], "101")])

    def test_the_same_processed_event_twice_is_a_conflict(
        self, inventory: RoomInventory, hotel: str
    ) -> None:
        cause = unique("evt")
        alloc = allocation(hotel_id=hotel, room_type=ROOM_TYPE, room="101", nights=NIGHTS)
        inventory.save(hotel, ROOM_TYPE, alloc, marker=cause)
        assert inventory.processed(hotel, ROOM_TYPE, cause) is not None
        assert inventory.processed(hotel, ROOM_TYPE, unique("evt")) is None
        loaded = inventory.get_allocation(hotel, ROOM_TYPE, alloc.reservation_id)
        assert loaded is not None
        with pytest.raises(ConcurrencyError):
            inventory.save(hotel, ROOM_TYPE, loaded, marker=cause)

    def test_a_stale_allocation_is_a_conflict(self, inventory: RoomInventory, hotel: str) -> None:
        alloc = allocation(hotel_id=hotel, room_type=ROOM_TYPE, room="101", nights=NIGHTS)
        inventory.save(hotel, ROOM_TYPE, alloc)
        first = inventory.get_allocation(hotel, ROOM_TYPE, alloc.reservation_id)
        second = inventory.get_allocation(hotel, ROOM_TYPE, alloc.reservation_id)
        assert first is not None
        assert second is not None
        inventory.save(hotel, ROOM_TYPE, first, hold=[(NIGHTS[0], "101")])
        with pytest.raises(ConcurrencyError):
            inventory.save(hotel, ROOM_TYPE, second, hold=[(NIGHTS[1], "101")])
        assert inventory.held_rooms(hotel, ROOM_TYPE, NIGHTS[1:2]) == {NIGHTS[1]: set()}

    def test_twenty_bookings_racing_for_two_rooms_get_exactly_two(
        self, inventory: RoomInventory, hotel: str
    ) -> None:
        rooms = ("101", "102")
        racers = 20
        barrier = threading.Barrier(racers)
        winners: list[tuple[str, str]] = []
        lock = threading.Lock()

        def book() -> None:
            barrier.wait()
            for room in rooms:
                held = inventory.held_rooms(hotel, ROOM_TYPE, NIGHTS)
                if any(room in held[n] for n in NIGHTS):
                    continue
                alloc = allocation(hotel_id=hotel, room_type=ROOM_TYPE, room=room, nights=NIGHTS)
                try:
                    inventory.save(hotel, ROOM_TYPE, alloc, hold=[(n, room) for n in NIGHTS])
                except ConcurrencyError:
                    continue
                with lock:
                    winners.append((alloc.reservation_id, room))
                return

        threads = [threading.Thread(target=book) for _ in range(racers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

        assert sorted(room for _, room in winners) == ["101", "102"]
        assert inventory.held_rooms(hotel, ROOM_TYPE, NIGHTS) == {n: set(rooms) for n in NIGHTS}
