"""Direct reads of Table storage (the only place the chaos run bypasses the API).

Row layout: ``adapters/layout.py``. Read here: every reservation's ``state`` row (including
bookings whose 202 the harness never saw), the Rooms table's ``night|{date}|{room}`` rows (held
room-nights, each naming its reservation) and the relay's pending-publish index.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from azure.data.tables import TableServiceClient

from adapters.layout import NIGHT_PREFIX, PENDING_PARTITION, STATE_ROW, prefix_upper_bound
from adapters.storage_names import (
    BILLING_TABLE,
    LOYALTY_TABLE,
    RESERVATIONS_TABLE,
    ROOMS_TABLE,
)
from chaos.model import NightRow
from domain.reservation import Reservation

CONTEXT_TABLES = (RESERVATIONS_TABLE, ROOMS_TABLE, BILLING_TABLE, LOYALTY_TABLE)


class StorageReader:
    def __init__(self, connection_string: str) -> None:
        self.service = TableServiceClient.from_connection_string(connection_string)

    def close(self) -> None:
        self.service.close()

    def reservations(self) -> dict[str, dict[str, Any]]:
        """Every reservation, as the API's body."""
        table = self.service.get_table_client(RESERVATIONS_TABLE)
        found: dict[str, dict[str, Any]] = {}
        for entity in table.query_entities(f"RowKey eq '{STATE_ROW}'", select=["State"]):
            reservation = Reservation.model_validate_json(entity["State"])
            found[reservation.reservation_id] = reservation.to_body()
        return found

    def night_rows(self) -> list[NightRow]:
        table = self.service.get_table_client(ROOMS_TABLE)
        query = "RowKey ge @lo and RowKey lt @hi"
        params = {"lo": NIGHT_PREFIX, "hi": prefix_upper_bound(NIGHT_PREFIX)}
        rows: list[NightRow] = []
        for entity in table.query_entities(query, parameters=params):
            hotel_id, room_type = str(entity["PartitionKey"]).split("|", 1)
            _, night, room = str(entity["RowKey"]).split("|", 2)
            rows.append(
                NightRow(
                    hotel_id=hotel_id,
                    room_type=room_type,
                    night=date.fromisoformat(night),
                    room=room,
                    reservation_id=str(entity.get("ReservationId", "")),
                )
            )
        return rows

    def unpublished_outbox(self) -> int:
        """Command commits whose events the relay has not yet settled (its pending index)."""
        table = self.service.get_table_client(RESERVATIONS_TABLE)
        query = "PartitionKey eq @pk"
        pending = table.query_entities(
            query, parameters={"pk": PENDING_PARTITION}, select=["RowKey"]
        )
        return sum(1 for _ in pending)
