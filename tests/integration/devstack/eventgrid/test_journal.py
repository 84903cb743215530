"""The delivery journal: accepted events survive a clean stop and a SIGKILL of the emulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.azurite import PROJECT_ROOT, free_port
from devstack.eventgrid.journal import Journal
from tests.integration.devstack.eventgrid.support import (
    KEY,
    Subscriber,
    config,
    running_emulator,
    unique,
    wait_until,
)

pytestmark = pytest.mark.integration


def cloud_events(*ids: str) -> bytes:
    return json.dumps(
        [
            {
                "id": event_id,
                "source": "/hotels",
                "specversion": "1.0",
                "type": "Hotel.ReservationRequested",
                "subject": f"/hotels/grand-lisbon/reservations/{event_id}",
                "data": {},
            }
            for event_id in ids
        ]
    ).encode()


def journaled(path: Path) -> list[Any]:
    """What the journal holds, read through a second connection (as a restart would)."""
    journal = Journal.open(path)
    try:
        return journal.pending()
    finally:
        journal.close()


def received_ids(subscriber: Subscriber, route: str, since: int = 0) -> Counter[str]:
    return Counter(r.body["id"] for r in subscriber.notifications(route)[since:])


def test_a_clean_stop_keeps_pending_deliveries_and_their_attempts(
    tmp_path: Path, storage_connection_string: str, subscriber: Subscriber
) -> None:
    rooms = unique("rooms")
    journal = tmp_path / "journal.sqlite"
    subscriber.answer(rooms, 503)  # validated, but every delivery fails and is retried
    cfg = config(
        storage_connection_string,
        [{"name": rooms, "endpoint": subscriber.endpoint(rooms)}],
        deliveryMultiplier=2,
        journal=str(journal),
    )
    ids = ["a1", "a2", "a3", "a4"]
    with running_emulator(cfg) as topic:
        assert topic.post(cloud_events("a1", "a2", "a3")).status_code == 200
        assert topic.post(cloud_events("a4")).status_code == 200
        wait_until(
            lambda: (
                len(journaled(journal)) == 8
                and all(row.attempts >= 1 for row in journaled(journal))
            ),
            what="every copy attempted at least once",
        )
    rows = journaled(journal)
    assert Counter(row.events[0]["id"] for row in rows) == {i: 2 for i in ids}

    with running_emulator(cfg) as topic:  # the subscriber still fails: nothing is lost
        stats = topic.stats()
        assert stats["pending"] == 8
        assert stats["subscriptions"][rooms]["pending"] == 8
        healthy_from = len(subscriber.notifications(rooms))
        subscriber.answer(rooms, 200)
        topic.wait_for(rooms, "delivered", 8)
        wait_until(lambda: topic.stats()["pending"] == 0, what="nothing pending")
    after = subscriber.notifications(rooms)[healthy_from:]
    # Every copy of every event exactly once more, and its retry count continued.
    assert received_ids(subscriber, rooms, healthy_from) == {i: 2 for i in ids}
    assert all(int(r.headers["aeg-delivery-count"]) >= 1 for r in after)
    assert journaled(journal) == []


def test_the_time_to_live_counts_from_the_original_publish(
    tmp_path: Path, storage_connection_string: str, subscriber: Subscriber
) -> None:
    rooms = unique("rooms")
    journal = tmp_path / "journal.sqlite"
    subscriber.answer(rooms, 503)
    cfg = config(
        storage_connection_string,
        [
            {
                "name": rooms,
                "endpoint": subscriber.endpoint(rooms),
                "retryPolicy": {"eventTimeToLiveSeconds": 1.5},
            }
        ],
        retryDelaysSeconds=[5],
        journal=str(journal),
    )
    with running_emulator(cfg) as topic:
        assert topic.post(cloud_events("t1")).status_code == 200
        published = time.monotonic()
        topic.wait_for(rooms, "retried", 1)
    time.sleep(max(0.0, 1.6 - (time.monotonic() - published)))
    subscriber.answer(rooms, 200)
    with running_emulator(cfg) as topic:
        topic.wait_for(rooms, "dropped", 1)
        assert topic.sub(rooms)["delivered"] == 0
    assert received_ids(subscriber, rooms) == {"t1": 1}  # the one failed attempt only
    assert journaled(journal) == []


def test_deliveries_for_a_subscription_no_longer_configured_stay_in_the_journal(
    tmp_path: Path, storage_connection_string: str
) -> None:
    rooms = unique("rooms")
    journal = tmp_path / "journal.sqlite"
    down = f"http://127.0.0.1:{free_port()}/{rooms}"
    with running_emulator(
        config(storage_connection_string, [{"name": rooms, "endpoint": down}], journal=str(journal))
    ) as topic:
        assert topic.post(cloud_events("u1")).status_code == 200
    with running_emulator(config(storage_connection_string, [], journal=str(journal))) as topic:
        assert topic.stats()["pending"] == 0
    assert [row.subscription for row in journaled(journal)] == [rooms]


# -- a real process, killed ----------------------------------------------------------------------


@contextmanager
def emulator_process(config_path: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.eventgrid", "--config", str(config_path),
         "--port", str(port), "--log-level", "warning"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/devstack/stats", trust_env=False)
                break
            except httpx.TransportError:
                assert process.poll() is None, "the emulator exited"
                assert time.monotonic() < deadline, "the emulator did not start"
                time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=15)


def write_config(path: Path, storage: str, name: str, endpoint: str, journal: Path) -> Path:
    path.write_text(
        json.dumps(
            {
                "topic": {"name": "hotel-events", "key": KEY},
                "storage": storage,
                "retryDelaysSeconds": [0.1],
                "deliveryMultiplier": 2,
                "journal": str(journal),
                "subscriptions": [{"name": name, "endpoint": endpoint}],
            }
        )
    )
    return path


def test_a_killed_emulator_delivers_every_accepted_event_after_a_restart(
    tmp_path: Path, storage_connection_string: str, subscriber: Subscriber
) -> None:
    rooms = unique("rooms")
    journal = tmp_path / "journal.sqlite"
    down = f"http://127.0.0.1:{free_port()}/{rooms}"  # nothing listens: the subscriber is down
    cfg = write_config(tmp_path / "eg.json", storage_connection_string, rooms, down, journal)
    port = free_port()
    accepted: list[str] = []
    with emulator_process(cfg, port) as process:
        for batch in range(5):
            ids = [f"k{batch}-{i}" for i in range(3)]
            response = httpx.post(
                f"http://127.0.0.1:{port}/api/events",
                content=cloud_events(*ids),
                headers={"content-type": "application/json", "aeg-sas-key": KEY},
                trust_env=False,
            )
            assert response.status_code == 200
            accepted += ids
        os.kill(process.pid, signal.SIGKILL)  # no shutdown code runs
        process.wait(timeout=15)
    assert len(journaled(journal)) == 2 * len(accepted)

    write_config(cfg, storage_connection_string, rooms, subscriber.endpoint(rooms), journal)
    port = free_port()
    with emulator_process(cfg, port):
        stats_url = f"http://127.0.0.1:{port}/devstack/stats"

        def settled() -> bool:
            stats = httpx.get(stats_url, trust_env=False).json()
            return bool(stats["pending"] == 0 and stats["subscriptions"][rooms]["validated"])

        wait_until(settled, timeout=30, what="the restarted emulator to deliver everything")
        stats = httpx.get(stats_url, trust_env=False).json()
    assert stats["subscriptions"][rooms]["delivered"] == 2 * len(accepted)
    assert received_ids(subscriber, rooms) == {event_id: 2 for event_id in accepted}
    assert journaled(journal) == []
