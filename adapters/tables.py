"""Azure Table storage adapters of the ports (handlers/ports.py).

Every ``save`` is ONE entity-group transaction (``submit_transaction``: <= 100 operations, one
partition) holding:

1. the aggregate's state: a create (new aggregate, etag None) or an update with If-Match;
2. the version guard: create ``ver|{key}|{new version}`` and delete ``ver|{key}|{old version}``;
3. a create per recorded event (outbox row ``evt|{reservationId}|{new version}|{i}``);
4. a create for the processed-event marker ``seen|{eventId}`` when given;
5. (Rooms) creates for held room-nights, deletes for released ones.

If-Match alone would be enough in Azure. The guard rows make the version check independent of
it, because Azurite ignores If-Match on batch updates (Azurite #1233): two writers racing from
the same version both create the same guard row, so one transaction fails on insert wherever it
runs. Every conflict (entity exists, 412, 404 on a delete) becomes ``ConcurrencyError``.

The layout is in adapters/layout.py. Each SDK call (each page of a query) counts one storage
round trip on the ``StorageTransactionCounter``.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, Generic, TypeVar

from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import TableClient, TableEntity, TableTransactionError, UpdateMode

from adapters.cloudevents import to_cloudevent
from adapters.layout import (
    IDEMPOTENCY_ROW,
    PENDING_PARTITION,
    RESERVATIONS,
    ROOMS,
    STATE_ROW,
    allocation_row_key,
    checked_key,
    commit_events_prefix,
    guard_row_key,
    idempotency_partition,
    night_row_key,
    outbox_row_key,
    pending_cutoff,
    pending_row_key,
    prefix_upper_bound,
    reservation_events_prefix,
    reservation_id_of_ref,
    rooms_partition,
    seen_row_key,
    vault_ref,
)
from adapters.limits import check_transaction_size, string_property
from domain.aggregate import Aggregate
from domain.catalog import Hotel, RoomType
from domain.errors import ConcurrencyError
from domain.rooms import RoomAllocation
from handlers.ports import EventToCloudEvent, OutboxEntry, PendingPublish, ProcessedRecord

A = TypeVar("A", bound=Aggregate)

_CONFLICT_CODES: Final = frozenset(
    {
        "EntityAlreadyExists",
        "UpdateConditionNotSatisfied",
        "ResourceNotFound",
        "EntityNotFound",
        "ConditionNotMet",
    }
)
_CONFLICT_STATUSES: Final = frozenset({404, 409, 412})

Operation = tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], dict[str, Any]]


class StorageTransactionCounter:
    """Counts storage round trips (one per SDK call, one per page of a query) and the entities
    those calls returned. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._rows = 0

    def add(self, n: int = 1) -> None:
        with self._lock:
            self._count += n

    def add_rows(self, n: int) -> None:
        with self._lock:
            self._rows += n

    @property
    def count(self) -> int:
        with self._lock:
            return self._count

    @property
    def rows_read(self) -> int:
        with self._lock:
            return self._rows

    def reset(self) -> int:
        """Zero the counter; returns the count it had."""
        with self._lock:
            count, self._count = self._count, 0
            return count


def _is_conflict(error: HttpResponseError) -> bool:
    error_code = getattr(error, "error_code", None)
    code = str(error_code) if error_code is not None else ""
    if code in ("TableNotFound", "TableBeingDeleted"):
        return False  # misconfiguration, not a race: retrying would never succeed
    return code in _CONFLICT_CODES or error.status_code in _CONFLICT_STATUSES


def _query(
    table: TableClient,
    counter: StorageTransactionCounter,
    query_filter: str,
    parameters: dict[str, Any] | None = None,
    select: list[str] | None = None,
    top: int | None = None,
) -> Iterator[TableEntity]:
    """All entities matching, counting one round trip per page (of at most ``top`` rows)."""
    pages = table.query_entities(
        query_filter, parameters=parameters, select=select, results_per_page=top
    ).by_page()
    for page in pages:  # each page is one request; the end of paging is not
        counter.add()
        rows = list(page)
        counter.add_rows(len(rows))
        yield from rows


