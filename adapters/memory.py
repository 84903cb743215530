"""In-memory fakes of every port, with the semantics of the Table adapters (adapters/tables.py).

Same keys, same checks, same errors: a save is all-or-nothing, a stale etag or an event processed
before raises ConcurrencyError, a room-night can be held once, the outbox keeps rows per context
and partition. Thread-safe (one lock per store), so concurrency tests mean something here too.
Used by unit tests and by anyone running the app without Azure (``build_memory_ports``).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

from adapters.cloudevents import to_cloudevent
from adapters.layout import (
    BILLING,
    LOYALTY,
    RESERVATIONS,
    ROOMS,
    checked_key,
    commit_events_prefix,
    idempotency_partition,
    outbox_row_key,
    pending_cutoff,
    pending_row_key,
    reservation_events_prefix,
    reservation_id_of_ref,
    rooms_partition,
    seen_row_key,
    vault_ref,
)
from adapters.limits import check_transaction_size, string_property
from adapters.payments import SandboxPaymentGateway
from domain.aggregate import Aggregate
from domain.billing import Folio
from domain.catalog import DEMO_CATALOG, Hotel
from domain.errors import ConcurrencyError
from domain.loyalty import LoyaltyAccount
from domain.reservation import Reservation
from domain.rooms import RoomAllocation
from handlers.ports import EventToCloudEvent, OutboxEntry, PendingPublish, Ports, ProcessedRecord

__all__ = [
    "BILLING",
    "LOYALTY",
    "RESERVATIONS",
    "ROOMS",
    "InMemoryCatalog",
    "InMemoryIdempotencyKeys",
    "InMemoryOutbox",
    "InMemoryPaymentMethodVault",
    "InMemoryPublisher",
    "InMemoryRepository",
    "InMemoryRoomInventory",
    "PublishFailedError",
    "SandboxPaymentGateway",
    "build_memory_ports",
    "outbox_row_key",
]

A = TypeVar("A", bound=Aggregate)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_etag() -> str:
    return f'W/"{uuid.uuid4().hex}"'


def _dump_state(aggregate: Aggregate, version: int) -> str:
    return aggregate.model_copy(update={"version": version}).model_dump_json(by_alias=True)


def _load_state(cls: type[A], state: str, etag: str) -> A:
    aggregate = cls.model_validate_json(state)
    aggregate.etag = etag
    return aggregate


@dataclass
class _Stored:
    state: str
    version: int
    etag: str


@dataclass
class _Marker:
    events: tuple[dict[str, Any], ...]
    republished: bool = False

    def record(self) -> ProcessedRecord:
        return ProcessedRecord(self.events, self.republished)


@dataclass
class _Row:
    entry: OutboxEntry
    occurred_at: datetime
    sequence: int


class InMemoryOutbox:
    """``Outbox`` over the rows every in-memory store appends (shared by ``build_memory_ports``)
    and a pending index of intents, like the Table adapter's ``outbox-pending`` partition."""

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self._lock = threading.Lock()
        self._rows: dict[tuple[str, str, str], _Row] = {}
        self._intents: dict[str, PendingPublish] = {}
        self._sequence = 0
        self._clock = clock

    # --- used by the stores, inside their own lock (store lock -> outbox lock, never reversed) --

    def _has(self, context: str, partition_key: str, row_key: str) -> bool:
        with self._lock:
            return (context, partition_key, row_key) in self._rows

    def _append(self, entries: Iterable[tuple[OutboxEntry, datetime]]) -> None:
        with self._lock:
            for entry, occurred_at in entries:
                self._sequence += 1
                key = (entry.context, entry.partition_key, entry.row_key)
                self._rows[key] = _Row(entry, occurred_at, self._sequence)

    # --- the port --------------------------------------------------------------------------------

    def intend(
        self, *, context: str, partition_key: str, reservation_id: str, version: int
    ) -> PendingPublish:
        created_at = self._clock()
        intent = PendingPublish(
            row_key=pending_row_key(created_at, reservation_id, version),
            context=context,
            partition_key=partition_key,
            reservation_id=reservation_id,
            version=version,
            created_at=created_at,
        )
        with self._lock:
            self._intents.setdefault(intent.row_key, intent)
        return intent

    def pending(
        self, *, created_before: datetime, after: str = "", limit: int
    ) -> list[PendingPublish]:
        cutoff = pending_cutoff(created_before)
        with self._lock:
            keys = sorted(key for key in self._intents if after < key < cutoff)[:limit]
            return [self._intents[key] for key in keys]

    def committed_events(self, intent: PendingPublish) -> list[dict[str, Any]] | None:
        prefix = commit_events_prefix(intent.reservation_id, intent.version)
        with self._lock:
            rows = [
                row
                for (context, pk, rk), row in self._rows.items()
                if context == intent.context
                and pk == intent.partition_key
                and rk.startswith(prefix)
            ]
        if not rows:
            return None
        rows.sort(key=lambda row: row.entry.row_key)
        return [row.entry.cloudevent for row in rows]

    def settle(self, intent: PendingPublish) -> None:
        with self._lock:
            self._intents.pop(intent.row_key, None)

    def stream(
        self, reservation_id: str, *, hotel_id: str, room_type: str, guest_id: str
    ) -> list[dict[str, Any]]:
        prefix = reservation_events_prefix(reservation_id)
        wanted = {
            (RESERVATIONS, reservation_id),
            (BILLING, reservation_id),
            (ROOMS, rooms_partition(hotel_id, room_type)),
            (LOYALTY, guest_id),
        }
        with self._lock:
            rows = [
                row
                for (context, pk, rk), row in self._rows.items()
                if (context, pk) in wanted and rk.startswith(prefix)
            ]
        rows.sort(key=lambda row: (row.occurred_at, row.sequence))
        return [row.entry.cloudevent for row in rows]


