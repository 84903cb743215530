"""Injected Event Grid delivery failures (local test support, never in production code).

Two modes, set per function name (case-insensitive):

- counted: ``set(name, failures, status)`` makes the next ``failures`` deliveries to function
  ``name`` answer ``status`` without invoking it; ``failures == -1`` keeps failing until cleared.
- random: ``set_random(name, rate, status, phase, seed)`` makes each delivery fail with
  probability ``rate``; ``name`` may be ``"*"`` (every Event Grid function). ``phase`` says when:
  ``before`` answers ``status`` without invoking, ``after`` invokes the function (its effects
  happen) and answers ``status`` anyway, as if the acknowledgement were lost, so Event Grid
  redelivers an event that was already handled; ``either`` picks one of the two at random.

A counted fault wins over a random one; a random fault for the function wins over ``"*"``.

The host's worker processes share one set of faults: ``share(directory)`` keeps the state in a
JSON file there, read and rewritten under an exclusive file lock by every operation, so a fault
set through one worker applies on all, and a counted fault is consumed exactly ``failures``
times whichever workers the deliveries reach. The n-th draw of a random fault uses its own
generator seeded with (seed, n), so a seeded fault gives the same sequence of draws without any
generator state to share.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

ANY_FUNCTION: Final = "*"
STATE_FILE: Final = "faults.json"
LOCK_FILE: Final = "faults.lock"


class Phase(StrEnum):
    BEFORE = "before"
    AFTER = "after"
    EITHER = "either"


@dataclass(frozen=True)
class Fault:
    function_name: str
    remaining: int  # -1 = until cleared
    status: int

    def as_json(self) -> dict[str, object]:
        return {
            "functionName": self.function_name,
            "failures": self.remaining,
            "status": self.status,
        }


@dataclass(frozen=True)
class RandomFault:
    function_name: str  # a function's name, or "*"
    rate: float
    status: int
    phase: Phase
    seed: int | None
    # Draws so far; the next one uses a generator seeded with (seed or salt, draws).
    draws: int = 0
    salt: int = 0  # stands in for the seed of an unseeded fault

    def as_json(self) -> dict[str, object]:
        return {
            "functionName": self.function_name,
            "rate": self.rate,
            "status": self.status,
            "phase": str(self.phase),
            "seed": self.seed,
        }

    def rng(self) -> random.Random:
        return random.Random(f"{self.salt if self.seed is None else self.seed}:{self.draws}")


@dataclass(frozen=True)
class Injection:
    """What to do with one delivery: answer ``status``, after invoking the function or not."""

    status: int
    after: bool = False


@dataclass
class _State:
    counted: dict[str, Fault]
    random: dict[str, RandomFault]

    def to_json(self) -> dict[str, Any]:
        return {
            "counted": [vars(f) for f in self.counted.values()],
            "random": [{**vars(f), "phase": str(f.phase)} for f in self.random.values()],
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> _State:
        counted = [Fault(**f) for f in document.get("counted", [])]
        randoms = [RandomFault(**{**f, "phase": Phase(f["phase"])}) for f in document["random"]]
        return cls(
            {f.function_name.lower(): f for f in counted},
            {f.function_name.lower(): f for f in randoms},
        )


def _check_status(status: int) -> None:
    if not 100 <= status <= 599:
        raise ValueError("status must be an HTTP status code (100-599)")


class FaultInjector:
    """Thread-safe; after ``share(directory)`` also safe across processes."""

    def __init__(self) -> None:
        self._state = _State({}, {})
        self._lock = threading.Lock()
        self._directory: Path | None = None

    def share(self, directory: Path) -> None:
        """Keep the faults in ``directory`` (shared by the host's workers) from now on."""
        self._directory = directory

    @contextlib.contextmanager
    def _locked(self) -> Iterator[_State]:
        """The current state, written back on exit (in memory, or in the shared file)."""
        with self._lock:
            directory = self._directory
            if directory is None:
                yield self._state
                return
            with (directory / LOCK_FILE).open("a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                path = directory / STATE_FILE
                try:
                    state = _State.from_json(json.loads(path.read_text(encoding="utf-8")))
                except FileNotFoundError:
                    state = _State({}, {})
                before = state.to_json()
                yield state
                after = state.to_json()
                if after == before:
                    return
                if not state.counted and not state.random:
                    path.unlink(missing_ok=True)
                    return
                scratch = path.with_suffix(".tmp")
                scratch.write_text(json.dumps(after), encoding="utf-8")
                os.replace(scratch, path)  # readers never see half a file

    def _maybe_active(self) -> bool:
        """False when no fault can be set (the common case), without taking the file lock."""
        directory = self._directory
        return directory is None or (directory / STATE_FILE).exists()

    def set(self, function_name: str, failures: int, status: int) -> Fault:
        if failures < -1:
            raise ValueError("failures must be -1 (until cleared) or a count >= 0")
        _check_status(status)
        fault = Fault(function_name, failures, status)
        with self._locked() as state:
            if failures == 0:
                state.counted.pop(function_name.lower(), None)
            else:
                state.counted[function_name.lower()] = fault
        return fault

    def set_random(
        self,
        function_name: str,
        rate: float,
        status: int = 500,
        phase: Phase | str = Phase.BEFORE,
        seed: int | None = None,
    ) -> RandomFault:
        """Fail each delivery with probability ``rate``; rate 0 removes the fault."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be a probability (0-1)")
        _check_status(status)
        salt = random.getrandbits(63)
        fault = RandomFault(function_name, rate, status, Phase(phase), seed, salt=salt)
        with self._locked() as state:
            if rate == 0:
                state.random.pop(function_name.lower(), None)
            else:
                state.random[function_name.lower()] = fault
        return fault

    def take(self, function_name: str) -> int | None:
        """The status of a counted fault for this delivery, consuming one; None if healthy."""
        if not self._maybe_active():
            return None
        with self._locked() as state:
            return _take(state, function_name.lower())

    def decide(self, function_name: str) -> Injection | None:
        """What to inject into this delivery (counted faults first, then random); None: none."""
        if not self._maybe_active():
            return None
        key = function_name.lower()
        with self._locked() as state:
            counted = _take(state, key)
            if counted is not None:
                return Injection(counted)
            fault_key = key if key in state.random else ANY_FUNCTION
            fault = state.random.get(fault_key)
            if fault is None:
                return None
            state.random[fault_key] = RandomFault(**{**vars(fault), "draws": fault.draws + 1})
            rng = fault.rng()
            if rng.random() >= fault.rate:
                return None
            phase = fault.phase
            if phase is Phase.EITHER:
                phase = rng.choice((Phase.BEFORE, Phase.AFTER))
            return Injection(fault.status, after=phase is Phase.AFTER)

    def clear(self) -> None:
        with self._locked() as state:
            state.counted.clear()
            state.random.clear()

    def active(self) -> list[Fault | RandomFault]:
        with self._locked() as state:
            return [*state.counted.values(), *state.random.values()]


def _take(state: _State, key: str) -> int | None:
    fault = state.counted.get(key)
    if fault is None:
        return None
    if fault.remaining > 0:
        left = fault.remaining - 1
        if left == 0:
            del state.counted[key]
        else:
            state.counted[key] = Fault(fault.function_name, left, fault.status)
    return fault.status
