"""The one way state changes: load, decide, commit, publish, retry on conflict.

Every reaction to an event (``react``) and every state-changing HTTP command (``execute``) runs
here, so none can forget the processed marker, the outbox or the publish:

1. load the aggregate from its ``Slot`` (its place in one storage partition), with the processed
   marker in the same read where the layout allows -- or, for an aggregate that is normally
   created by this change (``fresh``), not at all on the first attempt: its commit creates the
   state and the marker, which conflicts if either exists, and the retry reads;
2. ``decide``: a small function returning a ``Change`` (the aggregate with its recorded events,
   plus room-nights to hold or release), or None when there is nothing to do;
3. commit in ONE transaction: the new state, its outbox rows and, for a reaction, the processed
   marker holding a copy of the events it recorded (a command writes a pending-publish intent
   first instead, see handlers/outbox.py);
4. publish the recorded events;
5. on ConcurrencyError (someone committed first, or the marker exists) start again from 1.

Exactly once, whatever Event Grid redelivers: a redelivered event finds its marker and is not
applied again. Its first delivery may have died between commit and publish, so a redelivery
publishes the marker's events again, once (``republished``); consumers deduplicate on the event
id, so an extra publish is harmless. A failed publish fails the delivery: Event Grid retries and
that retry publishes. Gateway calls inside ``decide`` carry idempotency keys, so the retries of
step 5 repeat them harmlessly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, Protocol, TypeVar

from domain.aggregate import Aggregate
from domain.errors import ConcurrencyError
from domain.events import DomainEvent
from domain.rooms import RoomAllocation
from handlers.outbox import publish_command
from handlers.ports import (
    OutboxEntry,
    PendingPublish,
    Ports,
    ProcessedRecord,
    Repository,
    RoomInventory,
)
from handlers.retry import MAX_ATTEMPTS, retry_on_conflict

log = logging.getLogger(__name__)

A = TypeVar("A", bound=Aggregate)
E = TypeVar("E", bound=DomainEvent)
RoomNight = tuple[date, str]


@dataclass(frozen=True)
class Change(Generic[A]):
    """What ``decide`` wants committed: the aggregate (with the events it recorded) and, in
    Rooms, the room-nights to hold or release in the same transaction."""

    aggregate: A
    hold: tuple[RoomNight, ...] = ()
    release: tuple[RoomNight, ...] = ()
    # A secret kept next to the aggregate in the same transaction, never in its state or events:
    # the card token of a new reservation (``PaymentMethodVault`` resolves it later).
    secret: str | None = None


class Slot(Protocol[A]):
    """One aggregate's place in storage: where a unit of work loads, commits and deduplicates."""

    def load(self) -> A | None: ...

    def read(self, marker: str) -> tuple[ProcessedRecord | None, A | None]:
        """The marker (if processed already) and the aggregate, in as few calls as it can."""
        ...

    def commit(self, change: Change[A], *, marker: str | None) -> list[OutboxEntry]: ...

    def mark_republished(self, marker: str) -> None: ...


@dataclass(frozen=True)
class RepositorySlot(Generic[A]):
    """An aggregate of a ``Repository`` (its own partition: reservation id or guest id)."""

    repository: Repository[A]
    key: str  # also the partition key
    context: str

    def load(self) -> A | None:
        return self.repository.get(self.key)

    def read(self, marker: str) -> tuple[ProcessedRecord | None, A | None]:
        return self.repository.read(self.key, marker)

    def commit(self, change: Change[A], *, marker: str | None) -> list[OutboxEntry]:
        if change.hold or change.release:
            raise ValueError("only the room inventory holds or releases room-nights")
        return self.repository.save(self.key, change.aggregate, marker=marker, secret=change.secret)

    def mark_republished(self, marker: str) -> None:
        self.repository.mark_republished(self.key, marker)


@dataclass(frozen=True)
class AllocationSlot:
    """A reservation's allocation in its hotel's room-type partition of the inventory."""

    inventory: RoomInventory
    hotel_id: str
    room_type: str
    reservation_id: str

    def load(self) -> RoomAllocation | None:
        return self.inventory.get_allocation(self.hotel_id, self.room_type, self.reservation_id)

    def read(self, marker: str) -> tuple[ProcessedRecord | None, RoomAllocation | None]:
        # Markers of every reservation share the room type's partition with its nights, so no
        # single range holds just this one's marker and allocation: two point reads.
        record = self.inventory.processed(self.hotel_id, self.room_type, marker)
        return (record, None) if record is not None else (None, self.load())

    def commit(self, change: Change[RoomAllocation], *, marker: str | None) -> list[OutboxEntry]:
        if change.secret is not None:
            raise ValueError("only a repository keeps a secret next to its aggregate")
        return self.inventory.save(
            self.hotel_id,
            self.room_type,
            change.aggregate,
            hold=change.hold,
            release=change.release,
            marker=marker,
        )

    def mark_republished(self, marker: str) -> None:
        self.inventory.mark_republished(self.hotel_id, self.room_type, marker)


