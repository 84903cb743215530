"""``FrontdeskBoard`` on the Frontdesk table: one partition per hotel (adapters/layout.py).

A stay and the lines it puts on day sheets share its hotel's partition, so applying an event is
one point read and one transaction, and a day's sheet is one row-key range query. The stay's
rows come from the one writer of a save (adapters/rows.py): state, version guard, plus the
listing rows as extra operations. The read model publishes nothing and keeps no processed
markers: joining an event twice changes nothing (domain/frontdesk.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from adapters.cloudevents import to_cloudevent
from adapters.layout import (
    FRONTDESK,
    checked_key,
    day_prefix,
    listing_row_key,
    prefix_upper_bound,
    stay_row_key,
)
from adapters.limits import string_property
from adapters.rows import aggregate_of, committed, compact_json, save_operations
from adapters.table_store import Operation, RowQuery, TableStore
from domain.frontdesk import LIST_NAMES, FrontdeskStay, Listing, ListName


class TableFrontdeskBoard:
    def __init__(self, store: TableStore, table: str) -> None:
        self._store = store
        self._table = table

    def get(self, hotel_id: str, reservation_id: str) -> FrontdeskStay | None:
        partition = checked_key(hotel_id, "hotel id")
        row = self._store.get(
            self._table, partition, stay_row_key(reservation_id), select=["State"]
        )
        if row is None:
            return None
        stay = aggregate_of(FrontdeskStay, row)
        stay.listed = stay.listings()
        return stay

    def save(self, stay: FrontdeskStay) -> None:
        partition = checked_key(stay.hotel_id, "hotel id")
        listings = stay.listings()
        operations, _ = save_operations(
            context=FRONTDESK,
            partition_key=partition,
            state_row_key=stay_row_key(stay.reservation_id),
            guard_key=stay.reservation_id,
            aggregate=stay,
            marker=None,
            to_cloudevent=to_cloudevent,
            extra=self._listing_operations(partition, stay, listings),
        )
        etags = self._store.submit(self._table, operations)
        committed(stay, etags[0])
        stay.listed = listings

    def _listing_operations(
        self, partition: str, stay: FrontdeskStay, listings: frozenset[Listing]
    ) -> Sequence[Operation]:
        def key(listing: Listing) -> dict[str, Any]:
            day, list_name = listing
            row_key = listing_row_key(day, list_name, stay.reservation_id)
            return {"PartitionKey": partition, "RowKey": row_key}

        # A line already on a sheet is replaced: its status or room may have changed.
        line = string_property(compact_json(stay.guest_line()), "Guest")
        operations = [Operation("delete", key(gone)) for gone in sorted(stay.listed - listings)]
        for listing in sorted(listings):
            row = {**key(listing), "Guest": line}
            if listing in stay.listed:
                operations.append(Operation("replace", row))
            else:
                operations.append(Operation("create", row))
        return operations

    def day(self, hotel_id: str, day: date) -> dict[ListName, list[dict[str, Any]]]:
        prefix = day_prefix(day)
        query = RowQuery(
            partition_key=checked_key(hotel_id, "hotel id"),
            row_key_from=prefix,
            row_key_before=prefix_upper_bound(prefix),
            select=["RowKey", "Guest"],
        )
        sheet: dict[ListName, list[dict[str, Any]]] = {name: [] for name in LIST_NAMES}
        by_name: dict[str, list[dict[str, Any]]] = {str(k): v for k, v in sheet.items()}
        for row in self._store.query(self._table, query):
            list_name = str(row["RowKey"])[len(prefix) :].split("|", 1)[0]
            lines = by_name.get(list_name)
            if lines is not None:  # a list this reader does not know (a newer writer) is skipped
                lines.append(json.loads(row["Guest"]))
        return sheet
