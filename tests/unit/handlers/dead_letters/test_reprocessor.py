"""The reprocessor, as stories on in-memory ports and an in-memory dead letter store."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import Counter
from collections.abc import Mapping

import pytest

from handlers.dead_letters import reprocess_dead_letters
from handlers.dispatch import dispatch
from handlers.ports import Ports
from handlers.reservations import get_reservation
from tests.support.azure_format import (
    a_cloudevent,
    as_cloudevents_letter,
    as_eventgrid_letter,
    blob,
    blob_name,
    book_with_billing_down,
)
from tests.support.harness import Bus, Clock, live_authorizations
from tests.support.memory_deadletters import InMemoryDeadLetterStore
from tests.unit.handlers.dead_letters.stories import ARCHIVED, PENDING, POISON, where


def test_a_dead_lettered_billing_event_is_replayed_and_the_booking_confirmed(
    ports: Ports, bus: Bus, store: InMemoryDeadLetterStore, clock: Clock
) -> None:
    reservation_id, allocated = book_with_billing_down(ports, bus)
    assert get_reservation(reservation_id, ports).status == "Pending"
    name = blob_name("billing")
    store.put(name, blob([as_cloudevents_letter(allocated)]))

    report = reprocess_dead_letters(store, ports, trigger="operator")
    bus.run()

    assert get_reservation(reservation_id, ports).status == "Confirmed"
    assert where(store, name) is ARCHIVED
    assert report.counts() == {
        "blobs": {"found": 1, "archived": 1, "poisoned": 0, "retrying": 0, "skipped": 0},
        "events": {"found": 1, "replayed": 1, "archived": 1, "failed": 0, "poisoned": 0},
    }
    metadata = store.metadata(ARCHIVED, name)
    assert metadata is not None
    assert metadata["outcome"] == "archived"
    assert metadata["reprocessAttempts"] == "1"
    assert metadata["reprocessedBy"] == "operator"
    assert metadata["reprocessedAt"] == "2031-04-01T12:00:00Z"
    assert "nextAttemptAt" not in metadata

    published = len(ports.publisher.published)  # type: ignore[attr-defined]
    again = reprocess_dead_letters(store, ports)
    assert again.blobs_found == 0
    assert again.events_replayed == 0
    assert len(ports.publisher.published) == published  # type: ignore[attr-defined]
    assert where(store, name) is ARCHIVED


def test_an_event_processed_meanwhile_counts_as_done(
    ports: Ports, bus: Bus, store: InMemoryDeadLetterStore
) -> None:
    reservation_id, allocated = book_with_billing_down(ports, bus)
    dispatch("billing", allocated["type"], allocated["data"], ports)  # a late live delivery
    bus.run()
    assert get_reservation(reservation_id, ports).status == "Confirmed"
    name = blob_name("billing")
    store.put(name, blob([as_cloudevents_letter(allocated)]))

    report = reprocess_dead_letters(store, ports)

    assert report.events_replayed == 1
    assert where(store, name) is ARCHIVED
    assert len(live_authorizations(ports)) == 1  # no second authorization


def test_a_blob_of_several_event_grid_schema_events_is_replayed_whole(
    ports: Ports, bus: Bus, store: InMemoryDeadLetterStore
) -> None:
    first_id, first = book_with_billing_down(
        ports, bus, guest={"id": "g-1", "name": "A", "email": "a@x.org"}
    )
    second_id, second = book_with_billing_down(ports, bus, roomType="DLX")
    name = blob_name("billing")
    store.put(name, blob([as_eventgrid_letter(first), as_eventgrid_letter(second)]))

    report = reprocess_dead_letters(store, ports)
    bus.run()

    assert report.events_found == 2
    assert report.events_replayed == 2
    assert where(store, name) is ARCHIVED
    assert get_reservation(first_id, ports).status == "Confirmed"
    assert get_reservation(second_id, ports).status == "Confirmed"


@pytest.mark.parametrize(
    ("folder", "body", "reason"),
    [
        (
            "PAYMENTS",
            blob([as_cloudevents_letter(a_cloudevent("Hotel.RoomAllocated", {}))]),
            "unknown subscription 'PAYMENTS'",
        ),
        ("BILLING", b'[{"specversion": "1.0", "id": ', "undecodable JSON"),
        ("BILLING", b"\xff\xfe not utf-8", "undecodable JSON"),
        ("BILLING", b'{"not": "an event"}', "neither CloudEvents"),
        ("BILLING", b"[]", "no events"),
        ("BILLING", b"42", "not a JSON array"),
        (
            "BILLING",
            blob([as_cloudevents_letter(a_cloudevent("Hotel.RoomAllocated", {"roomType": 1}))]),
            "EventSchemaError",
        ),
        (
            "BILLING",
            blob([as_eventgrid_letter(a_cloudevent("Hotel.SpaBooked", {}))]),
            "UnknownEventTypeError",
        ),
        (
            "BILLING",
            blob(
                [as_cloudevents_letter(a_cloudevent("Hotel.RoomAllocated", {"schemaVersion": 0}))]
            ),
            "unsupported schemaVersion 0",
        ),
    ],
    ids=[
        "unknown-subscription",
        "broken-json",
        "not-utf8",
        "not-an-event",
        "empty",
        "not-an-array",
        "schema-violation",
        "unknown-type",
        "version-below-one",
    ],
)
def test_what_can_never_succeed_is_poisoned_at_once_with_the_reason(
    ports: Ports, store: InMemoryDeadLetterStore, folder: str, body: bytes, reason: str
) -> None:
    name = f"{folder}/2031/4/1/9/{folder.lower()}-letter.json"
    store.put(name, body)

    report = reprocess_dead_letters(store, ports)

    assert where(store, name) is POISON
    assert store.read(POISON, name) == body  # the original bytes, untouched
    metadata = store.metadata(POISON, name)
    assert metadata is not None
    assert metadata["outcome"] == "poisoned"
    assert reason in metadata["reason"]
    assert metadata["reprocessAttempts"] == "1"
    (item,) = report.blobs
    assert item.outcome == "poisoned"
    assert reason in item.reason


def test_a_poison_event_poisons_its_blob_but_the_good_ones_are_applied(
    ports: Ports, bus: Bus, store: InMemoryDeadLetterStore
) -> None:
    reservation_id, allocated = book_with_billing_down(ports, bus)
    bad = a_cloudevent("Hotel.RoomAllocated", {"nonsense": True})
    name = blob_name("billing")
    store.put(name, blob([as_cloudevents_letter(allocated), as_cloudevents_letter(bad)]))

    report = reprocess_dead_letters(store, ports)
    bus.run()

    assert (report.events_replayed, report.events_poisoned) == (1, 1)
    assert where(store, name) is POISON
    metadata = store.metadata(POISON, name)
    assert metadata is not None
    assert bad["id"] in metadata["reason"]
    assert get_reservation(reservation_id, ports).status == "Confirmed"


def test_a_newer_schema_version_stays_pending_with_back_off_until_the_upgrade(
    ports: Ports, bus: Bus, store: InMemoryDeadLetterStore, clock: Clock
) -> None:
    # Dead-lettered during a rolling deploy: newer than this worker, fine for the next one.
    newer = a_cloudevent("Hotel.RoomAllocated", {"schemaVersion": 99})
    name = blob_name("billing")
    store.put(name, blob([as_cloudevents_letter(newer)]))

    report = reprocess_dead_letters(store, ports)

    assert where(store, name) is PENDING
    assert report.blobs_retrying == 1
    assert report.events_poisoned == 0
    metadata = store.metadata(PENDING, name)
    assert metadata is not None
    assert metadata["outcome"] == "retrying"
    assert "NewerSchemaVersionError" in metadata["reason"]
    assert metadata["nextAttemptAt"] == "2031-04-01T12:05:00Z"


def test_a_blob_mixing_a_poison_and_a_failing_event_says_which_was_poison(
    ports: Ports, bus: Bus, store: InMemoryDeadLetterStore
) -> None:
    _, allocated = book_with_billing_down(ports, bus)
    bad = a_cloudevent("Hotel.RoomAllocated", {"nonsense": True})
    name = blob_name("billing")
    store.put(name, blob([as_cloudevents_letter(allocated), as_cloudevents_letter(bad)]))

    def first_fails(subscription: str, event_type: str, data: object, ports: Ports) -> None:
        if isinstance(data, dict) and data.get("eventId") == allocated["data"]["eventId"]:
            raise ConnectionError("table storage is unreachable")
        dispatch(subscription, event_type, data, ports)

    report = reprocess_dead_letters(store, ports, dispatcher=first_fails)

    assert where(store, name) is POISON  # whole, as before
    (item,) = report.as_json()["items"]
    assert [(e["index"], e["eventId"]) for e in item["poisonEvents"]] == [(1, bad["id"])]
    assert item["poisonEvents"][0]["error"].startswith("EventSchemaError")
    assert item["reason"].startswith(f"poison: event 1 ({bad['id']}): EventSchemaError")
    assert (
        f"also failed (transient): event 0 ({allocated['id']}): ConnectionError" in (item["reason"])
    )


def test_two_reprocessors_at_once_apply_each_event_once(
    ports: Ports, bus: Bus, store: InMemoryDeadLetterStore
) -> None:
    letters = []
    for _ in range(8):
        _, allocated = book_with_billing_down(ports, bus)
        name = blob_name("billing")
        store.put(name, blob([as_cloudevents_letter(allocated)]))
        letters.append((name, allocated["id"]))
    seen: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(2)

    def counting(subscription: str, event_type: str, data: object, ports: Ports) -> None:
        assert isinstance(data, dict)
        with lock:
            seen[str(data["eventId"])] += 1
        dispatch(subscription, event_type, data, ports)

    reports = []

    def run() -> None:
        start.wait()
        reports.append(reprocess_dead_letters(store, ports, dispatcher=counting))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.blobs_archived for r in reports) == len(letters)
    assert sorted(seen.values()) == [1] * len(letters)
    assert all(where(store, name) is ARCHIVED for name, _ in letters)


class RecordedMetrics:
    """The ``DeadLetterMetrics`` port, keeping what it was given."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, Mapping[str, Mapping[str, int]]]] = []

    def record(self, trigger: str, counts: Mapping[str, Mapping[str, int]]) -> None:
        self.runs.append((trigger, counts))


def test_each_run_logs_and_counts_what_it_did(
    ports: Ports, bus: Bus, store: InMemoryDeadLetterStore, caplog: pytest.LogCaptureFixture
) -> None:
    _, allocated = book_with_billing_down(ports, bus)
    store.put(blob_name("billing"), blob([as_cloudevents_letter(allocated)]))
    store.put("NOBODY/2031/4/1/9/x.json", b"[]")
    metrics = RecordedMetrics()

    with caplog.at_level(logging.INFO, logger="handlers.dead_letters"):
        reprocess_dead_letters(store, dataclasses.replace(ports, dead_letter_metrics=metrics))

    summary = [r for r in caplog.records if r.getMessage().startswith("dead letters (timer)")]
    assert len(summary) == 1
    assert summary[0].deadLetters["blobs"]["archived"] == 1  # type: ignore[attr-defined]
    ((trigger, counts),) = metrics.runs
    assert trigger == "timer"
    assert counts == summary[0].deadLetters  # type: ignore[attr-defined]
    assert counts["blobs"]["found"] == 2
    assert counts["blobs"]["archived"] == counts["blobs"]["poisoned"] == 1
    assert counts["events"]["found"] == counts["events"]["replayed"] == 1
