"""The storage adapters of the ports (handlers/ports.py), written once over a ``TableStore``.

Azure Table storage is the store in production (adapters/azure_tables.py); the unit tests run the
same classes on an in-memory store with the same rules (tests/support/memory_tables.py). The rows
a save writes come from one writer (adapters/rows.py); the layout is in adapters/layout.py; the
vault and the idempotency keys are in adapters/table_secrets.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Generic, TypeVar

from adapters.cloudevents import to_cloudevent
from adapters.layout import (
    PENDING_PARTITION,
    RESERVATIONS,
    ROOMS,
    STATE_ROW,
    allocation_row_key,
    checked_key,
    commit_events_prefix,
    night_row_key,
    pending_cutoff,
    pending_row_key,
    prefix_upper_bound,
    reservation_events_prefix,
    rooms_partition,
    seen_row_key,
)
from adapters.rows import (
    OUTBOX_SELECT,
    aggregate_of,
    committed,
    intent_of,
    intent_row,
    oldest_first,
    outbox_entry_of,
    processed_record_of,
    save_operations,
)
from adapters.table_store import Operation, RowQuery, TableStore
from domain.aggregate import Aggregate
from domain.rooms import RoomAllocation
from handlers.ports import EventToCloudEvent, OutboxEntry, PendingPublish, ProcessedRecord

A = TypeVar("A", bound=Aggregate)


def _prefix(partition_key: str, prefix: str, select: Sequence[str] | None = None) -> RowQuery:
    """The rows of one partition whose RowKey starts with ``prefix``."""
    return RowQuery(
        partition_key=partition_key,
        row_key_from=prefix,
        row_key_before=prefix_upper_bound(prefix),
        select=select,
    )


class _Partitions:
    """Reads and saves of aggregates, markers and outbox rows in one table's partitions."""

    def __init__(
        self, store: TableStore, table: str, *, context: str, to_cloudevent: EventToCloudEvent
    ) -> None:
        self.store = store
        self.table = table
        self.context = context
        self.to_cloudevent = to_cloudevent

    def read(self, cls: type[A], partition_key: str, row_key: str) -> A | None:
        row = self.store.get(self.table, partition_key, row_key, select=["State"])
        return None if row is None else aggregate_of(cls, row)

    def read_with_marker(
        self, cls: type[A], partition_key: str, marker: str
    ) -> tuple[ProcessedRecord | None, A | None]:
        """One range query from the marker's row through ``state``: in a partition of one
        aggregate only its markers lie between (adapters/layout.py)."""
        marker_key = seen_row_key(marker)
        query = RowQuery(
            partition_key=partition_key,
            row_key_from=marker_key,
            row_key_through=STATE_ROW,
            select=["RowKey", "State", "Events", "Republished"],
        )
        record: ProcessedRecord | None = None
        aggregate: A | None = None
        for row in self.store.query(self.table, query):
            if row["RowKey"] == marker_key:
                record = processed_record_of(row)
            elif row["RowKey"] == STATE_ROW:
                aggregate = aggregate_of(cls, row)
        return record, aggregate

    def processed(self, partition_key: str, marker: str) -> ProcessedRecord | None:
        row = self.store.get(
            self.table, partition_key, seen_row_key(marker), select=["Events", "Republished"]
        )
        return None if row is None else processed_record_of(row)

    def mark_republished(self, partition_key: str, marker: str) -> None:
        row = {"PartitionKey": partition_key, "RowKey": seen_row_key(marker), "Republished": True}
        self.store.merge(self.table, row)

    def save(
        self,
        *,
        partition_key: str,
        state_row_key: str,
        guard_key: str,
        aggregate: Aggregate,
        marker: str | None,
        extra: Sequence[Operation] = (),
        secret: str | None = None,
    ) -> list[OutboxEntry]:
        operations, entries = save_operations(
            context=self.context,
            partition_key=partition_key,
            state_row_key=state_row_key,
            guard_key=guard_key,
            aggregate=aggregate,
            marker=marker,
            to_cloudevent=self.to_cloudevent,
            extra=extra,
            secret=secret,
        )
        etags = self.store.submit(self.table, operations)
        committed(aggregate, etags[0])
        return entries


