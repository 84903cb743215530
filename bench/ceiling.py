"""The ceiling: a booking's own storage calls replayed by the same SDK, nothing else running.

From the measured storage calls per booking by kind, each "booking" replays equivalent calls with
azure-data-tables against the same Azurite: entity-group transactions of ``BATCH_ENTITIES``
entities of about ``PROPERTY_BYTES`` each in the booking's own partition (what one unit-of-work
commit writes: state, version guard, outbox row, marker), point reads and one-partition queries of
those rows, single inserts, upserts, updates and deletes. Several processes with several threads
each replay bookings back to back for a fixed time; bookings/s is the app's upper bound on this
machine for that storage work.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, Final

from azure.data.tables import TableClient, TableServiceClient

from adapters.connection import expand_connection_string

TABLE: Final = "BenchCeiling"
BATCH_ENTITIES: Final = 4
PROPERTY_BYTES: Final = 600
# What the issue measured on main (8 transactions, 7 point reads, 1 query, 1 insert): the
# profile replayed when the host does not report storage calls.
ASSUMED_PROFILE: Final = {"transaction": 8, "read": 7, "query": 1, "insert": 1}


def _calls(profile: Mapping[str, float]) -> dict[str, int]:
    # A booking makes whole calls: 0.6 transactions per booking is one in most bookings.
    return {kind: math.ceil(n) for kind, n in profile.items() if n > 0}


def _entity(partition: str, row: str) -> dict[str, Any]:
    return {"PartitionKey": partition, "RowKey": row, "Data": "x" * PROPERTY_BYTES}


def replay_booking(table: TableClient, calls: Mapping[str, int]) -> None:
    """One booking's worth of calls, in its own partition."""
    pk = uuid.uuid4().hex
    inserts = calls.get("insert", 0)
    for n in range(inserts):  # the first insert is the row the reads and updates touch
        table.create_entity(_entity(pk, "state" if n == 0 else f"ins|{n}"))
    for n in range(calls.get("transaction", 0)):
        table.submit_transaction(
            [("create", _entity(pk, f"tx|{n:03d}|{i}")) for i in range(BATCH_ENTITIES)]
        )
    if not inserts:
        table.upsert_entity(_entity(pk, "state"))  # one extra call: the row to read back
    for _ in range(calls.get("read", 0)):
        table.get_entity(pk, "state")
    for _ in range(calls.get("query", 0)):
        list(table.query_entities("PartitionKey eq @pk", parameters={"pk": pk}))
    for _ in range(calls.get("upsert", 0)):
        table.upsert_entity(_entity(pk, "state"))
    for _ in range(calls.get("update", 0)):
        table.update_entity(_entity(pk, "state"))
    for n in range(calls.get("delete", 0)):
        table.create_entity(_entity(pk, f"del|{n}"))
        table.delete_entity(pk, f"del|{n}")


def _worker(connection_string: str, calls: dict[str, int], seconds: float, threads: int) -> int:
    conn = expand_connection_string(connection_string)
    done = [0] * threads
    deadline = time.monotonic() + seconds

    def loop(slot: int) -> None:
        with TableClient.from_connection_string(conn, TABLE) as table:
            while time.monotonic() < deadline:
                replay_booking(table, calls)
                done[slot] += 1

    workers = [threading.Thread(target=loop, args=(slot,)) for slot in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done)


def measure_ceiling(
    connection_string: str,
    profile: Mapping[str, float],
    *,
    processes: int = 4,
    threads: int = 4,
    seconds: float = 10.0,
) -> dict[str, Any]:
    """Bookings/s of the replayed calls from ``processes`` x ``threads`` callers."""
    calls = _calls(profile)
    with TableServiceClient.from_connection_string(
        expand_connection_string(connection_string)
    ) as service:
        service.create_table_if_not_exists(TABLE)
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=processes, mp_context=get_context("spawn")) as pool:
        futures = [
            pool.submit(_worker, connection_string, calls, seconds, threads)
            for _ in range(processes)
        ]
        bookings = sum(f.result() for f in futures)
    elapsed = max(seconds, time.monotonic() - started - 1.0)  # minus about a process start
    per_booking = sum(calls.values()) + (0 if calls.get("insert") else 1)
    return {
        "bookingsPerSecond": round(bookings / seconds, 2),
        "replayedBookings": bookings,
        "callsPerBooking": calls,
        "storageCallsPerSecond": round(bookings * per_booking / seconds, 1),
        "processes": processes,
        "threadsPerProcess": threads,
        "seconds": seconds,
        "wallSeconds": round(elapsed, 1),
    }
