"""The emulator's delivery journal: accepted deliveries on disk, so a restart or crash loses none.

Event Grid promises at-least-once delivery once the topic answered 200. The emulator keeps that
promise across restarts by writing every accepted delivery (each copy, for each matching
subscription) to a SQLite file before answering, updating its attempt count and next due time
after every failed attempt, and deleting it once it was delivered, dead-lettered or dropped.

SQLite in WAL mode with ``synchronous=NORMAL``: a commit is durable against a process kill (the
WAL is in the OS page cache), though not against a power cut, which is enough for a local stack.
Writes are sub-millisecond, so the emulator calls them from its event loop. The connection is
shared across threads behind a lock because tests and the stack may touch it from another thread.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

SCHEMA_VERSION: Final = 1

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription TEXT NOT NULL,
    events TEXT NOT NULL,
    publish_time REAL NOT NULL,
    due REAL NOT NULL,
    copy INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_outcome TEXT,
    last_attempt_time REAL
)
"""


class JournalError(RuntimeError):
    """The journal file cannot be opened or was written by an incompatible version."""


@dataclass(frozen=True)
class NewDelivery:
    """What the journal needs of a delivery it has not stored yet."""

    subscription: str
    events: Sequence[dict[str, Any]]
    publish_time: datetime
    due: float  # wall clock (epoch seconds) of the next attempt
    copy: int


@dataclass(frozen=True)
class JournaledDelivery:
    """A stored delivery, as read back when the emulator starts."""

    id: int
    subscription: str
    events: list[dict[str, Any]]
    publish_time: datetime
    due: float
    copy: int
    attempts: int
    last_status: int | None
    last_outcome: str | None
    last_attempt_time: datetime | None


def _epoch(when: datetime) -> float:
    return when.timestamp()


def _datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class Journal:
    """One SQLite file of pending deliveries; ``Journal.open(path)``, then ``close()``."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: str | Path) -> Journal:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves so a batch is one transaction.
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(f"cannot open the Event Grid journal {path}: {exc}") from exc
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise JournalError(
                    f"{path} has journal format {version}, this emulator reads {SCHEMA_VERSION}: "
                    "move the file away (its pending deliveries are lost) or use another path"
                )
            db.execute(_SCHEMA)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            db.close()
            raise JournalError(f"{path} is not a usable Event Grid journal: {exc}") from exc
        except JournalError:
            db.close()
            raise
        return cls(db, path)

    def add(self, deliveries: Iterable[NewDelivery]) -> list[int]:
        """Store deliveries in one transaction (all or none); their ids, in order."""
        rows = [
            (
                d.subscription,
                json.dumps(list(d.events), ensure_ascii=False),
                _epoch(d.publish_time),
                d.due,
                d.copy,
            )
            for d in deliveries
        ]
        ids: list[int] = []
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for row in rows:
                    cursor = self._db.execute(
                        "INSERT INTO deliveries (subscription, events, publish_time, due, copy) "
                        "VALUES (?, ?, ?, ?, ?)",
                        row,
                    )
                    assert cursor.lastrowid is not None
                    ids.append(cursor.lastrowid)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return ids

    def record_attempt(
        self,
        delivery_id: int,
        *,
        attempts: int,
        last_status: int | None,
        last_outcome: str | None,
        last_attempt_time: datetime | None,
        due: float,
    ) -> None:
        """A failed attempt that will be retried: its count, result and next due time."""
        with self._lock:
            self._db.execute(
                "UPDATE deliveries SET attempts = ?, last_status = ?, last_outcome = ?, "
                "last_attempt_time = ?, due = ? WHERE id = ?",
                (
                    attempts,
                    last_status,
                    last_outcome,
                    None if last_attempt_time is None else _epoch(last_attempt_time),
                    due,
                    delivery_id,
                ),
            )

    def remove(self, delivery_id: int) -> None:
        """The delivery is settled: delivered, dead-lettered or dropped."""
        with self._lock:
            self._db.execute("DELETE FROM deliveries WHERE id = ?", (delivery_id,))

    def pending(self) -> list[JournaledDelivery]:
        """Every stored delivery, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, subscription, events, publish_time, due, copy, attempts, "
                "last_status, last_outcome, last_attempt_time FROM deliveries ORDER BY id"
            ).fetchall()
        return [
            JournaledDelivery(
                id=row[0],
                subscription=row[1],
                events=json.loads(row[2]),
                publish_time=_datetime(row[3]),
                due=row[4],
                copy=row[5],
                attempts=row[6],
                last_status=row[7],
                last_outcome=row[8],
                last_attempt_time=None if row[9] is None else _datetime(row[9]),
            )
            for row in rows
        ]

    def count(self) -> int:
        with self._lock:
            result: int = self._db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0]
        return result

    def close(self) -> None:
        with self._lock:
            self._db.close()
