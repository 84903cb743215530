"""What the host's workers share, with two workers' objects in one process: the faults file
(``devstack.host.faults``) and the peer sockets (``devstack.host.peers``) in a state directory."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.host.faults import FaultInjector, Injection
from devstack.host.peers import Peers
from devstack.host.storage_calls import RESET, SNAPSHOT, StorageCalls, combine

pytestmark = pytest.mark.integration


def shared(directory: Path) -> FaultInjector:
    faults = FaultInjector()
    faults.share(directory)
    return faults


def test_a_fault_set_in_one_worker_applies_in_the_other(tmp_path: Path) -> None:
    first, second = shared(tmp_path), shared(tmp_path)
    first.set("billing", 3, 503)
    assert [second.take("billing"), first.take("billing"), second.take("BILLING")] == [503] * 3
    assert first.take("billing") is None
    assert second.active() == []
    second.set_random("*", 1.0, 500)
    assert first.decide("rooms") == Injection(500)
    first.clear()
    assert second.decide("rooms") is None
    assert not (tmp_path / "faults.json").exists()  # no faults: no file to read per delivery


def test_a_counted_fault_is_consumed_exactly_once_per_failure_under_contention(
    tmp_path: Path,
) -> None:
    workers = [shared(tmp_path) for _ in range(4)]
    workers[0].set("rooms", 50, 500)
    taken: list[int | None] = []
    lock = threading.Lock()

    def deliver(faults: FaultInjector) -> None:
        for _ in range(40):
            status = faults.take("rooms")
            with lock:
                taken.append(status)

    threads = [threading.Thread(target=deliver, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert taken.count(500) == 50
    assert taken.count(None) == 4 * 40 - 50


def test_a_shared_seeded_fault_draws_the_same_sequence_as_one_in_memory(tmp_path: Path) -> None:
    memory = FaultInjector()
    memory.set_random("*", 0.5, 500, "either", seed=42)
    first, second = shared(tmp_path), shared(tmp_path)
    first.set_random("*", 0.5, 500, "either", seed=42)
    alternating = [(first if i % 2 else second).decide("rooms") for i in range(40)]
    assert alternating == [memory.decide("rooms") for _ in range(40)]


class FakeCounter:
    def __init__(self, counts: dict[str, dict[str, int]]) -> None:
        self.counts = counts

    def snapshot(self) -> dict[str, dict[str, int]]:
        return {step: dict(kinds) for step, kinds in self.counts.items()}

    def reset(self) -> None:
        self.counts = {}


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A state directory with a short path: a Unix socket's path is limited to ~100 bytes."""
    with tempfile.TemporaryDirectory(prefix="peers-") as name:
        yield Path(name)


def test_every_workers_storage_calls_are_summed_and_reset(short_dir: Path) -> None:
    counters = [FakeCounter({"rooms": {"read": 2}}), FakeCounter({"rooms": {"read": 3}, "": {}})]
    peers = [Peers(), Peers()]
    for index, (peer, counter) in enumerate(zip(peers, counters, strict=True)):
        StorageCalls(peer, counter)
        peer.share(short_dir, index)
    try:
        assert combine(peers[1].ask_all(SNAPSHOT)) == {
            "total": {"read": 5},
            "bySteps": {"": {}, "rooms": {"read": 5}},
        }
        peers[0].close()  # a dead worker: the other still answers for itself
        assert combine(peers[1].ask_all(SNAPSHOT))["total"] == {"read": 3}
        peers[1].ask_all(RESET)
        assert combine(peers[1].ask_all(SNAPSHOT)) == {"total": {}, "bySteps": {}}
    finally:
        for peer in peers:
            peer.close()
