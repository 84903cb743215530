"""The retry policy: back-off, attempts counted before replaying, poison after the last one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from handlers.dead_letters import RetryPolicy, is_due, parse_time, reprocess_dead_letters
from handlers.ports import ClaimedDeadLetter, DeadLetterState, Ports
from handlers.reservations import get_reservation
from tests.support.azure_format import (
    as_cloudevents_letter,
    blob,
    blob_name,
    book_with_billing_down,
)
from tests.support.harness import Bus, Clock, live_authorizations
from tests.support.memory_deadletters import InMemoryDeadLetterStore
from tests.unit.handlers.dead_letters.stories import ARCHIVED, PENDING, POISON, Flaky, where


def test_back_off_doubles_up_to_a_cap() -> None:
    policy = RetryPolicy()
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5, 6)] == [
        timedelta(minutes=m) for m in (5, 10, 20, 40, 60, 60)
    ]


def test_a_blob_is_due_without_a_next_attempt_or_once_it_passed() -> None:
    now = datetime(2031, 1, 1, tzinfo=UTC)
    assert is_due({}, now)
    assert is_due({"nextattemptat": "2030-12-31T23:59:00Z"}, now)
    assert not is_due({"nextAttemptAt": "2031-01-01T00:01:00Z"}, now)


def test_a_failing_blob_backs_off_then_is_poisoned_after_five_runs(
    ports: Ports, bus: Bus, store: InMemoryDeadLetterStore, clock: Clock
) -> None:
    _, allocated = book_with_billing_down(ports, bus)
    name = blob_name("billing")
    store.put(name, blob([as_cloudevents_letter(allocated)]))
    flaky = Flaky()
    waits = []
    for attempt in range(1, 5):
        report = reprocess_dead_letters(store, ports, dispatcher=flaky)
        assert report.blobs_retrying == 1
        metadata = store.metadata(PENDING, name)
        assert metadata is not None
        assert metadata["reprocessAttempts"] == str(attempt)
        assert metadata["outcome"] == "retrying"
        assert "ConnectionError" in metadata["reason"]
        assert (
            reprocess_dead_letters(store, ports, dispatcher=flaky).blobs_skipped == 1
        )  # backing off
        due = parse_time(metadata["nextAttemptAt"])
        assert due is not None
        waits.append(due - clock.now)
        clock.now = due
    assert waits == [timedelta(minutes=m) for m in (5, 10, 20, 40)]

    final = reprocess_dead_letters(store, ports, dispatcher=flaky)

    assert final.blobs_poisoned == 1
    assert where(store, name) is POISON
    metadata = store.metadata(POISON, name)
    assert metadata is not None
    assert metadata["reprocessAttempts"] == "5"
    assert "failed 5 reprocessing runs" in metadata["reason"]
    assert flaky.calls["Hotel.RoomAllocated"] == 5


def test_force_ignores_the_back_off_once_the_cause_is_fixed(
    ports: Ports, bus: Bus, store: InMemoryDeadLetterStore
) -> None:
    reservation_id, allocated = book_with_billing_down(ports, bus)
    name = blob_name("billing")
    store.put(name, blob([as_cloudevents_letter(allocated)]))
    flaky = Flaky()
    reprocess_dead_letters(store, ports, dispatcher=flaky)
    flaky.down = False
    assert reprocess_dead_letters(store, ports, dispatcher=flaky).blobs_skipped == 1

    report = reprocess_dead_letters(store, ports, dispatcher=flaky, force=True)
    bus.run()

    assert report.blobs_archived == 1
    assert store.metadata(ARCHIVED, name)["reprocessAttempts"] == "2"  # type: ignore[index]
    assert get_reservation(reservation_id, ports).status == "Confirmed"


class CrashingStore(InMemoryDeadLetterStore):
    """The worker dies while moving a blob: nothing is written, the claim is left behind."""

    crash = True

    def move(
        self, claim: ClaimedDeadLetter, state: DeadLetterState, metadata: Mapping[str, str]
    ) -> None:
        if self.crash:
            raise RuntimeError("worker died")
        super().move(claim, state, metadata)


def test_a_crash_mid_blob_leaves_it_pending_for_a_later_run(
    ports: Ports, bus: Bus, clock: Clock
) -> None:
    store = CrashingStore(clock=clock)
    reservation_id, allocated = book_with_billing_down(ports, bus)
    name = blob_name("billing")
    store.put(name, blob([as_cloudevents_letter(allocated)]))

    crashed = reprocess_dead_letters(store, ports)
    assert crashed.blobs_skipped == 1
    assert "worker died" in crashed.blobs[0].reason
    assert where(store, name) is PENDING
    assert (
        reprocess_dead_letters(store, ports, force=True)
        .blobs[0]
        .reason.startswith("claimed by another")
    )
    metadata = store.metadata(PENDING, name)
    assert metadata is not None
    assert metadata["reprocessAttempts"] == "1"  # the failed move still used up an attempt
    assert metadata["nextAttemptAt"] == "2031-04-01T12:05:00Z"

    clock.advance(timedelta(minutes=5))  # the claim and the back-off run out
    store.crash = False
    report = reprocess_dead_letters(store, ports)
    bus.run()

    assert report.blobs_archived == 1
    assert store.metadata(ARCHIVED, name)["reprocessAttempts"] == "2"  # type: ignore[index]
    assert where(store, name) is ARCHIVED
    assert get_reservation(reservation_id, ports).status == "Confirmed"
    assert len(live_authorizations(ports)) == 1


class WorkerKilled(BaseException):
    """The host killing the worker mid-replay (a function timeout): nothing after it runs."""


def killing(subscription: str, event_type: str, data: object, ports: Ports) -> None:
    raise WorkerKilled


def test_a_run_killed_mid_replay_has_used_up_its_attempt(
    ports: Ports, bus: Bus, store: InMemoryDeadLetterStore, clock: Clock
) -> None:
    _, allocated = book_with_billing_down(ports, bus)
    name = blob_name("billing")
    store.put(name, blob([as_cloudevents_letter(allocated)]))

    with pytest.raises(WorkerKilled):
        reprocess_dead_letters(store, ports, dispatcher=killing)
    store.expire_claim(name)

    assert where(store, name) is PENDING
    metadata = store.metadata(PENDING, name)
    assert metadata is not None
    assert metadata["reprocessAttempts"] == "1"
    assert metadata["nextAttemptAt"] == "2031-04-01T12:05:00Z"
    assert reprocess_dead_letters(store, ports).blobs_skipped == 1  # backing off, not replayed


class RenewFailingStore(InMemoryDeadLetterStore):
    """Storage fails mid-replay with something the reprocessor does not expect."""

    def renew(self, claim: ClaimedDeadLetter) -> None:
        raise RuntimeError("storage answered 500")


def test_an_unexpected_error_mid_replay_still_counts_the_attempt(
    ports: Ports, bus: Bus, clock: Clock
) -> None:
    store = RenewFailingStore(clock=clock)
    _, allocated = book_with_billing_down(ports, bus)
    name = blob_name("billing")
    store.put(name, blob([as_cloudevents_letter(allocated)]))

    report = reprocess_dead_letters(store, ports)

    assert report.blobs_skipped == 1
    assert "storage answered 500" in report.blobs[0].reason
    metadata = store.metadata(PENDING, name)
    assert metadata is not None
    assert metadata["reprocessAttempts"] == "1"
    assert metadata["nextAttemptAt"] == "2031-04-01T12:05:00Z"


def test_a_blob_that_kills_every_run_is_poisoned_after_max_attempts(
    ports: Ports, bus: Bus, store: InMemoryDeadLetterStore, clock: Clock
) -> None:
    _, allocated = book_with_billing_down(ports, bus)
    name = blob_name("billing")
    store.put(name, blob([as_cloudevents_letter(allocated)]))
    kills = 0

    def counting_kills(subscription: str, event_type: str, data: object, ports: Ports) -> None:
        nonlocal kills
        kills += 1
        raise WorkerKilled

    for attempt in range(1, 6):
        with pytest.raises(WorkerKilled):
            reprocess_dead_letters(store, ports, dispatcher=counting_kills)
        store.expire_claim(name)
        metadata = store.metadata(PENDING, name)
        assert metadata is not None
        assert metadata["reprocessAttempts"] == str(attempt)
        due = parse_time(metadata["nextAttemptAt"])
        assert due is not None
        clock.now = due

    final = reprocess_dead_letters(store, ports, dispatcher=counting_kills)

    assert kills == 5  # the sixth run did not replay it again
    assert final.blobs_poisoned == 1
    assert where(store, name) is POISON
    metadata = store.metadata(POISON, name)
    assert metadata is not None
    assert metadata["reprocessAttempts"] == "5"
    assert "5 reprocessing runs did not finish" in metadata["reason"]
    assert "nextAttemptAt" not in metadata
