"""The catalog: as ``GET /hotels`` shows it, and the room type an event names."""

from __future__ import annotations

from typing import Any

from domain.catalog import Hotel, RoomType
from domain.errors import CatalogMissError
from handlers.ports import Ports


def hotels_view(ports: Ports) -> dict[str, Any]:
    """``{"hotels": [{"hotelId", "name", "currency", "roomTypes": [...]}]}``."""
    return {"hotels": [hotel.to_body() for hotel in ports.catalog.hotels()]}


def find_room_type(ports: Ports, hotel_id: str, room_type: str) -> tuple[Hotel, RoomType] | None:
    hotel = ports.catalog.get(hotel_id)
    kind = None if hotel is None else hotel.room_types.get(room_type)
    return None if hotel is None or kind is None else (hotel, kind)


def event_room_type(ports: Ports, hotel_id: str, room_type: str) -> tuple[Hotel, RoomType]:
    """The hotel and room type an event names. Booking validated them against the catalog, so
    a miss means this worker's copy is behind: CatalogMissError, transient (retried)."""
    found = find_room_type(ports, hotel_id, room_type)
    if found is None:
        raise CatalogMissError(f"{hotel_id}/{room_type} is not in the catalog (yet)")
    return found