def _partition_range_filter() -> str:
    return "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi"


def _range_parameters(partition_key: str, prefix: str) -> dict[str, Any]:
    return {"pk": partition_key, "lo": prefix, "hi": prefix_upper_bound(prefix)}


class _PartitionWriter:
    """The atomic save shared by every repository: state + guard + outbox + marker (+ extras)."""

    def __init__(
        self,
        table: TableClient,
        *,
        context: str,
        counter: StorageTransactionCounter,
        to_cloudevent: EventToCloudEvent,
    ) -> None:
        self.table = table
        self.context = context
        self.counter = counter
        self.to_cloudevent = to_cloudevent

    def read(self, cls: type[A], partition_key: str, row_key: str) -> A | None:
        self.counter.add()
        try:
            entity = self.table.get_entity(partition_key, row_key, select=["State"])
        except ResourceNotFoundError:
            return None
        self.counter.add_rows(1)
        aggregate = cls.model_validate_json(entity["State"])
        aggregate.etag = entity.metadata["etag"]
        return aggregate

    def processed(self, partition_key: str, marker: str) -> ProcessedRecord | None:
        self.counter.add()
        try:
            entity = self.table.get_entity(
                partition_key, seen_row_key(marker), select=["Events", "Republished"]
            )
        except ResourceNotFoundError:
            return None
        self.counter.add_rows(1)
        events = json.loads(entity.get("Events") or "[]")
        return ProcessedRecord(tuple(events), bool(entity.get("Republished", False)))

    def mark_republished(self, partition_key: str, marker: str) -> None:
        self.counter.add()
        with contextlib.suppress(ResourceNotFoundError):
            self.table.update_entity(
                {
                    "PartitionKey": partition_key,
                    "RowKey": seen_row_key(marker),
                    "Republished": True,
                },
                mode=UpdateMode.MERGE,
            )

    def save(
        self,
        *,
        partition_key: str,
        state_row_key: str,
        guard_key: str,
        aggregate: Aggregate,
        marker: str | None,
        extra: Sequence[Operation] = (),
    ) -> list[OutboxEntry]:
        pk = checked_key(partition_key, "partition key")
        old_version = aggregate.version
        version = old_version + 1
        state: dict[str, Any] = {
            "PartitionKey": pk,
            "RowKey": state_row_key,
            "State": string_property(
                aggregate.model_copy(update={"version": version}).model_dump_json(by_alias=True),
                "State",
            ),
            "Version": version,
        }
        operations: list[Operation] = []
        if aggregate.etag is None:
            operations.append(("create", state))
        else:
            operations.append(
                (
                    "update",
                    state,
                    {
                        "mode": UpdateMode.REPLACE,
                        "etag": aggregate.etag,
                        "match_condition": MatchConditions.IfNotModified,
                    },
                )
            )
            guard = {"PartitionKey": pk, "RowKey": guard_row_key(guard_key, old_version)}
            operations.append(("delete", guard))
        operations.append(
            ("create", {"PartitionKey": pk, "RowKey": guard_row_key(guard_key, version)})
        )
        entries: list[OutboxEntry] = []
        for index, event in enumerate(aggregate.pending_events):
            cloudevent = self.to_cloudevent(event, context=self.context)
            row_key = outbox_row_key(checked_key(event.reservation_id), version, index)
            operations.append(
                (
                    "create",
                    {
                        "PartitionKey": pk,
                        "RowKey": row_key,
                        "CloudEvent": string_property(
                            json.dumps(cloudevent, separators=(",", ":")), "CloudEvent"
                        ),
                        "Context": self.context,
                        "EventType": cloudevent.get("type", ""),
                        "OccurredAt": event.occurred_at.astimezone(UTC),
                    },
                )
            )
            entries.append(OutboxEntry(self.context, pk, row_key, cloudevent))
        if marker is not None:
            recorded = json.dumps([entry.cloudevent for entry in entries], separators=(",", ":"))
            operations.append(
                (
                    "create",
                    {
                        "PartitionKey": pk,
                        "RowKey": seen_row_key(marker),
                        "Events": string_property(recorded, "Events"),
                        "Republished": False,
                    },
                )
            )
        operations.extend(extra)
        check_transaction_size(len(operations))
        self.counter.add()
        try:
            results = self.table.submit_transaction(operations)
        except (TableTransactionError, ResourceExistsError, ResourceModifiedError) as exc:
            if _is_conflict(exc):
                raise ConcurrencyError(f"{self.context} {pk}: {exc.message}") from exc
            raise
        except ResourceNotFoundError as exc:
            raise ConcurrencyError(f"{self.context} {pk}: {exc.message}") from exc
        aggregate.version = version
        aggregate.etag = str(results[0]["etag"])
        aggregate.clear_events()
        return entries


