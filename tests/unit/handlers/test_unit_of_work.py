"""The unit of work: exactly once across redeliveries, crashes and failed publishes."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.errors import ConcurrencyError, IdempotencyKeyReusedError
from domain.events import GuestCheckedOut
from domain.reservation import Reservation
from handlers.dispatch import dispatch
from handlers.outbox import SETTLE_AFTER, relay_outbox
from handlers.ports import OutboxEntry, Ports, Repository
from handlers.reactions import REACTIONS
from handlers.reservations import (
    check_in,
    check_out,
    get_reservation,
    request_reservation,
)
from handlers.routing import SUBSCRIPTIONS
from handlers.unit_of_work import Change, RepositorySlot, execute
from tests.support.harness import Bus, Clock, book, command, gateway
from tests.support.memory_ports import InMemoryPublisher, PublishFailedError, build_memory_ports


def publisher(ports: Ports) -> InMemoryPublisher:
    assert isinstance(ports.publisher, InMemoryPublisher)
    return ports.publisher


def test_every_routed_type_has_a_reaction_and_every_reaction_is_routed() -> None:
    routed = {(s.name, t) for s in SUBSCRIPTIONS for t in s.included_event_types}
    reacting = {(r.subscription, r.event_type.event_type()) for r in REACTIONS}
    assert routed == reacting
    assert routed  # the table is not empty


def test_a_reaction_whose_publish_fails_fails_the_delivery(ports: Ports, bus: Bus) -> None:
    book(ports)
    (requested,) = [d for d in bus.take_published() if d[0] == "rooms"]
    publisher(ports).fail_next()
    with pytest.raises(PublishFailedError):
        bus.deliver(requested)  # committed, then the publish failed: Event Grid must retry
    assert bus.take_published() == []
    bus.deliver(requested)  # the retry finds the marker and publishes what was recorded
    (allocated,) = bus.take_published()
    assert allocated[1]["type"] == "Hotel.RoomAllocated"
    bus.deliver(requested)  # once: a later duplicate publishes nothing
    assert bus.take_published() == []


def test_a_crash_between_commit_and_publish_is_finished_by_the_redelivery(
    ports: Ports, bus: Bus, monkeypatch: pytest.MonkeyPatch
) -> None:
    reservation = book(ports)
    (requested,) = [d for d in bus.take_published() if d[0] == "rooms"]

    def crash(cloudevents: Any) -> None:
        raise SystemExit("the worker died after its commit")

    monkeypatch.setattr(publisher(ports), "publish", crash)
    with pytest.raises(SystemExit):
        bus.deliver(requested)
    monkeypatch.undo()
    bus.deliver(requested)  # Event Grid redelivers
    bus.run()
    assert get_reservation(reservation.reservation_id, ports).status == "Confirmed"


def test_a_command_whose_process_dies_after_its_commit_is_published_by_the_relay(
    ports: Ports, bus: Bus, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(cloudevents: Any) -> None:
        raise SystemExit("the worker died after its commit")

    monkeypatch.setattr(publisher(ports), "publish", crash)
    with pytest.raises(SystemExit):
        book(ports)
    monkeypatch.undo()
    assert bus.run() == 0
    clock.advance(SETTLE_AFTER + timedelta(seconds=1))
    assert relay_outbox(ports) == 1
    bus.run()
    assert relay_outbox(ports) == 0
    statuses = {
        get_reservation(ce["data"]["reservationId"], ports).status
        for ce in publisher(ports).published
        if ce["type"] == "Hotel.ReservationRequested"
    }
    assert statuses == {"Confirmed"}


def test_an_intent_without_a_commit_is_forgotten_after_the_abandon_window(
    ports: Ports, clock: Clock
) -> None:
    ports.outbox.intend(
        context="reservations", partition_key="r-x", reservation_id="r-x", version=1
    )
    clock.advance(SETTLE_AFTER + timedelta(seconds=1))
    assert relay_outbox(ports) == 0
    far = clock.now + timedelta(days=1)
    assert ports.outbox.pending(created_before=far, limit=10) != []  # kept: it may still commit
    clock.advance(timedelta(hours=2))
    assert relay_outbox(ports) == 0
    assert ports.outbox.pending(created_before=far, limit=10) == []


def test_the_relay_drains_a_backlog_within_its_budget_oldest_first(
    ports: Ports, clock: Clock
) -> None:
    publisher(ports).always_fail = True
    ids = []
    for _ in range(25):
        ids.append(book(ports).reservation_id)
        clock.advance(timedelta(milliseconds=10))
    publisher(ports).always_fail = False
    clock.advance(SETTLE_AFTER + timedelta(seconds=1))
    assert relay_outbox(ports, batch=4) == 25  # several batches in one tick
    assert [ce["data"]["reservationId"] for ce in publisher(ports).published] == ids


def test_the_relay_stops_when_its_budget_is_spent(ports: Ports, clock: Clock) -> None:
    publisher(ports).always_fail = True
    for _ in range(10):
        book(ports)
    publisher(ports).always_fail = False
    clock.advance(SETTLE_AFTER + timedelta(seconds=1))
    ticks = iter([0.0, 0.0, 100.0])  # the budget runs out after one batch
    assert relay_outbox(ports, batch=4, monotonic=lambda: next(ticks)) == 4
    assert relay_outbox(ports, batch=4) == 6


def test_concurrent_duplicate_check_out_deliveries_capture_once(ports: Ports, bus: Bus) -> None:
    reservation = book(ports)
    bus.run()
    check_in(reservation.reservation_id, ports)
    check_out(reservation.reservation_id, ports)
    deliveries = [d for d in bus.take_published() if d[0] == "billing"]
    (checked_out,) = [d for d in deliveries if d[1]["type"] == GuestCheckedOut.event_type()]
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def deliver() -> None:
        barrier.wait()
        try:
            dispatch("billing", checked_out[1]["type"], checked_out[1]["data"], ports)
        except BaseException as exc:  # collected: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    (auth,) = gateway(ports).authorizations.values()
    assert (auth.captured, auth.captures) == (Decimal("360.00"), 1)
    captured = [ce["id"] for ce in publisher(ports).published if ce["type"].endswith("Captured")]
    # The commit's publish, plus a republish by duplicates that read the marker before it was
    # marked republished: the same event each time, never a second capture.
    assert 1 <= len(captured) <= 6
    assert len(set(captured)) == 1


def test_reservation_ids_are_unguessable_whatever_the_idempotency_key(ports: Ports) -> None:
    other = build_memory_ports(ports.clock)  # another deployment: another secret
    first, _ = request_reservation(command(), idempotency_key="order-1", ports=ports)
    second, _ = request_reservation(command(), idempotency_key="order-1", ports=other)
    assert first.reservation_id != second.reservation_id  # not derived from the key alone
    assert uuid.UUID(first.reservation_id).version == 4
    again, created = request_reservation(command(), idempotency_key="order-1", ports=ports)
    assert (again.reservation_id, created) == (first.reservation_id, False)


class PausingRepository:
    """Saves like the real repository, but holds the ``tok_declined`` request's first save until
    released: the interleaving that once let the refused request's token be charged."""

    def __init__(self, inner: Repository[Reservation]) -> None:
        self.inner = inner
        self.stored = threading.Event()
        self.release = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def save(
        self,
        key: str,
        aggregate: Reservation,
        *,
        marker: str | None = None,
        secret: str | None = None,
    ) -> list[OutboxEntry]:
        if secret == "tok_declined":
            self.stored.set()
            self.release.wait(10)
        return self.inner.save(key, aggregate, marker=marker, secret=secret)