def _outbox_entries(
    aggregate: Aggregate,
    *,
    context: str,
    partition_key: str,
    version: int,
    to_ce: EventToCloudEvent,
) -> list[tuple[OutboxEntry, datetime]]:
    entries = [
        (
            OutboxEntry(
                context=context,
                partition_key=partition_key,
                row_key=outbox_row_key(event.reservation_id, version, index),
                cloudevent=to_ce(event, context=context),
            ),
            event.occurred_at,
        )
        for index, event in enumerate(aggregate.pending_events)
    ]
    for entry, _ in entries:
        string_property(json.dumps(entry.cloudevent, separators=(",", ":")), "CloudEvent")
    return entries


def _marker_of(entries: Sequence[tuple[OutboxEntry, datetime]]) -> _Marker:
    events = tuple(entry.cloudevent for entry, _ in entries)
    string_property(json.dumps(list(events), separators=(",", ":")), "Events")
    return _Marker(events)


def _operations(aggregate: Aggregate, events: int, marker: str | None, extra: int = 0) -> int:
    """How many operations the Table adapter's transaction for this save would hold."""
    guard = 1 if aggregate.etag is None else 2
    return 1 + guard + events + (1 if marker is not None else 0) + extra


def _check_etag(current: _Stored | None, aggregate: Aggregate) -> None:
    if aggregate.etag is None:
        if current is not None:
            raise ConcurrencyError("the aggregate was created by someone else meanwhile")
    elif current is None or current.etag != aggregate.etag:
        raise ConcurrencyError("the aggregate changed since it was loaded")


def _commit(aggregate: Aggregate, version: int, etag: str) -> None:
    aggregate.version = version
    aggregate.etag = etag
    aggregate.clear_events()


