"""``Catalog`` on the Catalog table (PK = hotel id, RK = ``hotel``): hotels as JSON, read once
and cached (adapters/tables.py holds the other ports on the same ``TableStore``)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

from adapters.layout import checked_key
from adapters.limits import string_property
from adapters.table_store import RowQuery, TableStore
from domain.catalog import Hotel, RoomType

CATALOG_ROW: Final = "hotel"


def hotel_to_json(hotel: Hotel) -> str:
    return json.dumps(
        {
            "hotelId": hotel.hotel_id,
            "name": hotel.name,
            "currency": hotel.currency,
            "roomTypes": [
                {
                    "code": rt.code,
                    "capacity": rt.capacity,
                    "nightlyRate": str(rt.nightly_rate),
                    "roomNumbers": list(rt.room_numbers),
                }
                for rt in hotel.room_types.values()
            ],
        },
        separators=(",", ":"),
    )


def hotel_from_json(text: str) -> Hotel:
    data = json.loads(text)
    room_types = [
        RoomType(
            code=str(rt["code"]),
            capacity=int(rt["capacity"]),
            nightly_rate=Decimal(str(rt["nightlyRate"])),
            room_numbers=tuple(str(n) for n in rt["roomNumbers"]),
        )
        for rt in data["roomTypes"]
    ]
    return Hotel(
        hotel_id=str(data["hotelId"]),
        name=str(data["name"]),
        currency=str(data["currency"]),
        room_types={rt.code: rt for rt in room_types},
    )


class TableCatalog:
    """``Catalog`` on the Catalog table (PK = hotel id, RK = ``hotel``), cached per worker.

    The catalog changes only by seeding/deployment, so a worker reads it once and keeps it --
    except that an empty read is never kept (a worker that started before the seed would
    otherwise fail every event until restarted), and a lookup of a hotel the cache lacks re-reads
    the table, at most once per ``refresh_after``: a hotel seeded later is picked up without a
    restart, while lookups of unknown hotels cannot turn into a read per request.
    """

    def __init__(
        self,
        store: TableStore,
        table: str,
        *,
        refresh_after: timedelta = timedelta(seconds=30),
    ) -> None:
        self._store = store
        self._table = table
        self._refresh_after = refresh_after
        self._lock = threading.Lock()
        self._cache: dict[str, Hotel] | None = None
        self._read_at: datetime | None = None

    def _read(self) -> dict[str, Hotel]:
        """Read the table (lock held); cache the result unless it is empty."""
        rows = self._store.query(self._table, RowQuery(row_key=CATALOG_ROW, select=["Hotel"]))
        hotels = (hotel_from_json(str(row["Hotel"])) for row in rows)
        found = {hotel.hotel_id: hotel for hotel in hotels}
        self._cache = found or None
        self._read_at = datetime.now(UTC)
        return found

    def _hotels(self, *, looking_for: str | None = None) -> dict[str, Hotel]:
        with self._lock:
            if self._cache is None:
                return self._read()
            if looking_for is not None and looking_for not in self._cache:
                stale = self._read_at is None or (
                    datetime.now(UTC) - self._read_at >= self._refresh_after
                )
                if stale:
                    return self._read()
            return self._cache

    def hotels(self) -> list[Hotel]:
        return list(self._hotels().values())

    def get(self, hotel_id: str) -> Hotel | None:
        return self._hotels(looking_for=hotel_id).get(hotel_id)

    def seed_catalog(self, hotels: Iterable[Hotel]) -> None:
        """Upsert (replace) every hotel: idempotent. Clears this instance's cache."""
        for hotel in hotels:
            self._store.upsert(
                self._table,
                {
                    "PartitionKey": checked_key(hotel.hotel_id, "hotel id"),
                    "RowKey": CATALOG_ROW,
                    "Hotel": string_property(hotel_to_json(hotel), "Hotel"),
                },
            )
        with self._lock:
            self._cache = None
