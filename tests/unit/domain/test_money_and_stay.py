from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.events import ReservationRequested, RoomAllocated
from domain.money import format_money, quantize
from domain.stay import MAX_NIGHTS, Stay, stay_errors, stay_nights


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("120"), "120.00"),
        (Decimal("2.345"), "2.35"),
        (Decimal("2.344"), "2.34"),
        (Decimal("0.005"), "0.01"),
        (Decimal("-2.345"), "-2.35"),
        (360, "360.00"),
        ("95.5", "95.50"),
        (Decimal("1E+3"), "1000.00"),
    ],
)
def test_money_has_two_places_rounded_half_up(amount: Decimal | int | str, text: str) -> None:
    assert format_money(amount) == text
    assert quantize(amount) == Decimal(text)


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity"])
def test_money_rejects_what_is_not_a_finite_amount(bad: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        quantize(bad)


def test_nights_are_the_dates_from_check_in_up_to_but_excluding_check_out() -> None:
    assert stay_nights(date(2031, 5, 1), date(2031, 5, 4)) == [
        date(2031, 5, 1),
        date(2031, 5, 2),
        date(2031, 5, 3),
    ]
    assert stay_nights(date(2031, 12, 31), date(2032, 1, 1)) == [date(2031, 12, 31)]
    assert stay_nights(date(2031, 5, 4), date(2031, 5, 4)) == []


def test_a_stay_is_a_value_with_the_nights_of_its_dates() -> None:
    stay = Stay("grand-lisbon", "STD", date(2031, 5, 1), date(2031, 5, 3))
    assert stay == Stay("grand-lisbon", "STD", date(2031, 5, 1), date(2031, 5, 3))
    assert stay.nights == [date(2031, 5, 1), date(2031, 5, 2)]
    with pytest.raises(AttributeError):
        stay.room_type = "DLX"  # type: ignore[misc]


def test_events_that_carry_a_stay_expose_it_without_changing_their_payload() -> None:
    stay = Stay("grand-lisbon", "STD", date(2031, 5, 1), date(2031, 5, 3))
    requested = ReservationRequested(
        reservation_id="r-1",
        hotel_id=stay.hotel_id,
        room_type=stay.room_type,
        check_in=stay.check_in,
        check_out=stay.check_out,
        guests=2,
        guest_id="g-1",
        payment_method_ref="pm_r-1",
    )
    allocated = RoomAllocated(
        reservation_id="r-1",
        hotel_id=stay.hotel_id,
        room_type=stay.room_type,
        room_number="101",
        check_in=stay.check_in,
        check_out=stay.check_out,
        nights=stay.nights,
        guest_id="g-1",
        payment_method_ref="pm_r-1",
    )
    assert requested.stay == allocated.stay == stay
    assert "stay" not in requested.to_data()
    assert "stay" not in allocated.to_data()


TODAY = date(2031, 4, 1)


def test_a_stay_from_today_of_up_to_30_nights_is_fine() -> None:
    assert stay_errors(TODAY, date(2031, 5, 1), TODAY) == {}
    assert (date(2031, 5, 1) - TODAY).days == MAX_NIGHTS


@pytest.mark.parametrize(
    ("check_in", "check_out", "errors"),
    [
        (date(2031, 3, 31), date(2031, 4, 2), {"checkIn"}),
        (date(2031, 5, 2), date(2031, 5, 2), {"checkOut"}),
        (date(2031, 5, 3), date(2031, 5, 2), {"checkOut"}),
        (TODAY, date(2031, 5, 2), {"checkOut"}),
        (date(2031, 3, 1), date(2031, 2, 1), {"checkIn", "checkOut"}),
    ],
)
def test_stay_rules(check_in: date, check_out: date, errors: set[str]) -> None:
    assert set(stay_errors(check_in, check_out, TODAY)) == errors
