"""The reprocessor over real blobs on Azurite: Azure's format in, the right container out.

Each test has its own three containers (so a run sees only its blobs); the handlers run on
in-memory ports -- the blob store is what is under test here.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from azure.storage.blob import BlobLeaseClient, BlobServiceClient, ContentSettings

from adapters.deadletters import BlobDeadLetterStore
from handlers.dead_letters import reprocess_dead_letters, requeue_dead_letters
from handlers.dispatch import dispatch
from handlers.ports import DeadLetterState, Ports
from handlers.reservations import get_reservation
from tests.integration.handlers.dead_letters.support import private_store
from tests.support.azure_format import (
    a_cloudevent,
    as_cloudevents_letter,
    as_eventgrid_letter,
    blob,
    blob_name,
    book_with_billing_down,
)
from tests.support.harness import Bus, Clock, live_authorizations, make_ports

pytestmark = pytest.mark.integration


@pytest.fixture
def ports() -> Ports:
    return make_ports(Clock())


@pytest.fixture
def bus(ports: Ports) -> Bus:
    return Bus(ports)


@pytest.fixture
def store(
    blob_service: BlobServiceClient, private_containers: dict[str, str]
) -> BlobDeadLetterStore:
    return private_store(blob_service, private_containers)


def write(service: BlobServiceClient, container: str, name: str, body: bytes) -> None:
    """As Event Grid writes a dead letter: a JSON blob, no metadata."""
    service.get_blob_client(container, name).upload_blob(
        body, content_settings=ContentSettings(content_type="application/json")
    )


def test_azure_format_blobs_each_land_in_the_right_place_with_the_right_reason(
    ports: Ports,
    bus: Bus,
    store: BlobDeadLetterStore,
    blob_service: BlobServiceClient,
    private_containers: dict[str, str],
) -> None:
    first_id, first = book_with_billing_down(ports, bus)
    second_id, second = book_with_billing_down(ports, bus, roomType="DLX")
    third_id, third = book_with_billing_down(ports, bus, roomType="STE")
    letters = {
        "cloudevents": (blob_name("billing"), blob([as_cloudevents_letter(first)])),
        "eventgrid-several": (
            blob_name("billing"),
            blob(
                [
                    as_eventgrid_letter(second, reason="UndeliverableDueToHttpBadRequest"),
                    as_eventgrid_letter(third),
                ]
            ),
        ),
        "unknown-subscription": (
            blob_name("payments"),
            blob([as_cloudevents_letter(a_cloudevent("Hotel.RoomAllocated", {}))]),
        ),
        "broken-json": (blob_name("billing"), b'[{"specversion": "1.0", "type": "Hotel.Ro'),
        "schema-violation": (
            blob_name("billing"),
            blob([as_cloudevents_letter(a_cloudevent("Hotel.RoomAllocated", {"nights": "x"}))]),
        ),
    }
    for name, body in letters.values():
        write(blob_service, private_containers["pending"], name, body)

    report = reprocess_dead_letters(store, ports)
    bus.run()

    expected = {
        "cloudevents": (DeadLetterState.ARCHIVED, "replayed 1 event(s)"),
        "eventgrid-several": (DeadLetterState.ARCHIVED, "replayed 2 event(s)"),
        "unknown-subscription": (DeadLetterState.POISON, "unknown subscription 'PAYMENTS'"),
        "broken-json": (DeadLetterState.POISON, "undecodable JSON"),
        "schema-violation": (DeadLetterState.POISON, "EventSchemaError: Hotel.RoomAllocated"),
    }
    for label, (state, reason) in expected.items():
        name, body = letters[label]
        assert store.read(DeadLetterState.PENDING, name) is None, label
        assert store.read(state, name) == body, label  # the original bytes
        (moved,) = store.letters(
            state, prefix=name.rsplit("/", 1)[0] + "/" + name.rsplit("/", 1)[1]
        )
        assert reason in moved.metadata["reason"], (label, moved.metadata)
        assert moved.metadata["reprocessAttempts"] == "1"
        assert moved.metadata["outcome"] == (
            "archived" if state is DeadLetterState.ARCHIVED else "poisoned"
        )
        assert moved.metadata["reprocessedAt"]
        assert moved.metadata["deadLetteredAt"]
    assert report.counts()["blobs"] == {
        "found": 5,
        "archived": 2,
        "poisoned": 3,
        "retrying": 0,
        "skipped": 0,
    }
    assert report.events_replayed == 3
    for reservation_id in (first_id, second_id, third_id):
        assert get_reservation(reservation_id, ports).status == "Confirmed"

    again = reprocess_dead_letters(store, ports)
    assert again.blobs_found == 0


def test_a_transient_failure_keeps_the_blob_with_its_attempts_and_back_off(
    ports: Ports,
    bus: Bus,
    store: BlobDeadLetterStore,
    blob_service: BlobServiceClient,
    private_containers: dict[str, str],
) -> None:
    _, allocated = book_with_billing_down(ports, bus)
    name = blob_name("billing")
    write(
        blob_service, private_containers["pending"], name, blob([as_cloudevents_letter(allocated)])
    )

    def down(subscription: str, event_type: str, data: object, ports: Ports) -> None:
        raise TimeoutError("gateway timed out")

    report = reprocess_dead_letters(store, ports, dispatcher=down)

    assert report.blobs_retrying == 1
    (pending,) = store.letters(DeadLetterState.PENDING)
    assert pending.metadata["reprocessAttempts"] == "1"
    assert pending.metadata["nextAttemptAt"] == "2031-04-01T12:05:00Z"
    assert "TimeoutError: gateway timed out" in pending.metadata["reason"]
    assert store.claim(name) is not None  # released: free for the next run


def test_two_reprocessors_at_once_apply_each_event_once(
    ports: Ports,
    bus: Bus,
    storage_connection_string: str,
    blob_service: BlobServiceClient,
    private_containers: dict[str, str],
) -> None:
    events: list[str] = []
    for _ in range(6):
        _, allocated = book_with_billing_down(ports, bus)
        _, other = book_with_billing_down(ports, bus, roomType="DLX")
        body = blob([as_cloudevents_letter(allocated), as_eventgrid_letter(other)])
        write(blob_service, private_containers["pending"], blob_name("billing"), body)
        events += [allocated["id"], other["id"]]
    applied: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(2)

    def counting(subscription: str, event_type: str, data: object, ports: Ports) -> None:
        assert isinstance(data, dict)
        with lock:
            applied[str(data["eventId"])] += 1
        dispatch(subscription, event_type, data, ports)

    reports = []

    def worker() -> None:
        with BlobServiceClient.from_connection_string(storage_connection_string) as own:
            start.wait()
            reports.append(
                reprocess_dead_letters(
                    private_store(own, private_containers), ports, dispatcher=counting
                )
            )

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(reports) == 2
    assert sorted(applied) == sorted(events)
    assert set(applied.values()) == {1}, applied
    assert sum(r.blobs_archived for r in reports) == 6
    assert all(r.blobs_found == r.blobs_archived + r.blobs_skipped for r in reports)
    archive = blob_service.get_container_client(private_containers["archive"])
    assert len(list(archive.list_blobs())) == 6
    bus.run()
    assert len(live_authorizations(ports)) == 12


class WorkerKilled(BaseException):
    """The host killing the worker mid-replay (a function timeout)."""


def test_a_run_killed_mid_replay_leaves_its_attempt_counted_on_the_blob(
    ports: Ports,
    bus: Bus,
    store: BlobDeadLetterStore,
    blob_service: BlobServiceClient,
    private_containers: dict[str, str],
) -> None:
    _, allocated = book_with_billing_down(ports, bus)
    name = blob_name("billing")
    write(
        blob_service, private_containers["pending"], name, blob([as_cloudevents_letter(allocated)])
    )

    def killed(subscription: str, event_type: str, data: object, ports: Ports) -> None:
        raise WorkerKilled

    with pytest.raises(WorkerKilled):
        reprocess_dead_letters(store, ports, dispatcher=killed)
    pending = blob_service.get_blob_client(private_containers["pending"], name)
    BlobLeaseClient(pending).break_lease(lease_break_period=0)  # the dead worker's lease ends

    (letter,) = store.letters(DeadLetterState.PENDING)
    assert letter.metadata["reprocessAttempts"] == "1"
    assert letter.metadata["nextAttemptAt"] == "2031-04-01T12:05:00Z"
    assert reprocess_dead_letters(store, ports).blobs_skipped == 1  # backing off


def test_a_poison_blob_requeued_by_the_operator_is_replayed_and_archived(
    ports: Ports,
    bus: Bus,
    store: BlobDeadLetterStore,
    blob_service: BlobServiceClient,
    private_containers: dict[str, str],
) -> None:
    reservation_id, allocated = book_with_billing_down(ports, bus)
    name = blob_name("billing")
    store.quarantine(name, blob([as_cloudevents_letter(allocated)]), {"reprocessAttempts": "5"})

    report = requeue_dead_letters(store, ports, subscription="billing")

    assert report.as_json()["counts"] == {"found": 1, "requeued": 1, "skipped": 0}
    assert store.read(DeadLetterState.POISON, name) is None
    (pending,) = store.letters(DeadLetterState.PENDING)
    assert pending.metadata["reprocessAttempts"] == "0"
    assert pending.metadata["requeuedFrom"] == "poison"
    assert "nextAttemptAt" not in pending.metadata

    assert reprocess_dead_letters(store, ports).blobs_archived == 1
    bus.run()
    assert get_reservation(reservation_id, ports).status == "Confirmed"