class TableRepository(Generic[A]):
    """``Repository[A]`` with one partition per key (reservation id or guest id)."""

    def __init__(
        self,
        table: TableClient,
        aggregate_type: type[A],
        *,
        context: str,
        counter: StorageTransactionCounter,
        to_cloudevent: EventToCloudEvent = to_cloudevent,
    ) -> None:
        self.aggregate_type = aggregate_type
        self._writer = _PartitionWriter(
            table, context=context, counter=counter, to_cloudevent=to_cloudevent
        )

    def get(self, key: str) -> A | None:
        return self._writer.read(self.aggregate_type, checked_key(key), STATE_ROW)

    def save(self, key: str, aggregate: A, *, marker: str | None = None) -> list[OutboxEntry]:
        return self._writer.save(
            partition_key=key,
            state_row_key=STATE_ROW,
            guard_key=STATE_ROW,
            aggregate=aggregate,
            marker=marker,
        )

    def processed(self, key: str, marker: str) -> ProcessedRecord | None:
        return self._writer.processed(checked_key(key), marker)

    def mark_republished(self, key: str, marker: str) -> None:
        self._writer.mark_republished(checked_key(key), marker)


class TableRoomInventory:
    """``RoomInventory`` on the Rooms table, one partition per ``{hotelId}|{roomType}``."""

    def __init__(
        self,
        table: TableClient,
        *,
        counter: StorageTransactionCounter,
        to_cloudevent: EventToCloudEvent = to_cloudevent,
    ) -> None:
        self._table = table
        self._counter = counter
        self._writer = _PartitionWriter(
            table, context=ROOMS, counter=counter, to_cloudevent=to_cloudevent
        )

    def held_rooms(
        self, hotel_id: str, room_type: str, nights: Sequence[date]
    ) -> dict[date, set[str]]:
        """One row-key range query over ``night|{first}`` .. ``night|{last + 1 day}``."""
        held: dict[date, set[str]] = {night: set() for night in nights}
        if not nights:
            return held
        first, last = min(nights), max(nights)
        entities = _query(
            self._table,
            self._counter,
            _partition_range_filter(),
            {
                "pk": rooms_partition(hotel_id, room_type),
                "lo": f"night|{first.isoformat()}|",
                "hi": f"night|{(last + timedelta(days=1)).isoformat()}|",
            },
            select=["RowKey"],
        )
        for entity in entities:
            _, night_text, room = str(entity["RowKey"]).split("|", 2)
            night = date.fromisoformat(night_text)
            if night in held:
                held[night].add(room)
        return held

    def get_allocation(
        self, hotel_id: str, room_type: str, reservation_id: str
    ) -> RoomAllocation | None:
        return self._writer.read(
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
        extra: list[Operation] = [
            (
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
            ("delete", {"PartitionKey": pk, "RowKey": night_row_key(night, room)})
            for night, room in release
        ]
        return self._writer.save(
            partition_key=pk,
            state_row_key=allocation_row_key(reservation_id),
            guard_key=reservation_id,
            aggregate=allocation,
            marker=marker,
            extra=extra,
        )

    def processed(self, hotel_id: str, room_type: str, marker: str) -> ProcessedRecord | None:
        return self._writer.processed(rooms_partition(hotel_id, room_type), marker)

    def mark_republished(self, hotel_id: str, room_type: str, marker: str) -> None:
        self._writer.mark_republished(rooms_partition(hotel_id, room_type), marker)


def _entry_of(entity: TableEntity) -> tuple[datetime, OutboxEntry]:
    occurred_at = entity["OccurredAt"]
    if not isinstance(occurred_at, datetime):
        occurred_at = datetime.fromisoformat(str(occurred_at))
    entry = OutboxEntry(
        context=str(entity["Context"]),
        partition_key=str(entity["PartitionKey"]),
        row_key=str(entity["RowKey"]),
        cloudevent=json.loads(entity["CloudEvent"]),
    )
    return occurred_at, entry


def _oldest_first(rows: Iterable[tuple[datetime, OutboxEntry]]) -> list[OutboxEntry]:
    ordered = sorted(
        rows, key=lambda row: (row[0], row[1].context, row[1].partition_key, row[1].row_key)
    )
    return [entry for _, entry in ordered]


_OUTBOX_SELECT: Final = [
    "PartitionKey",
    "RowKey",
    "CloudEvent",
    "Context",
    "OccurredAt",
]


def _intent_of(entity: TableEntity) -> PendingPublish:
    created_at = entity["CreatedAt"]
    if not isinstance(created_at, datetime):
        created_at = datetime.fromisoformat(str(created_at))
    return PendingPublish(
        row_key=str(entity["RowKey"]),
        context=str(entity["Context"]),
        partition_key=str(entity["TargetPartition"]),
        reservation_id=str(entity["ReservationId"]),
        version=int(entity["Version"]),
        created_at=created_at,
    )


class TableOutbox:
    """``Outbox``: the pending index (partition ``outbox-pending`` of the Reservations table)
    and the outbox rows of every context's table.

    The relay's cost follows what is pending, never the history: it queries one partition whose
    rows are exactly the intents not yet settled, and per intent one row-key range (that
    commit's own outbox rows).
    """

    def __init__(
        self,
        tables: Mapping[str, TableClient],
        *,
        counter: StorageTransactionCounter,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._tables = dict(tables)  # context -> its table
        self._index = self._tables[RESERVATIONS]
        self._counter = counter
        self._clock = clock

    def intend(
        self, *, context: str, partition_key: str, reservation_id: str, version: int
    ) -> PendingPublish:
        created_at = self._clock()
        intent = PendingPublish(
            row_key=pending_row_key(created_at, reservation_id, version),
            context=context,
            partition_key=checked_key(partition_key, "partition key"),
            reservation_id=reservation_id,
            version=version,
            created_at=created_at,
        )
        self._counter.add()
        with contextlib.suppress(ResourceExistsError):  # an earlier try stored it
            self._index.create_entity(
                {
                    "PartitionKey": PENDING_PARTITION,
                    "RowKey": intent.row_key,
                    "Context": context,
                    "TargetPartition": intent.partition_key,
                    "ReservationId": reservation_id,
                    "Version": version,
                    "CreatedAt": created_at.astimezone(UTC),
                }
            )
        return intent

    def pending(
        self, *, created_before: datetime, after: str = "", limit: int
    ) -> list[PendingPublish]:
        entities = _query(
            self._index,
            self._counter,
            "PartitionKey eq @pk and RowKey gt @lo and RowKey lt @hi",
            {"pk": PENDING_PARTITION, "lo": after, "hi": pending_cutoff(created_before)},
            top=limit,
        )
        intents: list[PendingPublish] = []
        for entity in entities:  # ascending RowKey: oldest first
            intents.append(_intent_of(entity))
            if len(intents) >= limit:
                break
        return intents

    def committed_events(self, intent: PendingPublish) -> list[dict[str, Any]] | None:
        table = self._tables[intent.context]
        prefix = commit_events_prefix(intent.reservation_id, intent.version)
        rows = list(
            _query(
                table,
                self._counter,
                _partition_range_filter(),
                _range_parameters(intent.partition_key, prefix),
                select=_OUTBOX_SELECT,
            )
        )
        if not rows:
            return None
        return [entry.cloudevent for entry in _oldest_first(_entry_of(row) for row in rows)]

    def settle(self, intent: PendingPublish) -> None:
        self._counter.add()
        with contextlib.suppress(ResourceNotFoundError):
            self._index.delete_entity(PENDING_PARTITION, intent.row_key)

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
            rows += [
                _entry_of(entity)
                for entity in _query(
                    table,
                    self._counter,
                    _partition_range_filter(),
                    _range_parameters(partition_key, prefix),
                    select=_OUTBOX_SELECT,
                )
            ]
        return [entry.cloudevent for entry in _oldest_first(rows)]


# --- catalog -------------------------------------------------------------------------------------

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
        table: TableClient,
        *,
        counter: StorageTransactionCounter,
        refresh_after: timedelta = timedelta(seconds=30),
    ) -> None:
        self._table = table
        self._counter = counter
        self._refresh_after = refresh_after
        self._lock = threading.Lock()
        self._cache: dict[str, Hotel] | None = None
        self._read_at: datetime | None = None

    def _read(self) -> dict[str, Hotel]:
        """Read the table (lock held); cache the result unless it is empty."""
        entities = _query(
            self._table,
            self._counter,
            "RowKey eq @rk",
            {"rk": CATALOG_ROW},
            select=["Hotel"],
        )
        hotels = (hotel_from_json(str(entity["Hotel"])) for entity in entities)
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
            self._counter.add()
            self._table.upsert_entity(
                {
                    "PartitionKey": checked_key(hotel.hotel_id, "hotel id"),
                    "RowKey": CATALOG_ROW,
                    "Hotel": string_property(hotel_to_json(hotel), "Hotel"),
                },
                mode=UpdateMode.REPLACE,
            )
        with self._lock:
            self._cache = None


# --- payment-method vault ------------------------------------------------------------------------

VAULT_ROW: Final = "token"


class TablePaymentMethodVault:
    """``PaymentMethodVault`` on the PaymentMethods table (PK = reservation id).

    Sandbox tokens only: a production vault is the payment provider's tokenization (or Key
    Vault); the table just keeps tokens out of events and logs.
    """

    def __init__(self, table: TableClient, *, counter: StorageTransactionCounter) -> None:
        self._table = table
        self._counter = counter

    def store(self, reservation_id: str, token: str) -> str:
        """Insert; if the reservation has a token already, the first one stays (idempotent)."""
        ref = vault_ref(reservation_id)
        self._counter.add()
        with contextlib.suppress(ResourceExistsError):
            self._table.create_entity(
                {"PartitionKey": reservation_id, "RowKey": VAULT_ROW, "Token": token}
            )
        return ref

    def resolve(self, ref: str) -> str | None:
        reservation_id = reservation_id_of_ref(ref)
        if reservation_id is None:
            return None
        try:
            checked_key(reservation_id)
        except ValueError:
            return None
        self._counter.add()
        try:
            entity = self._table.get_entity(reservation_id, VAULT_ROW, select=["Token"])
        except ResourceNotFoundError:
            return None
        return str(entity["Token"])


# --- idempotency keys ----------------------------------------------------------------------------


class TableIdempotencyKeys:
    """``IdempotencyKeys`` in the Reservations table: partition ``idem|{sha256(key)}``.

    Inserting the record is the lock: of two concurrent requests with one key, one inserts and
    the other reads the winner's record.
    """

    def __init__(self, table: TableClient, *, counter: StorageTransactionCounter) -> None:
        self._table = table
        self._counter = counter

    def claim(self, key: str, *, reservation_id: str, fingerprint: str) -> tuple[str, str]:
        partition = idempotency_partition(key)
        self._counter.add()
        try:
            self._table.create_entity(
                {
                    "PartitionKey": partition,
                    "RowKey": IDEMPOTENCY_ROW,
                    "ReservationId": reservation_id,
                    "Fingerprint": fingerprint,
                }
            )
            return reservation_id, fingerprint
        except ResourceExistsError:
            pass
        self._counter.add()
        entity = self._table.get_entity(
            partition, IDEMPOTENCY_ROW, select=["ReservationId", "Fingerprint"]
        )
        self._counter.add_rows(1)
        return str(entity["ReservationId"]), str(entity["Fingerprint"])