def _event_id(event: DomainEvent) -> str:
    return event.event_id


def _default_attempts(event: DomainEvent, ports: Ports) -> int:
    return MAX_ATTEMPTS


@dataclass(frozen=True)
class Reaction(Generic[E, A]):
    """How one subscription reacts to one event type; the routing table is built from these.

    ``marker`` names what must happen once (default: the event id; Loyalty awards once per
    reservation whatever the event). ``attempts`` bounds the conflict retries (Rooms: one per
    room, since every lost race means another room got taken). ``fresh``: the event normally
    creates the aggregate, so the first attempt decides on None without reading (see the module
    docstring); a ``decide`` of a fresh reaction must return a change when given None.
    """

    subscription: str
    event_type: type[E]
    slot: Callable[[E, Ports], Slot[A]]
    decide: Callable[[E, A | None, Ports], Change[A] | None]
    marker: Callable[[E], str] = _event_id
    attempts: Callable[[E, Ports], int] = _default_attempts
    fresh: bool = False

    def run(self, event: DomainEvent, ports: Ports) -> None:
        if not isinstance(event, self.event_type):
            raise TypeError(f"{self.subscription} expects {self.event_type.__name__}")
        react(self, event, ports)


def react(reaction: Reaction[E, A], event: E, ports: Ports) -> None:
    """Apply ``event`` once (see the module docstring); raises if it must be delivered again."""
    slot = reaction.slot(event, ports)
    marker = reaction.marker(event)
    fresh_attempt = [reaction.fresh]  # the first attempt of a fresh reaction reads nothing

    def attempt() -> tuple[list[dict[str, Any]], bool]:
        if fresh_attempt and fresh_attempt.pop():
            change = reaction.decide(event, None, ports)
            if change is not None:  # creates only: conflicts if the marker or aggregate exists
                return [entry.cloudevent for entry in slot.commit(change, marker=marker)], False
        record, current = slot.read(marker)
        if record is not None:
            if record.republished or not record.events:
                return [], False
            return list(record.events), True
        change = reaction.decide(event, current, ports)
        if change is None:
            return [], False
        return [entry.cloudevent for entry in slot.commit(change, marker=marker)], False

    cloudevents, republish = retry_on_conflict(attempt, attempts=reaction.attempts(event, ports))
    if not cloudevents:
        return
    if republish:
        log.info(
            "%s: %s redelivered; publishing its %d recorded event(s) again",
            reaction.subscription,
            marker,
            len(cloudevents),
        )
    # A failure here fails the delivery: Event Grid retries, and the retry publishes again.
    ports.publisher.publish(cloudevents)
    if republish:
        slot.mark_republished(marker)


def _forget_lost_intent(intent: PendingPublish, change: Change[Any], ports: Ports) -> None:
    """After a lost race, settle the intent unless the commit at its version is this one's own
    (a retried request whose first answer was lost): then the relay must publish it."""
    ours = {event.event_id for event in change.aggregate.pending_events}
    try:
        found = ports.outbox.committed_events(intent)
        if found is None or not ours & {str(event.get("id")) for event in found}:
            ports.outbox.settle(intent)
    except Exception:  # the relay settles it later either way
        log.warning("could not settle intent %s after a conflict", intent.row_key, exc_info=True)


def execute(
    slot: RepositorySlot[A],
    decide: Callable[[A | None], Change[A] | None],
    ports: Ports,
    *,
    reservation_id: str,
    fresh: bool = False,
) -> tuple[A | None, bool]:
    """Run an HTTP command: returns the aggregate after it and whether it changed.

    Commands change aggregates of a ``Repository`` (one partition each), which is where the
    relay looks for a command's commit. ``fresh``: the command normally creates the aggregate,
    so its first attempt decides on None without reading; the commit conflicts if it exists.

    The pending-publish intent is written before the commit, so whatever happens after the
    commit (a crash, a failed publish) the relay finds the commit and publishes its events.
    """

    fresh_attempt = [fresh]

    def attempt() -> tuple[A | None, list[OutboxEntry], PendingPublish | None]:
        current = None
        change = decide(current) if fresh_attempt and fresh_attempt.pop() else None
        if change is None:  # not fresh, or nothing to create: decide on what is stored
            current = slot.load()
            change = decide(current)
        if change is None:
            return current, [], None
        intent = ports.outbox.intend(
            context=slot.context,
            partition_key=slot.key,
            reservation_id=reservation_id,
            version=change.aggregate.version + 1,
        )
        try:
            entries = slot.commit(change, marker=None)
        except ConcurrencyError:
            _forget_lost_intent(intent, change, ports)
            raise
        return change.aggregate, entries, intent

    aggregate, entries, intent = retry_on_conflict(attempt)
    if intent is None:
        return aggregate, False
    publish_command(intent, [entry.cloudevent for entry in entries], ports)
    return aggregate, True