class TableRepository(Generic[A]):
    """``Repository[A]`` with one partition per key (reservation id or guest id).

    ``few_markers``: a partition holds few markers (a reservation's, a folio's), so a marker and
    the state are read in one range query; a guest's partition gathers a marker per stay, so
    Loyalty reads the two with point reads instead.
    """

    def __init__(
        self,
        store: TableStore,
        table: str,
        aggregate_type: type[A],
        *,
        context: str,
        to_cloudevent: EventToCloudEvent = to_cloudevent,
        few_markers: bool = True,
    ) -> None:
        self.aggregate_type = aggregate_type
        self.few_markers = few_markers
        self._partitions = _Partitions(store, table, context=context, to_cloudevent=to_cloudevent)

    def get(self, key: str) -> A | None:
        return self._partitions.read(self.aggregate_type, checked_key(key), STATE_ROW)

    def read(self, key: str, marker: str) -> tuple[ProcessedRecord | None, A | None]:
        partition_key = checked_key(key)
        if self.few_markers:
            return self._partitions.read_with_marker(self.aggregate_type, partition_key, marker)
        record = self._partitions.processed(partition_key, marker)
        if record is not None:
            return record, None
        return None, self._partitions.read(self.aggregate_type, partition_key, STATE_ROW)

    def save(
        self, key: str, aggregate: A, *, marker: str | None = None, secret: str | None = None
    ) -> list[OutboxEntry]:
        return self._partitions.save(
            partition_key=key,
            state_row_key=STATE_ROW,
            guard_key=STATE_ROW,
            aggregate=aggregate,
            marker=marker,
            secret=secret,
        )

    def processed(self, key: str, marker: str) -> ProcessedRecord | None:
        return self._partitions.processed(checked_key(key), marker)

    def mark_republished(self, key: str, marker: str) -> None:
        self._partitions.mark_republished(checked_key(key), marker)


class TableRoomInventory:
    """``RoomInventory`` on the Rooms table, one partition per ``{hotelId}|{roomType}``."""

    def __init__(
        self, store: TableStore, table: str, *, to_cloudevent: EventToCloudEvent = to_cloudevent
    ) -> None:
        self._store = store
        self._table = table
        self._partitions = _Partitions(store, table, context=ROOMS, to_cloudevent=to_cloudevent)

    def held_rooms(
        self, hotel_id: str, room_type: str, nights: Sequence[date]
    ) -> dict[date, set[str]]:
        """One row-key range query over ``night|{first}`` .. ``night|{last + 1 day}``."""
        held: dict[date, set[str]] = {night: set() for night in nights}
        if not nights:
            return held
        first, last = min(nights), max(nights)
        query = RowQuery(
            partition_key=rooms_partition(hotel_id, room_type),
            row_key_from=f"night|{first.isoformat()}|",
            row_key_before=f"night|{(last + timedelta(days=1)).isoformat()}|",
            select=["RowKey"],
        )
        for row in self._store.query(self._table, query):
            _, night_text, room = str(row["RowKey"]).split("|", 2)
            night = date.fromisoformat(night_text)
            if night in held:
                held[night].add(room)
        return held

    def get_allocation(
        self, hotel_id: str, room_type: str, reservation_id: str
    ) -> RoomAllocation | None:
        return self._partitions.read(
            RoomAllocation,
            rooms_partition(hotel_id, room_type),
            allocation_row_key(checked_key(reservation_id)),
        )

    def save(
        self,
        hotel_id: str,
        room_type: str,
        allocation: RoomAllocation,
        *,
        hold: Sequence[tuple[date, str]] = (),
        release: Sequence[tuple[date, str]] = (),
        marker: str | None = None,
    ) -> list[OutboxEntry]:
        if len(set(hold)) != len(hold) or len(set(release)) != len(release):
            raise ValueError("hold and release must not repeat a room-night")
        if set(hold) & set(release):
            raise ValueError("a room-night cannot be held and released in the same save")
        pk = rooms_partition(hotel_id, room_type)
        reservation_id = checked_key(allocation.reservation_id, "reservation id")
        extra = [
            Operation(
                "create",
                {
                    "PartitionKey": pk,
                    "RowKey": night_row_key(night, room),
                    "ReservationId": reservation_id,
                },
            )
            for night, room in hold
        ]
        extra += [
            Operation("delete", {"PartitionKey": pk, "RowKey": night_row_key(night, room)})
            for night, room in release
        ]
        return self._partitions.save(
            partition_key=pk,
            state_row_key=allocation_row_key(reservation_id),
            guard_key=reservation_id,
            aggregate=allocation,
            marker=marker,
            extra=extra,
        )

    def processed(self, hotel_id: str, room_type: str, marker: str) -> ProcessedRecord | None:
        return self._partitions.processed(rooms_partition(hotel_id, room_type), marker)

    def mark_republished(self, hotel_id: str, room_type: str, marker: str) -> None:
        self._partitions.mark_republished(rooms_partition(hotel_id, room_type), marker)