class InMemoryRepository(Generic[A]):
    """``Repository[A]``: one partition per key, holding state, outbox rows and markers."""

    def __init__(
        self,
        aggregate_type: type[A],
        *,
        context: str,
        outbox: InMemoryOutbox,
        to_cloudevent: EventToCloudEvent = to_cloudevent,
    ) -> None:
        self.aggregate_type = aggregate_type
        self.context = context
        self._outbox = outbox
        self._to_cloudevent = to_cloudevent
        self._lock = threading.Lock()
        self._states: dict[str, _Stored] = {}
        self._markers: dict[tuple[str, str], _Marker] = {}

    def get(self, key: str) -> A | None:
        with self._lock:
            stored = self._states.get(checked_key(key))
        if stored is None:
            return None
        return _load_state(self.aggregate_type, stored.state, stored.etag)

    def save(self, key: str, aggregate: A, *, marker: str | None = None) -> list[OutboxEntry]:
        checked_key(key, "partition key")
        if marker is not None:
            seen_row_key(marker)  # the same key rules as the Table adapter
        version = aggregate.version + 1
        entries = _outbox_entries(
            aggregate,
            context=self.context,
            partition_key=key,
            version=version,
            to_ce=self._to_cloudevent,
        )
        check_transaction_size(_operations(aggregate, len(entries), marker))
        state = string_property(_dump_state(aggregate, version), "State")
        record = _marker_of(entries)
        with self._lock:
            _check_etag(self._states.get(key), aggregate)
            if marker is not None and (key, marker) in self._markers:
                raise ConcurrencyError(f"{marker} was already processed")
            for entry, _ in entries:
                if self._outbox._has(self.context, key, entry.row_key):
                    raise ConcurrencyError(f"outbox row {entry.row_key} exists already")
            etag = _new_etag()
            self._states[key] = _Stored(state, version, etag)
            if marker is not None:
                self._markers[(key, marker)] = record
            self._outbox._append(entries)
        _commit(aggregate, version, etag)
        return [entry for entry, _ in entries]

    def processed(self, key: str, marker: str) -> ProcessedRecord | None:
        with self._lock:
            found = self._markers.get((key, marker))
            return None if found is None else found.record()

    def mark_republished(self, key: str, marker: str) -> None:
        with self._lock:
            found = self._markers.get((key, marker))
            if found is not None:
                found.republished = True


def _check_nights(hold: Sequence[tuple[date, str]], release: Sequence[tuple[date, str]]) -> None:
    """A programming error, not a race: one Table transaction cannot touch an entity twice."""
    if len(set(hold)) != len(hold) or len(set(release)) != len(release):
        raise ValueError("hold and release must not repeat a room-night")
    if set(hold) & set(release):
        raise ValueError("a room-night cannot be held and released in the same save")


@dataclass
class _RoomPartition:
    nights: dict[tuple[date, str], str] = field(default_factory=dict)  # -> reservation id
    allocations: dict[str, _Stored] = field(default_factory=dict)
    markers: dict[str, _Marker] = field(default_factory=dict)


class InMemoryRoomInventory:
    """``RoomInventory``: one partition per hotel and room type; a held night is a unique key."""

    def __init__(
        self, *, outbox: InMemoryOutbox, to_cloudevent: EventToCloudEvent = to_cloudevent
    ) -> None:
        self._outbox = outbox
        self._to_cloudevent = to_cloudevent
        self._lock = threading.Lock()
        self._partitions: dict[str, _RoomPartition] = {}

    def _partition(self, hotel_id: str, room_type: str) -> _RoomPartition:
        return self._partitions.setdefault(rooms_partition(hotel_id, room_type), _RoomPartition())

    def held_rooms(
        self, hotel_id: str, room_type: str, nights: Sequence[date]
    ) -> dict[date, set[str]]:
        held: dict[date, set[str]] = {night: set() for night in nights}
        with self._lock:
            partition = self._partition(hotel_id, room_type)
            for night, room in partition.nights:
                if night in held:
                    held[night].add(room)
        return held

    def get_allocation(
        self, hotel_id: str, room_type: str, reservation_id: str
    ) -> RoomAllocation | None:
        with self._lock:
            stored = self._partition(hotel_id, room_type).allocations.get(reservation_id)
        if stored is None:
            return None
        return _load_state(RoomAllocation, stored.state, stored.etag)

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
        pk = rooms_partition(hotel_id, room_type)
        reservation_id = checked_key(allocation.reservation_id, "reservation id")
        if marker is not None:
            seen_row_key(marker)
        version = allocation.version + 1
        entries = _outbox_entries(
            allocation, context=ROOMS, partition_key=pk, version=version, to_ce=self._to_cloudevent
        )
        _check_nights(hold, release)
        check_transaction_size(
            _operations(allocation, len(entries), marker, len(hold) + len(release))
        )
        state = string_property(_dump_state(allocation, version), "State")
        record = _marker_of(entries)
        with self._lock:
            partition = self._partition(hotel_id, room_type)
            _check_etag(partition.allocations.get(reservation_id), allocation)
            if marker is not None and marker in partition.markers:
                raise ConcurrencyError(f"{marker} was already processed")
            for night in release:
                if night not in partition.nights:
                    raise ConcurrencyError(f"room-night {night} is not held")
            for night in hold:
                if night in partition.nights:
                    raise ConcurrencyError(f"room-night {night} is held already")
            for entry, _ in entries:
                if self._outbox._has(ROOMS, pk, entry.row_key):
                    raise ConcurrencyError(f"outbox row {entry.row_key} exists already")
            etag = _new_etag()
            partition.allocations[reservation_id] = _Stored(state, version, etag)
            for night in release:
                del partition.nights[night]
            for night in hold:
                partition.nights[night] = reservation_id
            if marker is not None:
                partition.markers[marker] = record
            self._outbox._append(entries)
        _commit(allocation, version, etag)
        return [entry for entry, _ in entries]

    def processed(self, hotel_id: str, room_type: str, marker: str) -> ProcessedRecord | None:
        with self._lock:
            found = self._partition(hotel_id, room_type).markers.get(marker)
            return None if found is None else found.record()

    def mark_republished(self, hotel_id: str, room_type: str, marker: str) -> None:
        with self._lock:
            found = self._partition(hotel_id, room_type).markers.get(marker)
            if found is not None:
                found.republished = True


