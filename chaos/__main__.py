"""``python -m chaos [--seed N] [--phases dup,shuffle,...,all] [--bookings N]``.

Each phase starts a fresh stack (Azurite on disk, the emulator and the host as separate process
groups, free ports), runs the seeded workload while injecting its faults, heals everything,
waits for the system to settle, collects what it can see and audits it. Exit code: 0 no
violation, 1 a violation, 2 the run could not complete (or a fault could not be injected).
The report is printed and written to ``chaos/results/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, Final

from chaos.audit import Check, audit
from chaos.collect import collect
from chaos.model import TERMINAL, Journal
from chaos.stack import BurstFaults, ChaosStack, EmulatorFaults, StackFailedError
from chaos.storage import StorageReader
from chaos.workload import Api, Runner, new_tag, plan_workload
from devstack.azurite import PROJECT_ROOT

RESULTS: Final = PROJECT_ROOT / "chaos" / "results" / "latest.json"
PHASE_ORDER: Final = (
    "dup",
    "shuffle",
    "transient",
    "host-kill",
    "emulator-kill",
    "subscriber-down",
    "all",
)
DEFAULT_SEED: Final = 20240917
LOAD_SECONDS: Final = 14.0
SETTLE_SECONDS: Final = 100.0
# Without these the phase's fault is not injected at all (the others degrade: noted only).
ESSENTIAL_KNOBS: Final[dict[str, tuple[str, ...]]] = {
    "shuffle": ("emulator:deliveryDelayMaxSeconds",),
    "emulator-kill": ("emulator:journal",),
    "all": ("emulator:journal", "emulator:deliveryDelayMaxSeconds"),
}


@dataclass(frozen=True)
class PhaseSpec:
    emulator: EmulatorFaults = field(default_factory=EmulatorFaults)
    rate: float | None = None  # transient failures of Event Grid deliveries
    host_kills: int = 0
    emulator_kills: int = 0
    down: str | None = None  # a subscriber answering 503 ...
    heal_at: float | None = None  # ... until this share of the load window (None: settle)


SPECS: Final[dict[str, PhaseSpec]] = {
    "dup": PhaseSpec(emulator=EmulatorFaults(multiplier=2, multiplier_max=3)),
    "shuffle": PhaseSpec(emulator=EmulatorFaults(delay_max_seconds=1.5)),
    "transient": PhaseSpec(rate=0.2),
    "host-kill": PhaseSpec(host_kills=3),
    "emulator-kill": PhaseSpec(emulator_kills=2),
    "subscriber-down": PhaseSpec(
        emulator=EmulatorFaults(down_subscription="billing"), down="billing", heal_at=0.5
    ),
    "all": PhaseSpec(
        emulator=EmulatorFaults(
            multiplier=2, multiplier_max=3, delay_max_seconds=1.5, down_subscription="loyalty"
        ),
        rate=0.2,
        host_kills=3,
        emulator_kills=1,
        down="loyalty",
    ),
}


def say(line: str) -> None:
    print(line, flush=True)


@dataclass
class PhaseResult:
    name: str
    seconds: float = 0.0
    planned: int = 0
    accepted: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    faults: dict[str, Any] = field(default_factory=dict)
    missing_knobs: list[str] = field(default_factory=list)
    settled: bool = False
    settle_seconds: float = 0.0
    checks: list[Check] = field(default_factory=list)
    error: str | None = None

    @property
    def violations(self) -> int:
        return sum(c.total_violations for c in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "phase": self.name,
            "seconds": round(self.seconds, 1),
            "bookingsPlanned": self.planned,
            "bookingsAccepted": self.accepted,
            "finalStatuses": self.statuses,
            "faults": self.faults,
            "missingFaultKnobs": self.missing_knobs,
            "settled": self.settled,
            "settleSeconds": round(self.settle_seconds, 1),
            "violations": self.violations,
            "invariants": [c.as_json() for c in self.checks],
            "error": self.error,
        }


class FaultController:
    """Applies a phase's faults, keeps them applied across host restarts, and kills processes
    on a seeded timeline during the load."""

    def __init__(self, stack: ChaosStack, spec: PhaseSpec, rng: random.Random) -> None:
        self.stack = stack
        self.spec = spec
        self.rng = rng
        self.bursts: BurstFaults | None = None
        self.down_active = False
        self.counts: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self._timeline = self._plan_timeline()

    def _plan_timeline(self) -> list[tuple[float, str]]:
        events: list[tuple[float, str]] = []
        window = LOAD_SECONDS  # while bookings are still arriving
        for _ in range(self.spec.host_kills):
            events.append((self.rng.uniform(1.5, window), "host"))
        for _ in range(self.spec.emulator_kills):
            events.append((self.rng.uniform(1.5, window), "emulator"))
        if self.spec.down is not None and self.spec.heal_at is not None:
            events.append((LOAD_SECONDS * self.spec.heal_at, "heal-down"))
        return sorted(events)

    def apply(self) -> None:
        """(Re-)apply the host's faults (they live in the host process)."""
        spec = self.spec
        if spec.down is not None and self.down_active:
            self.stack.set_count_fault(spec.down, -1, 503)
        rate_mode = spec.rate is None or self.stack.set_rate_fault(spec.rate)
        if not rate_mode and self.bursts is None:
            exclude = (spec.down,) if spec.down else ()
            self.bursts = BurstFaults(self.stack, self.rng, exclude=exclude)
            self.bursts.start()

    def start(self) -> None:
        self.down_active = self.spec.down is not None
        self.apply()
        self._thread = threading.Thread(target=self._run, name="chaos-faults", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        started = time.monotonic()
        try:
            for at, what in self._timeline:
                if self._stop.wait(max(0.0, at - (time.monotonic() - started))):
                    return
                if what == "host":
                    self.stack.kill_host()
                    self.counts["hostKills"] += 1
                    say(f"    t={time.monotonic() - started:5.1f}s SIGKILL host")
                    time.sleep(self.rng.uniform(0.5, 2.0))
                    self.stack.start_host()
                    self.apply()
                elif what == "emulator":
                    self.stack.kill_emulator()
                    self.counts["emulatorKills"] += 1
                    say(f"    t={time.monotonic() - started:5.1f}s SIGKILL emulator")
                    time.sleep(self.rng.uniform(0.5, 2.0))
                    self.stack.start_emulator()
                elif what == "heal-down":
                    self.down_active = False
                    self.stack.clear_faults()
                    self.apply()
                    report = self.stack.reprocess_dead_letters()
                    self.counts["deadLettersReplayedMidLoad"] += _reprocessed(report)
                    say(
                        f"    t={time.monotonic() - started:5.1f}s healed {self.spec.down}; "
                        f"reprocess: {_summary(report)}"
                    )
        except BaseException as exc:
            self.error = exc

    def heal(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=90)
        if self.bursts is not None:
            self.bursts.stop()
            self.counts["burstFaults"] = self.bursts.injected
        self.down_active = False
        self.stack.ensure_running()
        self.stack.clear_faults()
        if self.error is not None:
            raise StackFailedError(f"fault timeline failed: {self.error}") from self.error


def _reprocessed(report: dict[str, Any]) -> int:
    events = report.get("events")
    value = events.get("replayed", 0) if isinstance(events, dict) else 0
    return value if isinstance(value, int) else 0


def _summary(report: dict[str, Any]) -> str:
    events = report.get("events")
    if not isinstance(events, dict):
        return str(report.get("error", "-"))
    return ", ".join(f"{k} {v}" for k, v in events.items()) + " event(s)"


def settle(
    stack: ChaosStack, api: Api, storage: StorageReader, journal: Journal, counts: Counter[str]
) -> tuple[bool, float]:
    """Wait until every accepted booking is terminal, the emulator idle, nothing dead-lettered
    and the outbox drained, twice in a row (the outbox relay runs every 30 s)."""
    started = time.monotonic()
    deadline = started + SETTLE_SECONDS
    calm = 0
    last_reprocess = 0.0
    last_line = 0.0
    while time.monotonic() < deadline:
        if time.monotonic() - last_reprocess > 4.0:
            counts["deadLettersReplayedWhileSettling"] += _reprocessed(
                stack.reprocess_dead_letters()
            )
            last_reprocess = time.monotonic()
        statuses = Counter(api.status_of(rid) for rid in journal.bookings)
        open_ = sum(n for s, n in statuses.items() if s not in TERMINAL)
        stats = stack.emulator_stats() or {}
        pending = stats.get("pending", -1)
        dead = sum(stack.dead_letter_counts().get(k, 0) for k in ("deadlettered",))
        unpublished = storage.unpublished_outbox()
        quiet = open_ == 0 and pending == 0 and dead == 0 and unpublished == 0
        calm = calm + 1 if quiet else 0
        if time.monotonic() - last_line > 10.0 or calm >= 2:
            say(
                f"    settle t={time.monotonic() - started:5.1f}s: not terminal {open_}, "
                f"emulator pending {pending}, dead letters {dead}, unpublished outbox {unpublished}"
            )
            last_line = time.monotonic()
        if calm >= 2:
            return True, time.monotonic() - started
        time.sleep(1.5)
    return False, time.monotonic() - started


def run_phase(name: str, seed: int, bookings: int, workdir: Path) -> PhaseResult:
    result = PhaseResult(name)
    spec = SPECS[name]
    phase_seed = seed * 1000 + PHASE_ORDER.index(name)
    rng = random.Random(phase_seed)
    started = time.monotonic()
    stack = ChaosStack(workdir, seed=phase_seed, faults=spec.emulator, report=say)
    api: Api | None = None
    storage: StorageReader | None = None
    try:
        stack.start()
        say(f"  stack up: host {stack.host_url}, emulator {stack.eventgrid_url}")
        api = Api(stack.api_url, stack.key_headers)
        storage = StorageReader(stack.connection_string)
        plans = plan_workload(
            random.Random(rng.getrandbits(64)),
            bookings=bookings,
            tag=new_tag(rng),
            today=datetime.now(UTC).date(),
            load_seconds=LOAD_SECONDS,
        )
        result.planned = len(plans)
        faults = FaultController(stack, spec, random.Random(rng.getrandbits(64)))
        faults.start()
        say(f"  load: {len(plans)} bookings over {LOAD_SECONDS:.0f}s")
        runner = Runner(api, concurrency=10, poll_deadline=60.0, progress=say)
        journal = runner.run(plans)
        result.accepted = len(journal.bookings)
        say(
            f"  load done: {result.accepted} accepted, {len(journal.refused_posts)} refused "
            f"{dict(Counter(journal.refused_posts))}, {journal.lost_posts} answers lost"
        )
        faults.heal()
        result.missing_knobs = stack.knobs.missing()
        say("  healed: faults cleared, processes up; settling")
        result.settled, result.settle_seconds = settle(stack, api, storage, journal, faults.counts)
        stats = stack.emulator_stats() or {}
        result.faults = {
            **faults.counts,
            "emulatorStatsSinceLastStart": {
                k: sum(int(s.get(k, 0)) for s in stats.get("subscriptions", {}).values())
                for k in ("delivered", "retried", "deadLettered")
            },
            "deadLetters": stack.dead_letter_counts(),
            "refusedPosts": dict(Counter(str(c) for c in journal.refused_posts)),
            "lostPosts": journal.lost_posts,
        }
        say("  collecting")
        observed = collect(api, storage, journal)
        result.statuses = dict(
            Counter(b["status"] if b else "missing" for b in observed.reservations.values())
        )
        result.checks = audit(journal, observed)
        if not result.settled:
            result.error = f"did not settle within {SETTLE_SECONDS:.0f} s"
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        say(f"  ERROR: {result.error}")
    finally:
        if api is not None:
            api.close()
        if storage is not None:
            storage.close()
        stack.stop()
        result.seconds = time.monotonic() - started
    fails = [f"{c.name}({c.total_violations})" for c in result.checks if not c.passed]
    say(
        f"  phase {name}: {result.accepted}/{result.planned} accepted, {result.seconds:.0f}s, "
        f"{result.violations} violation(s) {' '.join(fails)}"
    )
    return result


def print_table(results: list[PhaseResult]) -> None:
    names = [c.name for c in results[0].checks] if results and results[0].checks else []
    for result in results:
        for check in result.checks:
            if check.name not in names:
                names.append(check.name)
    width = max([len(n) for n in names] + [20])
    header = f"{'invariant':<{width}} " + " ".join(f"{r.name[:15]:>15}" for r in results)
    say("")
    say(header)
    say("-" * len(header))
    for name in names:
        cells = []
        for result in results:
            found = [c for c in result.checks if c.name == name]
            if not found:
                cells.append(f"{'n/a':>15}")
                continue
            check = found[0]
            if check.passed:
                cells.append(f"{f'pass ({check.checked})':>15}")
            else:
                cells.append(f"{f'FAIL {check.total_violations}/{check.checked}':>15}")
        say(f"{name:<{width}} " + " ".join(cells))
    say("-" * len(header))
    rows: list[tuple[str, list[str]]] = [
        ("bookings accepted", [f"{r.accepted}/{r.planned}" for r in results]),
        ("seconds", [f"{r.seconds:.0f}" for r in results]),
        ("settled", ["yes" if r.settled else "NO" for r in results]),
        ("fault knobs missing", [str(len(r.missing_knobs)) for r in results]),
        ("run error", ["yes" if r.error else "-" for r in results]),
    ]
    for label, values in rows:
        say(f"{label:<{width}} " + " ".join(f"{v:>15}" for v in values))
    for result in results:
        for check in result.checks:
            for line in check.violations[:8]:
                say(f"  [{result.name}] {check.name}: {line}")
            if check.total_violations > 8:
                say(f"  [{result.name}] {check.name}: ... {check.total_violations - 8} more")
        if result.missing_knobs:
            say(f"  [{result.name}] fault knobs not available: {', '.join(result.missing_knobs)}")
        if result.error:
            say(f"  [{result.name}] run error: {result.error}")


def parse_phases(text: str) -> list[str]:
    wanted = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in wanted if p not in PHASE_ORDER]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown phase(s) {unknown}; known: {PHASE_ORDER}")
    return [p for p in PHASE_ORDER if p in wanted]