class TableOutbox:
    """``Outbox``: the pending index (partition ``outbox-pending`` of the Reservations table)
    and the outbox rows of every context's table.

    The relay's cost follows what is pending, never the history: it queries one partition whose
    rows are exactly the intents not yet settled, and per intent one row-key range (that
    commit's own outbox rows).
    """

    def __init__(
        self,
        store: TableStore,
        tables: Mapping[str, str],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._tables = dict(tables)  # context -> its table
        self._index = self._tables[RESERVATIONS]
        self._clock = clock

    def intend(
        self, *, context: str, partition_key: str, reservation_id: str, version: int
    ) -> PendingPublish:
        created_at = self._clock()
        intent = PendingPublish(
            row_key=pending_row_key(created_at, reservation_id, version, uuid.uuid4().hex[:12]),
            context=context,
            partition_key=checked_key(partition_key, "partition key"),
            reservation_id=reservation_id,
            version=version,
            created_at=created_at,
        )
        if not self._store.insert(self._index, intent_row(PENDING_PARTITION, intent)):
            raise RuntimeError(f"pending intent {intent.row_key} exists already")
        return intent

    def pending(
        self, *, created_before: datetime, after: str = "", limit: int
    ) -> list[PendingPublish]:
        query = RowQuery(
            partition_key=PENDING_PARTITION,
            row_key_after=after,
            row_key_before=pending_cutoff(created_before),
            page_size=limit,
        )
        intents: list[PendingPublish] = []
        for row in self._store.query(self._index, query):  # ascending RowKey: oldest first
            intents.append(intent_of(row))
            if len(intents) >= limit:
                break
        return intents

    def committed_events(self, intent: PendingPublish) -> list[dict[str, Any]] | None:
        prefix = commit_events_prefix(intent.reservation_id, intent.version)
        query = _prefix(intent.partition_key, prefix, OUTBOX_SELECT)
        rows = list(self._store.query(self._tables[intent.context], query))
        if not rows:
            return None
        return [entry.cloudevent for entry in oldest_first([outbox_entry_of(r) for r in rows])]

    def settle(self, intent: PendingPublish) -> None:
        self._store.delete(self._index, PENDING_PARTITION, intent.row_key)

    def stream(
        self, reservation_id: str, *, hotel_id: str, room_type: str, guest_id: str
    ) -> list[dict[str, Any]]:
        """One row-key range query per context, merged oldest first."""
        prefix = reservation_events_prefix(checked_key(reservation_id, "reservation id"))
        partitions = {
            "reservations": reservation_id,
            "billing": reservation_id,
            ROOMS: rooms_partition(hotel_id, room_type),
            "loyalty": checked_key(guest_id, "guest id"),
        }
        rows: list[tuple[datetime, OutboxEntry]] = []
        for context, table in self._tables.items():
            partition_key = partitions.get(context)
            if partition_key is None:
                continue
            query = _prefix(partition_key, prefix, OUTBOX_SELECT)
            rows += [outbox_entry_of(row) for row in self._store.query(table, query)]
        return [entry.cloudevent for entry in oldest_first(rows)]