class PublishFailedError(ConnectionError):
    """The (fake) topic refused the publish."""


class InMemoryPublisher:
    """``EventPublisher`` that records what it published; ``fail_next(n)`` makes it fail."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.published: list[dict[str, Any]] = []
        self._failures_left = 0
        self.always_fail = False

    def fail_next(self, times: int = 1) -> None:
        with self._lock:
            self._failures_left += times

    def publish(self, cloudevents: Sequence[dict[str, Any]]) -> None:
        with self._lock:
            if self.always_fail or self._failures_left > 0:
                self._failures_left = max(0, self._failures_left - 1)
                raise PublishFailedError("publish failed (simulated)")
            self.published.extend(cloudevents)

    @property
    def published_types(self) -> list[str]:
        with self._lock:
            return [str(ce["type"]) for ce in self.published]


class InMemoryCatalog:
    """``Catalog`` over a fixed list of hotels."""

    def __init__(self, hotels: Iterable[Hotel] = ()) -> None:
        self._hotels: dict[str, Hotel] = {hotel.hotel_id: hotel for hotel in hotels}

    def hotels(self) -> list[Hotel]:
        return list(self._hotels.values())

    def get(self, hotel_id: str) -> Hotel | None:
        return self._hotels.get(hotel_id)


class InMemoryIdempotencyKeys:
    """``IdempotencyKeys``: the first record for a key stands."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, tuple[str, str]] = {}

    def claim(self, key: str, *, reservation_id: str, fingerprint: str) -> tuple[str, str]:
        with self._lock:
            return self._records.setdefault(
                idempotency_partition(key), (reservation_id, fingerprint)
            )


class InMemoryPaymentMethodVault:
    """``PaymentMethodVault``: the first token stored for a reservation wins (idempotent)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}

    def store(self, reservation_id: str, token: str) -> str:
        with self._lock:
            self._tokens.setdefault(reservation_id, token)
        return vault_ref(reservation_id)

    def resolve(self, ref: str) -> str | None:
        reservation_id = reservation_id_of_ref(ref)
        if reservation_id is None:
            return None
        with self._lock:
            return self._tokens.get(reservation_id)


def build_memory_ports(
    clock: Callable[[], datetime] = _utc_now,
    *,
    hotels: Iterable[Hotel] | None = None,
    to_cloudevent: EventToCloudEvent = to_cloudevent,
) -> Ports:
    """Every port, in memory, sharing one outbox; the catalog defaults to the demo catalog."""
    outbox = InMemoryOutbox(clock)
    return Ports(
        reservations=InMemoryRepository(
            Reservation, context=RESERVATIONS, outbox=outbox, to_cloudevent=to_cloudevent
        ),
        folios=InMemoryRepository(
            Folio, context=BILLING, outbox=outbox, to_cloudevent=to_cloudevent
        ),
        loyalty=InMemoryRepository(
            LoyaltyAccount, context=LOYALTY, outbox=outbox, to_cloudevent=to_cloudevent
        ),
        inventory=InMemoryRoomInventory(outbox=outbox, to_cloudevent=to_cloudevent),
        outbox=outbox,
        publisher=InMemoryPublisher(),
        catalog=InMemoryCatalog(DEMO_CATALOG if hotels is None else hotels),
        vault=InMemoryPaymentMethodVault(),
        idempotency=InMemoryIdempotencyKeys(),
        gateway=SandboxPaymentGateway(),
        clock=clock,
    )
