"""The operator's requeue: poison (or archived) blobs back to ``deadletter`` for the reprocessor."""

from __future__ import annotations

import dataclasses
import json

import azure.functions as func
import pytest

from entrypoints import ops, wiring
from handlers.dead_letters import reprocess_dead_letters, requeue_dead_letters
from handlers.ports import Ports
from handlers.reservations import get_reservation
from tests.support.azure_format import (
    as_cloudevents_letter,
    blob,
    blob_name,
    book_with_billing_down,
)
from tests.support.harness import Bus, Clock
from tests.support.memory_deadletters import InMemoryDeadLetterStore
from tests.unit.handlers.dead_letters.stories import ARCHIVED, PENDING, POISON, Flaky, where


def poisoned_after_five_failed_runs(
    ports: Ports, bus: Bus, store: InMemoryDeadLetterStore, clock: Clock
) -> tuple[str, str, Flaky]:
    reservation_id, allocated = book_with_billing_down(ports, bus)
    name = blob_name("billing")
    store.put(name, blob([as_cloudevents_letter(allocated)]))
    flaky = Flaky()
    for _ in range(5):
        reprocess_dead_letters(store, ports, dispatcher=flaky, force=True)
    assert where(store, name) is POISON
    return reservation_id, name, flaky


def test_a_poison_blob_requeued_by_name_is_replayed_by_the_next_run(
    ports: Ports, bus: Bus, store: InMemoryDeadLetterStore, clock: Clock
) -> None:
    reservation_id, name, flaky = poisoned_after_five_failed_runs(ports, bus, store, clock)
    flaky.down = False  # the cause is fixed

    report = requeue_dead_letters(store, ports, name=name)

    assert report.as_json() == {
        "from": "poison",
        "requeuedAt": "2031-04-01T12:00:00Z",
        "counts": {"found": 1, "requeued": 1, "skipped": 0},
        "items": [
            {
                "blob": name,
                "subscription": "billing",
                "outcome": "requeued",
                "attempts": 5,
                "reason": store.metadata(PENDING, name)["reason"],  # type: ignore[index]
            }
        ],
    }
    assert where(store, name) is PENDING
    metadata = store.metadata(PENDING, name)
    assert metadata is not None
    assert metadata["reprocessAttempts"] == "0"
    assert "nextAttemptAt" not in metadata
    assert metadata["outcome"] == "requeued"
    assert metadata["requeuedAt"] == "2031-04-01T12:00:00Z"
    assert metadata["requeuedFrom"] == "poison"
    assert metadata["requeueCount"] == "1"
    assert "failed 5 reprocessing runs" in metadata["reason"]  # the audit trail keeps why

    run = reprocess_dead_letters(store, ports, dispatcher=flaky)  # not forced: it is due
    bus.run()

    assert run.blobs_archived == 1
    assert where(store, name) is ARCHIVED
    assert store.metadata(ARCHIVED, name)["reprocessAttempts"] == "1"  # type: ignore[index]
    assert get_reservation(reservation_id, ports).status == "Confirmed"


def test_requeueing_by_subscription_moves_only_that_folder_and_counts_requeues(
    ports: Ports, store: InMemoryDeadLetterStore
) -> None:
    billing = [blob_name("billing") for _ in range(3)]
    rooms = blob_name("rooms")
    for name in [*billing, rooms]:
        store.put(name, b"[]", state=POISON, metadata={"requeueCount": "2"})

    report = requeue_dead_letters(store, ports, subscription="billing", limit=2)

    assert report.as_json()["counts"] == {"found": 2, "requeued": 2, "skipped": 0}
    assert [where(store, name) for name in billing].count(PENDING) == 2
    assert where(store, rooms) is POISON
    moved = [name for name in billing if where(store, name) is PENDING]
    assert all(store.metadata(PENDING, n)["requeueCount"] == "3" for n in moved)  # type: ignore[index]


def test_an_archived_blob_can_be_requeued_too(ports: Ports, store: InMemoryDeadLetterStore) -> None:
    name = blob_name("billing")
    store.put(name, b"[]", state=ARCHIVED, metadata={"outcome": "archived"})

    report = requeue_dead_letters(store, ports, source=ARCHIVED, subscription="billing")

    assert report.as_json()["from"] == "archived"
    assert where(store, name) is PENDING
    assert store.metadata(PENDING, name)["requeuedFrom"] == "archived"  # type: ignore[index]


def test_a_name_outside_the_given_subscription_or_missing_requeues_nothing(
    ports: Ports, store: InMemoryDeadLetterStore
) -> None:
    name = blob_name("rooms")
    store.put(name, b"[]", state=POISON)

    assert requeue_dead_letters(store, ports, subscription="billing", name=name).items == []
    assert requeue_dead_letters(store, ports, name=blob_name("rooms")).items == []
    assert where(store, name) is POISON


def test_a_blob_whose_pending_twin_is_being_replayed_is_skipped(
    ports: Ports, store: InMemoryDeadLetterStore
) -> None:
    name = blob_name("billing")
    store.put(name, b"[]", state=POISON)
    store.put(name, b"[]")
    assert store.claim(name) is not None  # a reprocessor is replaying the pending twin

    report = requeue_dead_letters(store, ports, name=name)

    (item,) = report.items
    assert item["outcome"] == "skipped"
    assert "being replayed" in item["reason"]
    assert store.read(POISON, name) == b"[]"


# -- the route ------------------------------------------------------------------------------


@pytest.fixture
def route(ports: Ports, store: InMemoryDeadLetterStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ops routes, wired to the in-memory ports and dead-letter store."""
    wired = dataclasses.replace(ports, dead_letters=store)
    monkeypatch.setattr(wiring, "ports", lambda: wired)


def call(params: dict[str, str]) -> func.HttpResponse:
    request = func.HttpRequest(
        "POST", "http://localhost/api/ops/dead-letters/requeue", params=params, body=b""
    )
    handler = ops.requeue_dead_letters._function.get_user_function()
    response: func.HttpResponse = handler(request)
    return response


@pytest.mark.usefixtures("route")
def test_the_route_requeues_and_answers_the_report(store: InMemoryDeadLetterStore) -> None:
    name = blob_name("billing")
    store.put(name, b"[]", state=POISON)

    response = call({"state": "poison", "subscription": "billing"})

    assert response.status_code == 200
    body = json.loads(response.get_body())
    assert body["counts"] == {"found": 1, "requeued": 1, "skipped": 0}
    assert body["items"][0]["blob"] == name
    assert where(store, name) is PENDING


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"state": "deadlettered", "subscription": "billing"},
        {"name": "BILLING/../../etc/x.json"},
        {"subscription": "billing", "limit": "0"},
    ],
    ids=["neither-subscription-nor-name", "from-pending", "path-escape", "limit"],
)
@pytest.mark.usefixtures("route")
def test_the_route_refuses_bad_queries(params: dict[str, str]) -> None:
    assert call(params).status_code == 400


@pytest.mark.usefixtures("route")
def test_the_route_answers_404_for_an_unknown_blob() -> None:
    assert call({"name": blob_name("billing")}).status_code == 404
