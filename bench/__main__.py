"""`make bench`: N bookings at concurrency C against a local stack; prints and saves figures.

Starts its own stack (in-memory Azurite, emulator, host, on free ports) so the storage
transactions made by the app's adapters can be counted in-process. Figures:
accept latency (POST -> 202) p50/p95/p99, time to Confirmed p50/p99, bookings confirmed per
second, and storage transactions per booking (every adapter round trip while the bookings
settle, the outbox relay's scans included). Written to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from devstack.azurite import PROJECT_ROOT, Azurite, AzuritePorts, ensure_resources, free_port
from devstack.seed import app_seed_hook
from devstack.settings import SAMPLE_FILE, StackConfig, read_values
from devstack.stack import LocalStack

RESULTS = PROJECT_ROOT / "bench" / "results" / "latest.json"
FUNCTION_KEY = "bench-function-key"


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def booking_body(index: int) -> dict[str, Any]:
    # Spread stays over distinct nights so the figures measure the saga, not a sold-out hotel.
    start = datetime.now(UTC).date() + timedelta(days=30 + index)
    return {
        "hotelId": "grand-lisbon",
        "roomType": "STD",
        "checkIn": start.isoformat(),
        "checkOut": (start + timedelta(days=2)).isoformat(),
        "guests": 2,
        "guest": {"id": f"bench-{uuid.uuid4().hex[:8]}", "name": "Bench", "email": "b@x.org"},
        "paymentToken": "tok_visa",
    }


def run(bookings: int, concurrency: int, timeout: float) -> dict[str, Any]:
    from adapters.bootstrap import PROCESS_STORAGE_COUNTER

    azurite = Azurite(ports=AzuritePorts.free(), in_memory=True)
    print(f"bench: starting Azurite on {azurite.ports}", flush=True)
    azurite.start()
    try:
        ensure_resources(azurite.connection_string)
        config = StackConfig.from_values(
            read_values(PROJECT_ROOT / SAMPLE_FILE),
            storage=azurite.connection_string,
            host_port=free_port(),
            eventgrid_port=free_port(),
            function_key=FUNCTION_KEY,
            host_in_process=True,  # _measure reads this process's storage counter
        )
        with LocalStack(config, on_storage_ready=app_seed_hook()) as stack:
            return _measure(stack, bookings, concurrency, timeout, PROCESS_STORAGE_COUNTER)
    finally:
        azurite.stop()


def _measure(
    stack: LocalStack, bookings: int, concurrency: int, timeout: float, counter: Any
) -> dict[str, Any]:
    headers = {"x-functions-key": FUNCTION_KEY}
    client = httpx.Client(
        base_url=f"{stack.host_url}/api",
        headers=headers,
        timeout=30,
        limits=httpx.Limits(max_connections=concurrency + 4),
    )
    accepted: dict[str, float] = {}
    accept_latency: list[float] = []
    lock = threading.Lock()
    client.get("/hotels").raise_for_status()  # warm the app's clients before measuring
    stack.wait_idle(timeout=30)
    counter.reset()

    def submit(index: int) -> None:
        started = time.perf_counter()
        response = client.post("/reservations", json=booking_body(index))
        elapsed = time.perf_counter() - started
        response.raise_for_status()
        with lock:
            accept_latency.append(elapsed)
            accepted[response.json()["reservationId"]] = started

    print(f"bench: {bookings} bookings at concurrency {concurrency}", flush=True)
    wall_start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(submit, range(bookings)))
    print(f"bench: all accepted in {time.perf_counter() - wall_start:.2f}s", flush=True)

    to_confirmed: list[float] = []
    outcome: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    pending = set(accepted)
    while pending and time.monotonic() < deadline:
        for rid in list(pending):
            status = client.get(f"/reservations/{rid}").json()["status"]
            if status != "Pending":
                outcome[rid] = status
                pending.discard(rid)
                if status == "Confirmed":
                    to_confirmed.append(time.perf_counter() - accepted[rid])
        if pending:
            time.sleep(0.05)
    wall = time.perf_counter() - wall_start
    stack.wait_idle(timeout=30)
    transactions = counter.count
    client.close()

    confirmed = sum(1 for s in outcome.values() if s == "Confirmed")
    return {
        "timestamp": datetime.now(UTC).isoformat(),
        "bookings": bookings,
        "concurrency": concurrency,
        "confirmed": confirmed,
        "notSettled": len(pending),
        "acceptLatencyMs": {
            "p50": round(percentile(accept_latency, 50) * 1000, 1),
            "p95": round(percentile(accept_latency, 95) * 1000, 1),
            "p99": round(percentile(accept_latency, 99) * 1000, 1),
            "mean": round(statistics.fmean(accept_latency) * 1000, 1),
        },
        "timeToConfirmedMs": {
            "p50": round(percentile(to_confirmed, 50) * 1000, 1),
            "p99": round(percentile(to_confirmed, 99) * 1000, 1),
        },
        "confirmedPerSecond": round(confirmed / wall, 2),
        "storageTransactionsPerBooking": round(transactions / bookings, 1),
        "note": "timeToConfirmed includes the bench's 50 ms status polling; storage counts "
        "include the GET polling and the outbox relay's scans",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("-n", "--bookings", type=int, default=100)
    parser.add_argument("-c", "--concurrency", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait to settle")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    results = run(args.bookings, args.concurrency, args.timeout)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    print(f"bench: wrote {args.output}")
    return 0 if results["notSettled"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