def _raise_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--phases", type=parse_phases, default=list(PHASE_ORDER))
    parser.add_argument("--bookings", type=int, default=60, help="bookings per phase")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--keep", action="store_true", help="keep the logs' temporary directory")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_exit)
    root = Path(tempfile.mkdtemp(prefix="chaos-"))
    say(f"chaos: seed {args.seed}, phases {','.join(args.phases)}, {args.bookings} bookings each")
    results: list[PhaseResult] = []
    started = time.monotonic()
    try:
        for index, name in enumerate(args.phases, 1):
            say(f"[{index}/{len(args.phases)}] phase {name}")
            workdir = root / name
            workdir.mkdir()
            results.append(run_phase(name, args.seed, args.bookings, workdir))
    finally:
        if args.keep:
            say(f"chaos: logs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print_table(results)
    violations = sum(r.violations for r in results)
    incomplete = [
        r.name
        for r in results
        if r.error or set(ESSENTIAL_KNOBS.get(r.name, ())) & set(r.missing_knobs)
    ]
    code = 1 if violations else 2 if incomplete else 0
    report = {
        "timestamp": datetime.now(UTC).isoformat(),
        "seed": args.seed,
        "phases": args.phases,
        "bookingsPerPhase": args.bookings,
        "seconds": round(time.monotonic() - started, 1),
        "violations": violations,
        "incompletePhases": incomplete,
        "exitCode": code,
        "results": [r.as_json() for r in results],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    verdict = {0: "no violation", 1: f"{violations} violation(s)", 2: "run incomplete"}[code]
    say(f"\nchaos: {verdict} in {report['seconds']:.0f}s; wrote {args.output}")
    return code


if __name__ == "__main__":
    sys.exit(main())
