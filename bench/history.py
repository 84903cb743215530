"""History: many reservations already in storage, seeded fast with direct batch inserts.

Each seeded reservation is written as the app writes a confirmed one (``adapters.rows``): its
state row, version guard and outbox rows in one entity-group transaction of its own partition.
The Rooms table gets the held room-nights of that history, on past nights (a real hotel's
history is behind it), in batches of 100 rows per room-type partition. Several processes insert
in parallel; the host is not involved.
"""

from __future__ import annotations

import math
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from multiprocessing import get_context
from typing import Any, Final

from azure.core.exceptions import AzureError, ResourceExistsError, ServiceResponseError
from azure.data.tables import TableClient, TableTransactionError, TransactionOperation

from adapters.cloudevents import to_cloudevent
from adapters.connection import expand_connection_string
from adapters.layout import RESERVATIONS, STATE_ROW, night_row_key, rooms_partition
from adapters.rows import save_operations
from adapters.storage_names import RESERVATIONS_TABLE, ROOMS_TABLE
from domain.catalog import DEMO_CATALOG
from domain.reservation import Guest, Reservation
from domain.stay import Stay

BATCH_ROWS: Final = 100  # Azure's limit for one entity-group transaction
THREADS: Final = 4  # per process: overlaps each batch's round trip with the next one's build
ATTEMPTS: Final = 4
NIGHTS_PER_STAY: Final = 2
PROGRESS_EVERY: Final = 1000


def reservation_rows(index: int, today: date) -> list[dict[str, Any]]:
    """The rows of one past confirmed reservation, as the app's save writes them."""
    hotel = DEMO_CATALOG[index % len(DEMO_CATALOG)]
    room_type = next(iter(hotel.room_types.values()))
    check_in = today - timedelta(days=400 + index % 700)
    stay = Stay(hotel.hotel_id, room_type.code, check_in, check_in + timedelta(NIGHTS_PER_STAY))
    at = datetime.combine(check_in - timedelta(days=30), datetime.min.time(), UTC)
    rid = str(uuid.uuid4())
    reservation = Reservation.request(
        reservation_id=rid,
        stay=stay,
        guests=2,
        guest=Guest(id=f"hist-{index % 5000}", name="History Guest", email="h@example.org"),
        currency=hotel.currency,
        payment_method_ref=f"pm_{rid}",
        at=at,
    )
    reservation.confirm(
        room_number=room_type.room_numbers[0],
        total=room_type.nightly_rate * NIGHTS_PER_STAY,
        currency=hotel.currency,
        at=at + timedelta(seconds=1),
    )
    operations, _ = save_operations(
        context=RESERVATIONS,
        partition_key=rid,
        state_row_key=STATE_ROW,
        guard_key=STATE_ROW,
        aggregate=reservation,
        marker=None,
        to_cloudevent=to_cloudevent,
    )
    return [dict(op.entity) for op in operations]


def night_rows(count: int, today: date) -> dict[str, list[dict[str, Any]]]:
    """Held room-nights of ``count`` past stays, per Rooms partition, on past nights."""
    partitions: dict[str, list[dict[str, Any]]] = {}
    room_types = [(h.hotel_id, rt) for h in DEMO_CATALOG for rt in h.room_types.values()]
    total_rooms = sum(len(rt.room_numbers) for _, rt in room_types)
    days = math.ceil(count * NIGHTS_PER_STAY / total_rooms)
    for hotel_id, room_type in room_types:
        partition = rooms_partition(hotel_id, room_type.code)
        rows = partitions.setdefault(partition, [])
        for back in range(1, days + 1):
            night = today - timedelta(days=back)
            for room in room_type.room_numbers:
                rows.append(
                    {"PartitionKey": partition, "RowKey": night_row_key(night, room), "Rid": "hist"}
                )
    return partitions


def _submit(table: TableClient, operations: list[tuple[TransactionOperation, Any]]) -> None:
    """One batch; a dropped connection is retried (the SDK does not retry a batch POST), and a
    retried insert that finds its rows already there had succeeded the first time."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            table.submit_transaction(operations)
            return
        except (ResourceExistsError, TableTransactionError) as error:
            if attempt > 1 and "EntityAlreadyExists" in str(error):
                return
            raise
        except ServiceResponseError:
            if attempt == ATTEMPTS:
                raise
            time.sleep(0.2 * attempt)


def _in_threads(work: list[Any], do: Any) -> None:
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for future in [pool.submit(do, item) for item in work]:
            future.result()


def _insert_reservations(connection_string: str, first: int, count: int, today: str) -> int:
    day = date.fromisoformat(today)
    conn = expand_connection_string(connection_string)
    started = time.monotonic()
    try:
        with TableClient.from_connection_string(conn, RESERVATIONS_TABLE) as table:
            for start in range(first, first + count, PROGRESS_EVERY):
                indexes = range(start, min(first + count, start + PROGRESS_EVERY))
                _in_threads(
                    list(indexes),
                    lambda index: _submit(
                        table,
                        [(TransactionOperation.CREATE, r) for r in reservation_rows(index, day)],
                    ),
                )
                done = indexes.stop - first
                rate = done / (time.monotonic() - started)
                print(f"    seeding: {done:,}/{count:,} by one process ({rate:.0f}/s)", flush=True)
    except AzureError as error:  # tracebacks do not cross the process boundary
        raise RuntimeError(f"seeding reservations failed: {error}") from None
    return count


def _insert_rows(connection_string: str, rows: list[dict[str, Any]]) -> int:
    conn = expand_connection_string(connection_string)
    batches = [rows[start : start + BATCH_ROWS] for start in range(0, len(rows), BATCH_ROWS)]
    try:
        with TableClient.from_connection_string(conn, ROOMS_TABLE) as table:
            _in_threads(
                batches,
                lambda batch: _submit(table, [(TransactionOperation.UPSERT, r) for r in batch]),
            )
    except AzureError as error:
        raise RuntimeError(f"seeding room-nights failed: {error}") from None
    return len(rows)


def seed_history(
    connection_string: str, count: int, *, first: int = 0, processes: int = 4
) -> dict[str, Any]:
    """Insert ``count`` past reservations (numbered from ``first``) and their room-nights."""
    today = datetime.now(UTC).date()
    started = time.monotonic()
    share = math.ceil(count / processes)
    with ProcessPoolExecutor(max_workers=processes, mp_context=get_context("spawn")) as pool:
        futures = [
            pool.submit(
                _insert_reservations,
                connection_string,
                first + n * share,
                min(share, count - n * share),
                today.isoformat(),
            )
            for n in range(processes)
            if count - n * share > 0
        ]
        nights = [
            pool.submit(_insert_rows, connection_string, rows)
            for rows in night_rows(first + count, today).values()
        ]
        inserted = sum(f.result() for f in futures)
        night_count = sum(f.result() for f in nights)
    seconds = time.monotonic() - started
    return {
        "reservations": inserted,
        "roomNights": night_count,
        "seconds": round(seconds, 1),
        "reservationsPerSecond": round(inserted / seconds, 1) if seconds else 0.0,
    }
