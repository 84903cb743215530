from __future__ import annotations

from decimal import Decimal

from domain.catalog import DEMO_CATALOG


def test_demo_catalog_matches_the_contract() -> None:
    hotels = {hotel.hotel_id: hotel for hotel in DEMO_CATALOG}
    assert set(hotels) == {"grand-lisbon", "harbor-porto"}
    assert {hotel.currency for hotel in DEMO_CATALOG} == {"EUR"}
    shape = {
        (hotel_id, code): (len(rt.room_numbers), rt.capacity, rt.nightly_rate)
        for hotel_id, hotel in hotels.items()
        for code, rt in hotel.room_types.items()
    }
    assert shape == {
        ("grand-lisbon", "STD"): (20, 2, Decimal("120.00")),
        ("grand-lisbon", "DLX"): (8, 3, Decimal("180.00")),
        ("grand-lisbon", "STE"): (2, 4, Decimal("350.00")),
        ("harbor-porto", "STD"): (10, 2, Decimal("95.00")),
    }
    lisbon = hotels["grand-lisbon"].room_types
    assert lisbon["STD"].room_numbers[0] == "101"
    assert lisbon["STD"].room_numbers[-1] == "120"
    assert lisbon["DLX"].room_numbers == tuple(f"20{n}" for n in range(1, 9))
    assert lisbon["STE"].room_numbers == ("301", "302")


def test_hotel_body_shows_rates_as_money_strings() -> None:
    body = DEMO_CATALOG[1].to_body()
    assert body == {
        "hotelId": "harbor-porto",
        "name": "Harbor Porto",
        "currency": "EUR",
        "roomTypes": [{"roomType": "STD", "capacity": 2, "nightlyRate": "95.00", "rooms": 10}],
    }