def test_concurrent_requests_with_one_key_charge_the_accepted_request_token(
    ports: Ports, bus: Bus
) -> None:
    """Same key, different tokens: one wins (202), one is refused (409), and the winner's token
    is the one charged -- never the refused request's."""
    vault = PausingRepository(ports.reservations)
    ports = dataclasses.replace(ports, reservations=vault)
    bus.ports = ports
    results: dict[str, Reservation | Exception] = {}

    def attempt(token: str) -> None:
        try:
            results[token] = request_reservation(
                command(paymentToken=token), idempotency_key="same-key", ports=ports
            )[0]
        except Exception as exc:  # the loser's IdempotencyKeyReusedError
            results[token] = exc
        finally:
            if token == "tok_visa":
                vault.release.set()

    declined = threading.Thread(target=attempt, args=("tok_declined",))
    declined.start()
    vault.stored.wait(10)  # the declined request holds the key, not yet its reservation
    attempt("tok_visa")
    declined.join(10)
    winners = {t: r for t, r in results.items() if isinstance(r, Reservation)}
    refused = {t: r for t, r in results.items() if isinstance(r, IdempotencyKeyReusedError)}
    assert (len(winners), len(refused)) == (1, 1)
    ((token, reservation),) = winners.items()
    bus.run()
    status = get_reservation(reservation.reservation_id, ports).status
    assert status == ("Confirmed" if token == "tok_visa" else "Rejected")


