"""The FrontdeskBoard port: a stay and its lines on its hotel's day sheets, saved together."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.errors import ConcurrencyError
from domain.frontdesk import FrontdeskStay, StayFacts
from domain.reservation import ReservationStatus
from domain.stay import MAX_NIGHTS
from handlers.ports import FrontdeskBoard
from tests.port_suites.factory import PortFactory
from tests.port_suites.support import unique

CHECK_IN = date(2031, 5, 1)


def facts(
    stay: FrontdeskStay, status: ReservationStatus, *, nights: int = 3, name: str = "Ada"
) -> StayFacts:
    """What the reservation's events say: the request's facts, the room, and ``status``."""
    return StayFacts(
        reservation_id=stay.reservation_id,
        hotel_id=stay.hotel_id,
        status=status,
        guest_id="g-1",
        guest_name=name,
        room_type="STD",
        room_number="101",
        check_in=CHECK_IN,
        check_out=CHECK_IN + timedelta(days=nights),
    )


def new_stay(hotel_id: str) -> FrontdeskStay:
    return FrontdeskStay(reservation_id=unique("r"), hotel_id=hotel_id)


def ids(lines: list[dict[str, object]]) -> list[object]:
    return [line["reservationId"] for line in lines]


class FrontdeskBoardContract:
    @pytest.fixture
    def board(self, factory: PortFactory) -> FrontdeskBoard:
        return factory.frontdesk()

    @pytest.fixture
    def hotel(self) -> str:
        return unique("h")

    def test_an_unknown_stay_reads_as_none_and_an_empty_day_as_empty_lists(
        self, board: FrontdeskBoard, hotel: str
    ) -> None:
        assert board.get(hotel, unique("r")) is None
        assert board.day(hotel, CHECK_IN) == {"arrival": [], "departure": [], "inHouse": []}

    def test_a_saved_stay_reads_back_with_where_it_is_listed(
        self, board: FrontdeskBoard, hotel: str
    ) -> None:
        stay = new_stay(hotel)
        stay.apply(facts(stay, "Confirmed"))
        board.save(stay)
        assert (stay.version, stay.listed) == (1, frozenset({(CHECK_IN, "arrival")}))
        loaded = board.get(hotel, stay.reservation_id)
        assert loaded is not None
        assert loaded.model_dump() == stay.model_dump()
        assert (loaded.etag, loaded.listed) == (stay.etag, stay.listed)
        sheet = board.day(hotel, CHECK_IN)
        assert sheet["arrival"] == [stay.guest_line()]
        assert sheet["departure"] == sheet["inHouse"] == []

    def test_a_save_moves_the_stay_between_sheets_and_leaves_nothing_behind(
        self, board: FrontdeskBoard, hotel: str
    ) -> None:
        stay = new_stay(hotel)
        stay.apply(facts(stay, "Confirmed"))
        board.save(stay)
        loaded = board.get(hotel, stay.reservation_id)
        assert loaded is not None
        loaded.apply(facts(stay, "CheckedIn"))
        board.save(loaded)
        nights = [CHECK_IN + timedelta(days=i) for i in range(3)]
        for night in nights:
            sheet = board.day(hotel, night)
            assert (ids(sheet["arrival"]), ids(sheet["inHouse"])) == ([], [stay.reservation_id])
            assert sheet["inHouse"][0]["status"] == "CheckedIn"
        departure = board.day(hotel, CHECK_IN + timedelta(days=3))
        assert ids(departure["departure"]) == [stay.reservation_id]
        again = board.get(hotel, stay.reservation_id)
        assert again is not None
        again.apply(facts(stay, "CheckedOut"))
        board.save(again)
        for night in nights:
            assert board.day(hotel, night) == {"arrival": [], "departure": [], "inHouse": []}
        (line,) = board.day(hotel, CHECK_IN + timedelta(days=3))["departure"]
        assert line["status"] == "CheckedOut"

    def test_a_cancelled_stay_leaves_every_sheet(self, board: FrontdeskBoard, hotel: str) -> None:
        stay = new_stay(hotel)
        stay.apply(facts(stay, "Confirmed"))
        board.save(stay)
        stay.apply(facts(stay, "Cancelled"))
        board.save(stay)
        assert board.day(hotel, CHECK_IN)["arrival"] == []
        loaded = board.get(hotel, stay.reservation_id)
        assert loaded is not None
        assert (loaded.status, loaded.listed) == ("Cancelled", frozenset())

    def test_two_writers_from_one_version_conflict_and_the_loser_changes_nothing(
        self, board: FrontdeskBoard, hotel: str
    ) -> None:
        stay = new_stay(hotel)
        stay.apply(facts(stay, "Confirmed"))
        board.save(stay)
        first = board.get(hotel, stay.reservation_id)
        second = board.get(hotel, stay.reservation_id)
        assert first is not None
        assert second is not None
        first.apply(facts(stay, "CheckedIn"))
        board.save(first)
        second.apply(facts(stay, "Cancelled"))
        with pytest.raises(ConcurrencyError):
            board.save(second)
        loaded = board.get(hotel, stay.reservation_id)
        assert loaded is not None
        assert loaded.status == "CheckedIn"
        assert board.day(hotel, CHECK_IN)["inHouse"] != []

    def test_creating_a_stay_twice_is_a_conflict(self, board: FrontdeskBoard, hotel: str) -> None:
        stay = new_stay(hotel)
        twin = FrontdeskStay(reservation_id=stay.reservation_id, hotel_id=hotel)
        board.save(stay)
        twin.apply(facts(twin, "Confirmed"))
        with pytest.raises(ConcurrencyError):
            board.save(twin)
        assert board.day(hotel, CHECK_IN)["arrival"] == []

    def test_the_longest_stay_checked_in_fits_one_transaction(
        self, board: FrontdeskBoard, hotel: str
    ) -> None:
        stay = new_stay(hotel)
        stay.apply(facts(stay, "Confirmed", nights=MAX_NIGHTS))
        board.save(stay)
        stay.apply(facts(stay, "CheckedIn", nights=MAX_NIGHTS))
        board.save(stay)
        last_night = CHECK_IN + timedelta(days=MAX_NIGHTS - 1)
        assert ids(board.day(hotel, last_night)["inHouse"]) == [stay.reservation_id]

    def test_a_day_holds_that_hotel_and_that_date_only(
        self, board: FrontdeskBoard, hotel: str
    ) -> None:
        here, elsewhere, later = new_stay(hotel), new_stay(unique("h")), new_stay(hotel)
        for stay in (here, elsewhere):
            stay.apply(facts(stay, "Confirmed"))
            board.save(stay)
        later.apply(
            facts(later, "Confirmed").model_copy(update={"check_in": CHECK_IN.replace(day=2)})
        )
        board.save(later)
        assert ids(board.day(hotel, CHECK_IN)["arrival"]) == [here.reservation_id]
        assert ids(board.day(hotel, CHECK_IN.replace(day=2))["arrival"]) == [later.reservation_id]
