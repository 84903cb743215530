"""The phases of a bench run against a started ``BenchStack``: one load run (the generator in its
own process), and the history probes (an availability query, one outbox relay pass)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import httpx

from bench.accounting import eventgrid_per_booking, executions_per_booking, storage_per_booking
from bench.collect import fetch_reservations, summarize
from bench.load import LoadSpec
from bench.procstats import ProcessSampler
from bench.stack import BenchStack
from bench.stats import summary_ms
from devstack.azurite import PROJECT_ROOT

Say = Callable[[str], None]
RELAY_FUNCTION: Final = "relay_outbox"


def run_load(
    stack: BenchStack,
    *,
    rate: float,
    duration: float,
    mix: str,
    day_offset: int,
    settle_timeout: float,
    say: Say,
) -> dict[str, Any]:
    """Offer ``rate`` bookings/s for ``duration`` s, wait for the saga to settle, read back."""
    stack.wait_quiet(timeout=settle_timeout)
    stack.reset_storage_calls()
    grid_before = stack.emulator_stats()
    spec = LoadSpec(
        api_url=stack.api_url,
        function_key=stack.function_key,
        rate=rate,
        duration=duration,
        mix=mix,
        day_offset=day_offset,
        seed=day_offset,
        today=datetime.now(UTC).date().isoformat(),
    )
    mark = stack.log_mark()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        spec_file, out_file = Path(tmp) / "spec.json", Path(tmp) / "out.json"
        spec_file.write_text(spec.to_json(), encoding="utf-8")
        with ProcessSampler(stack.processes) as sampler:
            started = time.monotonic()
            subprocess.run(
                [sys.executable, "-m", "bench.load", str(spec_file), str(out_file)],
                cwd=PROJECT_ROOT,
                check=True,
            )
            settled = stack.wait_quiet(timeout=settle_timeout)
            wall = time.monotonic() - started
        records: list[dict[str, Any]] = json.loads(out_file.read_text(encoding="utf-8"))
    # Counters before reading the reservations back, so the bench's own reads are not counted.
    calls, grid_after = stack.storage_calls(), stack.emulator_stats()
    executions = stack.executions(mark)
    ids = {r["reservation_id"] for r in records if r["reservation_id"]}
    followed = {r["reservation_id"] for r in records if r["op"] != "book"}
    reservations = fetch_reservations(stack.api_url, stack.function_key, ids, with_events=followed)
    result = summarize(records, reservations, offered=rate)
    counted = result["statuses"].get("Confirmed", 0) if mix == "pure" else result["bookings"]
    result.update(
        {
            "mix": mix,
            "durationSeconds": duration,
            "settled": settled,
            "wallSeconds": round(wall, 1),
            "storageCallsPerBooking": storage_per_booking(calls, counted),
            "eventGridPerBooking": eventgrid_per_booking(grid_before, grid_after, counted),
            "executionsPerBooking": executions_per_booking(executions, counted),
            "processes": sampler.result(),
        }
    )
    accept, terminal = result["acceptedMs"], result["toTerminalMs"]
    say(
        f"  {mix} {rate:g}/s: accept p50/p99 {accept['p50']}/{accept['p99']} ms, "
        f"to terminal {terminal['p50']}/{terminal['p99']} ms, "
        f"completed {result['completedPerSecond']}/s"
        + ("" if settled else " (not settled in time)")
    )
    return result


def availability_probe(stack: BenchStack, *, queries: int = 20) -> dict[str, Any]:
    """Sequential availability queries over a 14-night window; latency summary."""
    today = datetime.now(UTC).date()
    latencies: list[float] = []
    with httpx.Client(
        base_url=stack.api_url,
        headers={"x-functions-key": stack.function_key},
        timeout=30.0,
        trust_env=False,
    ) as client:
        for n in range(queries):
            start = today + timedelta(days=10 + n)
            params = {
                "roomType": "STD",
                "from": start.isoformat(),
                "to": (start + timedelta(days=14)).isoformat(),
            }
            began = time.perf_counter()
            response = client.get("/hotels/grand-lisbon/availability", params=params)
            latencies.append(time.perf_counter() - began)
            response.raise_for_status()
    return summary_ms(latencies)


def relay_probe(stack: BenchStack, timeout: float = 30.0) -> dict[str, Any]:
    """One ``relay_outbox`` pass: its wall time (admin invoke to the invocation count moving)
    and the storage calls it made."""
    stack.wait_quiet(timeout=timeout)
    before = stack.invocations().get(RELAY_FUNCTION, {})
    done_before = before.get("succeeded", 0) + before.get("failed", 0)
    stack.reset_storage_calls()
    began = time.perf_counter()
    if not stack.invoke_timer(RELAY_FUNCTION):
        return {"error": "the host did not accept the invocation"}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = stack.invocations().get(RELAY_FUNCTION, {})
        if now.get("succeeded", 0) + now.get("failed", 0) > done_before:
            break
        time.sleep(0.01)
    elapsed = time.perf_counter() - began
    calls = stack.storage_calls()
    step = (calls or {}).get("bySteps", {}).get(RELAY_FUNCTION) if calls else None
    return {"ms": round(elapsed * 1000, 1), "storageCalls": step}