FAR = datetime(2999, 1, 1, tzinfo=UTC)


def _confirmed(ports: Ports, bus: Bus) -> str:
    reservation = book(ports)
    bus.run()
    return reservation.reservation_id


def test_a_command_that_loses_a_race_leaves_no_intent_behind(ports: Ports, bus: Bus) -> None:
    rid = _confirmed(ports, bus)
    stale = ports.reservations.get(rid)
    winner = ports.reservations.get(rid)
    assert stale is not None
    assert winner is not None
    winner.check_in_guest(at=ports.clock())
    ports.reservations.save(rid, winner)  # someone else commits that version first
    decisions = iter([stale])

    def decide(current: Reservation | None) -> Change[Reservation] | None:
        mine = next(decisions, None)
        if mine is None:
            return None  # the retry, on fresh state: nothing left to do
        mine.cancel(at=ports.clock())
        return Change(mine)

    slot = RepositorySlot(ports.reservations, rid, "reservations")
    assert execute(slot, decide, ports, reservation_id=rid)[1] is False
    assert ports.outbox.pending(created_before=FAR, limit=10) == []


@dataclasses.dataclass(frozen=True)
class AnswerLostSlot(RepositorySlot[Reservation]):
    """Commits, then reports a conflict: a retried request whose first answer was lost."""

    def commit(self, change: Change[Reservation], *, marker: str | None) -> list[OutboxEntry]:
        pending = change.aggregate.pending_events
        super().commit(change, marker=marker)
        change.aggregate._pending_events.extend(pending)  # as the caller still sees it
        raise ConcurrencyError("the commit's answer was lost")


def test_a_commit_whose_answer_was_lost_is_published_by_the_relay(
    ports: Ports, bus: Bus, clock: Clock
) -> None:
    rid = _confirmed(ports, bus)
    calls = iter([True])

    def decide(current: Reservation | None) -> Change[Reservation] | None:
        assert current is not None
        if not next(calls, False):
            return None
        current.check_in_guest(at=ports.clock())
        return Change(current)

    slot = AnswerLostSlot(ports.reservations, rid, "reservations")
    execute(slot, decide, ports, reservation_id=rid)  # the retry finds nothing left to do
    assert get_reservation(rid, ports).status == "CheckedIn"
    assert len(ports.outbox.pending(created_before=FAR, limit=10)) == 1  # kept for the relay
    clock.advance(SETTLE_AFTER + timedelta(seconds=1))
    assert relay_outbox(ports) == 1
    assert publisher(ports).published[-1]["type"] == "Hotel.GuestCheckedIn"
