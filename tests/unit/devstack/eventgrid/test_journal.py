"""The delivery journal: what is stored survives closing (or abandoning) the connection."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devstack.eventgrid.journal import Journal, JournalError, NewDelivery

PUBLISHED = datetime(2025, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)


def new(subscription: str = "rooms", *ids: str, copy: int = 0) -> NewDelivery:
    events = [{"id": i, "type": "Hotel.ReservationRequested"} for i in ids or ("e1",)]
    return NewDelivery(subscription, events, PUBLISHED, PUBLISHED.timestamp() + 1.5, copy)


def test_added_deliveries_are_read_back_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    journal = Journal.open(path)
    ids = journal.add([new("rooms", "e1"), new("rooms", "e1", copy=1), new("billing", "e2", "e3")])
    journal.close()

    reopened = Journal.open(path)
    rows = reopened.pending()
    reopened.close()
    assert [row.id for row in rows] == ids
    assert [(row.subscription, row.copy) for row in rows] == [
        ("rooms", 0),
        ("rooms", 1),
        ("billing", 0),
    ]
    assert rows[2].events == [
        {"id": "e2", "type": "Hotel.ReservationRequested"},
        {"id": "e3", "type": "Hotel.ReservationRequested"},
    ]
    assert rows[0].publish_time == PUBLISHED
    assert rows[0].due == pytest.approx(PUBLISHED.timestamp() + 1.5)
    assert (rows[0].attempts, rows[0].last_status, rows[0].last_outcome) == (0, None, None)
    assert rows[0].last_attempt_time is None


def test_a_failed_attempt_is_recorded_and_a_settled_delivery_removed(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "j.sqlite")
    first, second = journal.add([new("rooms", "e1"), new("rooms", "e2")])
    attempted = PUBLISHED + timedelta(seconds=3)
    journal.record_attempt(
        first,
        attempts=2,
        last_status=503,
        last_outcome="Busy",
        last_attempt_time=attempted,
        due=attempted.timestamp() + 10,
    )
    journal.remove(second)
    (row,) = journal.pending()
    journal.close()
    assert row.id == first
    assert (row.attempts, row.last_status, row.last_outcome) == (2, 503, "Busy")
    assert row.last_attempt_time == attempted
    assert row.due == pytest.approx(attempted.timestamp() + 10)
    assert row.publish_time == PUBLISHED  # the time to live keeps counting from the publish


def test_commits_survive_an_abandoned_connection(tmp_path: Path) -> None:
    """A killed process never closes its connection: committed rows must still be there."""
    path = tmp_path / "j.sqlite"
    journal = Journal.open(path)
    journal.add([new("rooms", "e1")])
    # No close(): a second connection (as after a restart) sees the committed row.
    other = Journal.open(path)
    assert [row.events[0]["id"] for row in other.pending()] == ["e1"]
    assert other.count() == 1
    other.close()
    journal.close()


def test_it_uses_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    Journal.open(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_batch_is_all_or_nothing(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "j.sqlite")

    class Unserializable:
        pass

    bad = NewDelivery("rooms", [{"id": Unserializable()}], PUBLISHED, 0.0, 0)
    with pytest.raises(TypeError):
        journal.add([new("rooms", "e1"), bad])
    assert journal.pending() == []
    journal.close()


def test_a_missing_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "j.sqlite"
    Journal.open(path).close()
    assert path.is_file()


def test_a_file_that_is_not_a_journal_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "not.sqlite"
    path.write_text("this is not a database " * 100)
    with pytest.raises(JournalError, match="not a usable Event Grid journal"):
        Journal.open(path)


def test_a_newer_journal_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version=99")
    with pytest.raises(JournalError, match="journal format 99"):
        Journal.open(path)
