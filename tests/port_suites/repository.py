"""The Repository port: atomic save with version/etag check, outbox rows and processed markers."""

from __future__ import annotations

import threading

import pytest

from domain.errors import ConcurrencyError
from handlers.ports import Repository
from tests.port_suites.factory import PortFactory
from tests.port_suites.support import Tally, unique


class RepositoryContract:
    @pytest.fixture
    def repo(self, factory: PortFactory) -> Repository[Tally]:
        return factory.repository(Tally, "reservations")

    def test_an_unknown_key_reads_as_none(self, repo: Repository[Tally]) -> None:
        assert repo.get(unique("r")) is None

    def test_a_saved_aggregate_reads_back_with_version_and_etag(
        self, repo: Repository[Tally]
    ) -> None:
        key = unique("r")
        tally = Tally(reservation_id=key)
        event_id = tally.bump()

        entries = repo.save(key, tally)

        assert (tally.version, tally.pending_events) == (1, ())
        assert tally.etag is not None
        assert [e.cloudevent["id"] for e in entries] == [event_id]
        assert entries[0].cloudevent["type"] == "Hotel.TallyBumped"
        assert entries[0].context == "reservations"
        loaded = repo.get(key)
        assert loaded is not None
        assert (loaded.count, loaded.version, loaded.etag) == (1, 1, tally.etag)
        assert loaded.pending_events == ()

    def test_saving_the_loaded_aggregate_bumps_its_version(self, repo: Repository[Tally]) -> None:
        key = unique("r")
        repo.save(key, Tally(reservation_id=key))
        loaded = repo.get(key)
        assert loaded is not None
        loaded.bump()
        repo.save(key, loaded)
        reloaded = repo.get(key)
        assert reloaded is not None
        assert (reloaded.version, reloaded.count) == (2, 1)

    def test_creating_an_existing_aggregate_is_a_conflict(self, repo: Repository[Tally]) -> None:
        key = unique("r")
        repo.save(key, Tally(reservation_id=key))
        with pytest.raises(ConcurrencyError):
            repo.save(key, Tally(reservation_id=key, count=5))

    @pytest.mark.parametrize("with_events", [True, False])
    def test_a_stale_etag_is_a_conflict_and_changes_nothing(
        self, repo: Repository[Tally], with_events: bool
    ) -> None:
        key = unique("r")
        repo.save(key, Tally(reservation_id=key))
        first, second = repo.get(key), repo.get(key)
        assert first is not None
        assert second is not None
        first.bump()
        repo.save(key, first)
        second.count = 99
        if with_events:
            second.bump()

        with pytest.raises(ConcurrencyError):
            repo.save(key, second)

        assert second.version == 1  # untouched: the caller reloads and retries
        assert len(second.pending_events) == (1 if with_events else 0)
        current = repo.get(key)
        assert current is not None
        assert (current.count, current.version) == (1, 2)

    def test_the_same_processed_event_twice_is_a_conflict(self, repo: Repository[Tally]) -> None:
        key = unique("r")
        cause = unique("evt")
        tally = Tally(reservation_id=key)
        tally.bump()
        saved = repo.save(key, tally, marker=cause)
        record = repo.processed(key, cause)
        assert record is not None
        assert record.events == tuple(entry.cloudevent for entry in saved)
        assert not record.republished
        assert repo.processed(key, unique("evt")) is None

        again = repo.get(key)
        assert again is not None
        again.bump()
        with pytest.raises(ConcurrencyError):
            repo.save(key, again, marker=cause)
        current = repo.get(key)
        assert current is not None
        assert current.count == 1

    def test_a_marker_is_republished_once(self, repo: Repository[Tally]) -> None:
        key, cause = unique("r"), unique("evt")
        repo.save(key, Tally(reservation_id=key), marker=cause)
        repo.mark_republished(key, cause)
        record = repo.processed(key, cause)
        assert record is not None
        assert record.republished
        repo.mark_republished(key, unique("evt"))  # an unknown marker: nothing to mark

    def test_a_marker_holding_too_many_events_is_refused(self, repo: Repository[Tally]) -> None:
        key = unique("r")
        tally = Tally(reservation_id=key)
        for _ in range(80):  # 80 CloudEvents of ~870 UTF-16 bytes: over one 64 KiB property
            tally.bump()
        with pytest.raises(ValueError, match="64 KiB"):
            repo.save(key, tally, marker=unique("evt"))
        assert repo.get(key) is None

    def test_a_save_over_one_transaction_is_refused(self, repo: Repository[Tally]) -> None:
        key = unique("r")
        tally = Tally(reservation_id=key)
        for _ in range(99):  # state + guard + 99 events = 101 operations
            tally.bump()
        with pytest.raises(ValueError, match="transaction"):
            repo.save(key, tally)
        assert repo.get(key) is None

    def test_racing_writers_never_lose_an_update(self, repo: Repository[Tally]) -> None:
        key = unique("r")
        repo.save(key, Tally(reservation_id=key))
        writers = 8
        conflicts: list[int] = []
        barrier = threading.Barrier(writers)

        def increment() -> None:
            barrier.wait()
            while True:
                tally = repo.get(key)
                assert tally is not None
                tally.bump()
                try:
                    repo.save(key, tally)
                    return
                except ConcurrencyError:
                    conflicts.append(1)

        threads = [threading.Thread(target=increment) for _ in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        final = repo.get(key)
        assert final is not None
        assert (final.count, final.version) == (writers, writers + 1)
