"""The catalog as ``GET /hotels`` shows it."""

from __future__ import annotations

from typing import Any

from handlers.ports import Ports


def hotels_view(ports: Ports) -> dict[str, Any]:
    """``{"hotels": [{"hotelId", "name", "currency", "roomTypes": [...]}]}``."""
    return {"hotels": [hotel.to_body() for hotel in ports.catalog.hotels()]}
