"""The hotel catalog: hotels, their room types, capacity, nightly rate and room numbers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.money import format_money


@dataclass(frozen=True)
class RoomType:
    code: str
    capacity: int
    nightly_rate: Decimal
    room_numbers: tuple[str, ...]

    def to_body(self) -> dict[str, Any]:
        return {
            "roomType": self.code,
            "capacity": self.capacity,
            "nightlyRate": format_money(self.nightly_rate),
            "rooms": len(self.room_numbers),
        }


@dataclass(frozen=True)
class Hotel:
    hotel_id: str
    name: str
    currency: str
    room_types: dict[str, RoomType]

    def to_body(self) -> dict[str, Any]:
        """The hotel as ``GET /hotels`` lists it."""
        return {
            "hotelId": self.hotel_id,
            "name": self.name,
            "currency": self.currency,
            "roomTypes": [rt.to_body() for rt in self.room_types.values()],
        }


def _rooms(floor: int, count: int) -> tuple[str, ...]:
    return tuple(f"{floor}{n:02d}" for n in range(1, count + 1))


def _hotel(hotel_id: str, name: str, currency: str, *room_types: RoomType) -> Hotel:
    return Hotel(hotel_id, name, currency, {rt.code: rt for rt in room_types})


# The demo catalog (docs/api.md, `GET /hotels`), seeded by `make run`.
DEMO_CATALOG: tuple[Hotel, ...] = (
    _hotel(
        "grand-lisbon",
        "Grand Lisbon",
        "EUR",
        RoomType("STD", 2, Decimal("120.00"), _rooms(1, 20)),
        RoomType("DLX", 3, Decimal("180.00"), _rooms(2, 8)),
        RoomType("STE", 4, Decimal("350.00"), _rooms(3, 2)),
    ),
    _hotel(
        "harbor-porto",
        "Harbor Porto",
        "EUR",
        RoomType("STD", 2, Decimal("95.00"), _rooms(1, 10)),
    ),
)
