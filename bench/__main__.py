"""`make bench`: an open-loop benchmark of the whole local stack; see docs/performance.md.

Starts Azurite, the Event Grid emulator and the Functions host as separate processes, then:
history probe on the fresh store; the realistic mix at each offered rate (open loop, the
generator in its own process); a search for the saturation point; a pure-booking run; history
probes after seeding 10,000 (and with ``--history-100k`` 100,000) past reservations; the ceiling
(the booking's storage calls replayed with the host and emulator stopped). Writes
bench/results/latest.json, PNG charts next to it, and the figures block of docs/performance.md.
``--quick`` is a short smoke run that writes bench/results/quick.json and leaves the docs alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.ceiling import ASSUMED_PROFILE, measure_ceiling
from bench.charts import write_charts
from bench.costs import cost_per_million
from bench.history import seed_history
from bench.phases import availability_probe, relay_probe, run_load
from bench.report import (
    DOC,
    RESULTS_DIR,
    figures_markdown,
    missing_keys,
    replace_block,
    targets,
)
from bench.stack import BenchStack

SATURATED_SHARE = 0.85  # a run completing less than this share of its offered rate is saturated


@dataclass(frozen=True)
class Plan:
    rates: tuple[float, ...]
    duration: float
    search_steps: int
    pure_rate: float
    history: tuple[int, ...]  # cumulative reservation counts to seed and probe
    history_rate: float
    history_duration: float
    ceiling_seconds: float
    settle_timeout: float
    budget_seconds: float  # the search stops early to stay inside it


def plan_of(args: argparse.Namespace) -> Plan:
    if args.quick:
        return Plan((4, 8), 2, 0, 8, (0, 200), 4, 2, 2, 20, 60)
    history = (0, 10_000, 100_000) if args.history_100k else (0, 10_000)
    rates = tuple(float(r) for r in args.rates.split(","))
    return Plan(rates, args.duration, 2, 8, history, 4, 5, 10, 40, 240)


def saturated(run: dict[str, Any]) -> bool:
    return (
        not run["settled"] or run["completedPerSecond"] < SATURATED_SHARE * run["offeredPerSecond"]
    )


class Bench:
    def __init__(self, stack: BenchStack, plan: Plan) -> None:
        self.stack = stack
        self.plan = plan
        self.started = time.monotonic()
        self.runs = 0

    def say(self, line: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {line}", flush=True)

    def load(self, rate: float, duration: float, mix: str) -> dict[str, Any]:
        self.runs += 1
        return run_load(
            self.stack,
            rate=rate,
            duration=duration,
            mix=mix,
            day_offset=30 + 1000 * self.runs,
            settle_timeout=self.plan.settle_timeout,
            say=self.say,
        )

    def history_point(self, reservations: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """The history probes, and the low-rate booking run they made."""
        booking = self.load(self.plan.history_rate, self.plan.history_duration, "pure")
        point = {
            "reservations": reservations,
            "booking": {
                k: booking[k] for k in ("acceptedMs", "toTerminalMs", "completedPerSecond")
            },
            "availabilityMs": availability_probe(self.stack),
            "relay": relay_probe(self.stack),
        }
        return point, booking

    def search(self, runs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], float | None]:
        """Bisect between the highest unsaturated and the lowest saturated offered rate."""
        good = [r["offeredPerSecond"] for r in runs if not saturated(r)]
        bad = [r["offeredPerSecond"] for r in runs if saturated(r)]
        low = max(good, default=None)
        high = min((b for b in bad if low is None or b > low), default=None)
        found: list[dict[str, Any]] = []
        for _ in range(self.plan.search_steps):
            if low is None or high is None or high - low < 2:
                break
            if time.monotonic() - self.started > self.plan.budget_seconds:
                self.say("search: stopped early to stay inside the time budget")
                break
            middle = round((low + high) / 2)
            run = self.load(middle, self.plan.duration, "mix")
            found.append(run)
            low, high = (low, middle) if saturated(run) else (middle, high)
        return found, low

    def run(self) -> dict[str, Any]:
        plan = self.plan
        self.say("warming up")
        self.load(2, 2, "pure")
        history: list[dict[str, Any]] = []
        self.say("history: probes on the fresh store")
        fresh, unloaded = self.history_point(0)
        history.append(fresh)
        rates: list[dict[str, Any]] = []
        for rate in plan.rates:
            self.say(f"mix at {rate:g} bookings/s for {plan.duration:g} s")
            rates.append(self.load(rate, plan.duration, "mix"))
        self.say("searching for the saturation point")
        search, saturation = self.search(rates)
        self.say(f"pure bookings at {plan.pure_rate:g}/s")
        pure = self.load(plan.pure_rate, plan.duration, "pure")
        seeded = 0
        for count in plan.history[1:]:
            self.say(f"history: seeding up to {count:,} reservations")
            try:
                seeding = seed_history(self.stack.connection_string, count - seeded, first=seeded)
            except RuntimeError as error:  # the rest of the run is still worth reporting
                self.say(f"  seeding failed: {error}")
                history.append({"reservations": count, "error": str(error)})
                break
            seeded = count
            self.say(f"  seeded in {seeding['seconds']} s ({seeding['reservationsPerSecond']}/s)")
            point, _ = self.history_point(count)
            point["seeding"] = seeding
            history.append(point)
        storage = pure["storageCallsPerBooking"]
        profile = storage["byKind"] if storage else ASSUMED_PROFILE
        self.say("ceiling: the host and emulator stop; the booking's calls replayed")
        self.stack.stop_app()
        ceiling = measure_ceiling(
            self.stack.connection_string, profile, seconds=plan.ceiling_seconds
        )
        ceiling["profileSource"] = "measured" if storage else "assumed (host reports no counts)"
        self.say(f"  ceiling {ceiling['bookingsPerSecond']} bookings/s")
        everything = [*rates, *search, pure]
        peak_run = max(everything, key=lambda r: r["completedPerSecond"])
        peak = peak_run["completedPerSecond"]
        ceiling_rate = ceiling["bookingsPerSecond"]
        return {
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "rates": rates,
            "search": search,
            "saturationPerSecond": saturation,
            "pureBooking": pure,
            "storageCallsPerBooking": storage,
            "eventGridPerBooking": pure["eventGridPerBooking"],
            # Execution time grows with queueing, so the cost model and the step table take
            # it from the unloaded run (pure bookings at the history rate, on the fresh store).
            "unloaded": {
                key: unloaded[key]
                for key in (
                    "offeredPerSecond",
                    "acceptedMs",
                    "toTerminalMs",
                    "executionsPerBooking",
                )
            },
            "executionsPerBooking": unloaded["executionsPerBooking"],
            "costPerMillionBookingsUsd": cost_per_million(
                storage or {"total": sum(ASSUMED_PROFILE.values()), "byKind": ASSUMED_PROFILE},
                pure["eventGridPerBooking"],
                unloaded["executionsPerBooking"],
            ),
            "peakCompletedPerSecond": peak,
            "processesAtPeak": _cpu_per_booking(peak_run),
            "ceiling": ceiling,
            "ceilingBookingsPerSecond": ceiling_rate,
            "ceilingRatio": round(peak / ceiling_rate, 2) if ceiling_rate else None,
            "history": history,
        }


def _cpu_per_booking(run: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The run's process figures, each with its CPU milliseconds per completed booking."""
    completed = max(1, run["toTerminalMs"]["count"])
    return {
        role: {**figures, "cpuMsPerBooking": round(figures["cpuSeconds"] * 1000 / completed, 1)}
        for role, figures in run["processes"].items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short smoke run (quick.json)")
    parser.add_argument("--rates", default="4,8,16,32", help="offered bookings/s, comma-separated")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds of load per rate")
    parser.add_argument("--history-100k", action="store_true", help="also seed 100,000")
    parser.add_argument("--output", type=Path, help="results file (default bench/results/...)")
    args = parser.parse_args(argv)
    output = args.output or RESULTS_DIR / ("quick.json" if args.quick else "latest.json")
    command = "python -m bench " + shlex.join(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        stack = BenchStack(Path(workdir))
        bench = Bench(stack, plan_of(args))
        bench.say("starting Azurite, the Event Grid emulator and the Functions host")
        try:
            stack.start()
            results = bench.run()
        except httpx.HTTPError as exc:
            print(f"bench: the stack failed: {exc}", file=sys.stderr)
            return 1
        finally:
            stack.stop()
    results["command"] = command.strip()
    results["quick"] = args.quick
    results["durationSeconds"] = round(time.monotonic() - bench.started, 1)
    results["targets"] = targets(results)
    output.parent.mkdir(parents=True, exist_ok=True)
    prefix = "quick-" if args.quick else ""
    results["charts"] = [
        f"{prefix}{name}" for name in write_charts(results, output.parent, prefix=prefix)
    ]
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    missing = missing_keys(results)
    if missing:
        print(f"bench: the results lack {', '.join(missing)}", file=sys.stderr)
        return 1
    print(figures_markdown(results))
    print(f"bench: wrote {output} and {', '.join(results['charts'])}")
    if not args.quick and output.resolve() == (RESULTS_DIR / "latest.json").resolve():
        DOC.write_text(
            replace_block(DOC.read_text(encoding="utf-8"), figures_markdown(results)),
            encoding="utf-8",
        )
        print("bench: rewrote the figures of docs/performance.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
