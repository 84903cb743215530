"""Ports: what the application layer needs from the outside world, as Protocols.

Adapters implement them on the Azure SDKs (adapters/); the storage adapters run on Azure Table
storage or, in unit tests, on an in-memory store with the same rules (tests/support/), and one
shared test suite per port (tests/port_suites/) runs on both.

Atomicity rule: every ``save`` writes, in ONE atomic write (a Table entity-group transaction in
one partition), the aggregate's new state, the events it recorded (the outbox, which is also the
reservation's event stream) and, when given, the processed marker of what caused the change (the
idempotency record, holding a copy of the recorded events so a redelivery can publish them
again). It raises ConcurrencyError if the aggregate changed since it was loaded or the marker
exists; the caller reloads and retries (handlers/unit_of_work.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from domain.aggregate import Aggregate
from domain.billing import Folio
from domain.catalog import Hotel
from domain.events import DomainEvent
from domain.frontdesk import FrontdeskStay, ListName
from domain.loyalty import LoyaltyAccount
from domain.reservation import Reservation
from domain.rooms import RoomAllocation

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class OutboxEntry:
    """One recorded event as stored: where it lives and its CloudEvent."""

    context: str
    partition_key: str
    row_key: str
    cloudevent: dict[str, Any]  # the CloudEvents 1.0 JSON to publish, identical on every relay


@dataclass(frozen=True)
class ProcessedRecord:
    """The marker of something processed already (an event, or a reaction's own dedup key).

    ``events`` are the CloudEvents its commit recorded: a redelivery publishes them again once
    (``republished`` then becomes True), because the first delivery may have crashed between
    its commit and its publish, and Event Grid's retry is what finishes the job.
    """

    events: tuple[dict[str, Any], ...]
    republished: bool


class Repository(Protocol[A]):
    """Aggregates of one context, one partition each (key = reservation id or guest id)."""

    def get(self, key: str) -> A | None: ...

    def read(self, key: str, marker: str) -> tuple[ProcessedRecord | None, A | None]:
        """The marker if it exists, and the aggregate: one storage call (a partition holds one
        aggregate and its few markers), or two where the markers are many (Loyalty)."""
        ...

    def save(
        self, key: str, aggregate: A, *, marker: str | None = None, secret: str | None = None
    ) -> list[OutboxEntry]:
        """Insert (etag None) or update (If-Match etag) atomically with outbox and marker, and
        a ``secret`` kept beside the state (created once; see ``PaymentMethodVault``).

        Bumps ``aggregate.version``, sets its new etag and clears its pending events.
        """
        ...

    def processed(self, key: str, marker: str) -> ProcessedRecord | None: ...

    def mark_republished(self, key: str, marker: str) -> None: ...


class RoomInventory(Protocol):
    """Room-nights of one hotel's room type, and each reservation's allocation, in one partition.

    A held room-night is an entity keyed by (date, room number): inserting it is the lock, so no
    room-night can ever be held twice, whatever the concurrency.
    """

    def held_rooms(
        self, hotel_id: str, room_type: str, nights: Sequence[date]
    ) -> dict[date, set[str]]:
        """For each night, the room numbers held by any reservation."""
        ...

    def get_allocation(
        self, hotel_id: str, room_type: str, reservation_id: str
    ) -> RoomAllocation | None: ...

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
        """Atomically insert ``hold`` room-nights (owned by allocation.reservation_id), delete
        ``release`` ones, save the allocation, append its events and record the marker.

        Raises ConcurrencyError if any room-night to hold is taken, the allocation changed, or
        the marker exists already.
        """
        ...

    def processed(self, hotel_id: str, room_type: str, marker: str) -> ProcessedRecord | None: ...

    def mark_republished(self, hotel_id: str, room_type: str, marker: str) -> None: ...


class FrontdeskBoard(Protocol):
    """The front desk's read model: each reservation's stay and each hotel's day sheets, in the
    hotel's partition (adapters/layout.py)."""

    def get(self, hotel_id: str, reservation_id: str) -> FrontdeskStay | None:
        """The stored stay (one point read), with ``listed`` set to where its rows show it."""
        ...

    def save(self, stay: FrontdeskStay) -> None:
        """ONE transaction: the stay, its version guard, a delete for each listing it lost
        (``stay.listed``) and a write for each it has (``stay.listings()``).

        Raises ConcurrencyError if the stay changed since it was loaded; sets its new etag and
        version and ``listed`` on success.
        """
        ...

    def day(self, hotel_id: str, day: date) -> dict[ListName, list[dict[str, Any]]]:
        """The guests' lines of one day's sheet, per list, in row-key order (one query)."""
        ...


@dataclass(frozen=True)
class PendingPublish:
    """The intent to publish one command's commit, written before that commit.

    The relay reads only these (never the history): it publishes the commit's events if the
    commit happened, and forgets intents whose commit never happened.
    """

    row_key: str  # its place in the pending index, oldest first
    context: str
    partition_key: str
    reservation_id: str
    version: int  # the aggregate version the commit writes: its outbox rows are keyed by it
    created_at: datetime


class Outbox(Protocol):
    """The pending-publish index of commands, and each reservation's recorded events."""

    def intend(
        self, *, context: str, partition_key: str, reservation_id: str, version: int
    ) -> PendingPublish:
        """Record the intent to publish the commit about to be made (one insert)."""
        ...

    def pending(
        self, *, created_before: datetime, after: str = "", limit: int
    ) -> list[PendingPublish]:
        """Intents created before ``created_before`` whose row key sorts after ``after``, oldest
        first; reads only the index."""
        ...

    def committed_events(self, intent: PendingPublish) -> list[dict[str, Any]] | None:
        """The CloudEvents the intent's commit recorded; None if that commit does not exist."""
        ...

    def settle(self, intent: PendingPublish) -> None:
        """Forget the intent (published, or its commit never happened); idempotent."""
        ...

    def stream(
        self, reservation_id: str, *, hotel_id: str, room_type: str, guest_id: str
    ) -> list[dict[str, Any]]:
        """Every CloudEvent of one reservation's saga, oldest first (one query per context)."""
        ...


class EventPublisher(Protocol):
    def publish(self, cloudevents: Sequence[dict[str, Any]]) -> None:
        """Publish CloudEvents JSON to the topic; raises on failure (nothing is marked then)."""
        ...


class Catalog(Protocol):
    def hotels(self) -> list[Hotel]: ...

    def get(self, hotel_id: str) -> Hotel | None: ...


class IdempotencyKeys(Protocol):
    """Which reservation a client Idempotency-Key books.

    Every request with one key books one id, so the key costs no storage call of its own: the
    reservation's creation is the claim, and its state keeps the first body's digest.
    """

    def reservation_id(self, key: str) -> str:
        """A UUID computed from ``key`` under a secret of this deployment (HMAC-SHA256): the
        same for every request with that key, and unguessable from the key alone, so a
        guessable key never makes a guessable id."""
        ...


class PaymentMethodVault(Protocol):
    """Keeps payment tokens out of events: events carry only the reference.

    The token is the ``secret`` of the reservation's first save (``Repository.save``), written
    in the reservation's own transaction: no call of its own, and only the request that
    creates the reservation writes one.
    """

    def reference(self, reservation_id: str) -> str:
        """The opaque reference of the reservation's token."""
        ...

    def resolve(self, ref: str) -> str | None: ...


@dataclass(frozen=True)
class AuthorizationResult:
    approved: bool
    authorization_id: str | None
    reason: str | None = None


class PaymentGateway(Protocol):
    """Every call is idempotent per ``idempotency_key``, like real gateways' APIs: a key derived
    from the operation (``{reservationId}:capture:stay``), so a repeated or concurrent duplicate
    call has its effect once."""

    def authorize(
        self, *, idempotency_key: str, token: str, amount: Decimal, currency: str
    ) -> AuthorizationResult: ...

    def capture(self, *, idempotency_key: str, authorization_id: str, amount: Decimal) -> None: ...

    def void(self, *, idempotency_key: str, authorization_id: str) -> None: ...


class EventToCloudEvent(Protocol):
    """Builds the CloudEvent JSON for a domain event (source, subject, trace context)."""

    def __call__(self, event: DomainEvent, *, context: str) -> dict[str, Any]: ...


class DeadLetterState(StrEnum):
    """Where a dead letter blob is: its container (adapters/storage_names.py)."""

    PENDING = "deadlettered"  # `deadletter`: written by Event Grid, waiting to be replayed
    ARCHIVED = "archived"  # `deadletter-archive`: replayed successfully
    POISON = "poison"  # `deadletter-poison`: can never succeed, or failed too often


@dataclass(frozen=True)
class DeadLetter:
    """One dead letter blob as listed (its body is not read)."""

    name: str  # {SUBSCRIPTION}/{yyyy}/{M}/{d}/{H}/{guid}.json, the same in every container
    metadata: Mapping[str, str]
    created_at: datetime


@dataclass(frozen=True)
class ClaimedDeadLetter:
    """A pending dead letter blob held exclusively (a blob lease) until moved or released."""

    name: str
    body: bytes
    metadata: Mapping[str, str]  # as read under the claim (fresher than a listing)
    created_at: datetime
    token: str  # the lease id


class ClaimLostError(Exception):
    """The claim expired and the blob was claimed again or changed: leave the blob alone."""


class DeadLetterStore(Protocol):
    """The dead letter containers. A claim is exclusive (at most one holder at a time) and
    expires on its own, so a crashed holder leaves the blob to be retried, never lost.
    Metadata given to ``release`` and ``move`` is merged into the blob's own; an empty value
    removes that name."""

    def letters(
        self, state: DeadLetterState, *, prefix: str = "", limit: int | None = None
    ) -> list[DeadLetter]:
        """Blobs of one container whose name starts with ``prefix``, in name order."""
        ...

    def read(self, state: DeadLetterState, name: str) -> bytes | None: ...

    def claim(self, name: str) -> ClaimedDeadLetter | None:
        """Hold a pending blob; None if it is gone or someone else holds it."""
        ...

    def renew(self, claim: ClaimedDeadLetter) -> None:
        """Extend the claim (call it while working); ClaimLostError if it was lost."""
        ...

    def annotate(self, claim: ClaimedDeadLetter, metadata: Mapping[str, str]) -> ClaimedDeadLetter:
        """Merge ``metadata`` into the held blob's own, keeping the claim; the claim with the
        merged metadata. ClaimLostError if lost."""
        ...

    def release(
        self, claim: ClaimedDeadLetter, *, metadata: Mapping[str, str] | None = None
    ) -> None:
        """Give the blob back, first merging ``metadata`` into its own; ClaimLostError if lost."""
        ...

    def move(
        self, claim: ClaimedDeadLetter, state: DeadLetterState, metadata: Mapping[str, str]
    ) -> None:
        """Copy the blob (body, its metadata merged with ``metadata``) to ``state``'s container
        under the same name, then delete the pending blob -- only once the copy is written.
        ClaimLostError (nothing deleted) if the claim was lost."""
        ...

    def quarantine(self, name: str, body: bytes, metadata: Mapping[str, str]) -> None:
        """Write a new poison blob (an event refused at delivery); never overwrites."""
        ...

    def requeue(self, state: DeadLetterState, name: str, metadata: Mapping[str, str]) -> bool:
        """Move an archived or poison blob back to pending (an operator's replay): write it
        there (body unchanged, its metadata merged with ``metadata``), then delete the original.
        False if it is gone; ClaimLostError if a pending blob of that name is being replayed."""
        ...


class DeadLetterMetrics(Protocol):
    """Where a reprocessing run's counts go (adapters/metrics.py: OpenTelemetry counters)."""

    def record(self, trigger: str, counts: Mapping[str, Mapping[str, int]]) -> None:
        """Add one run's blobs and events by outcome (``ReprocessReport.counts()``)."""
        ...


@dataclass(frozen=True)
class Ports:
    """Everything the handlers need, built once per worker by adapters.bootstrap."""

    reservations: Repository[Reservation]  # key: reservation id
    folios: Repository[Folio]  # key: reservation id
    loyalty: Repository[LoyaltyAccount]  # key: guest id
    frontdesk: FrontdeskBoard
    inventory: RoomInventory
    outbox: Outbox
    publisher: EventPublisher
    catalog: Catalog
    vault: PaymentMethodVault
    idempotency: IdempotencyKeys
    gateway: PaymentGateway
    clock: Callable[[], datetime]
    # The dead letter containers (adapters/deadletters.py); None where nothing reprocesses.
    dead_letters: DeadLetterStore | None = None
    # Counters of each reprocessing run; None records nothing (unit tests, tools).
    dead_letter_metrics: DeadLetterMetrics | None = None
