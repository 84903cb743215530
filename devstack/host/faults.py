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
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

ANY_FUNCTION: Final = "*"


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
    # Each fault draws from its own generator so a seeded fault is repeatable on its own.
    rng: random.Random = field(compare=False, repr=False)

    def as_json(self) -> dict[str, object]:
        return {
            "functionName": self.function_name,
            "rate": self.rate,
            "status": self.status,
            "phase": str(self.phase),
            "seed": self.seed,
        }


@dataclass(frozen=True)
class Injection:
    """What to do with one delivery: answer ``status``, after invoking the function or not."""

    status: int
    after: bool = False


def _check_status(status: int) -> None:
    if not 100 <= status <= 599:
        raise ValueError("status must be an HTTP status code (100-599)")


class FaultInjector:
    def __init__(self) -> None:
        self._faults: dict[str, Fault] = {}
        self._random: dict[str, RandomFault] = {}
        self._lock = threading.Lock()

    def set(self, function_name: str, failures: int, status: int) -> Fault:
        if failures < -1:
            raise ValueError("failures must be -1 (until cleared) or a count >= 0")
        _check_status(status)
        fault = Fault(function_name, failures, status)
        with self._lock:
            if failures == 0:
                self._faults.pop(function_name.lower(), None)
            else:
                self._faults[function_name.lower()] = fault
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
        fault = RandomFault(function_name, rate, status, Phase(phase), seed, random.Random(seed))
        with self._lock:
            if rate == 0:
                self._random.pop(function_name.lower(), None)
            else:
                self._random[function_name.lower()] = fault
        return fault

    def take(self, function_name: str) -> int | None:
        """The status of a counted fault for this delivery, consuming one; None if healthy."""
        key = function_name.lower()
        with self._lock:
            fault = self._faults.get(key)
            if fault is None:
                return None
            if fault.remaining > 0:
                left = fault.remaining - 1
                if left == 0:
                    del self._faults[key]
                else:
                    self._faults[key] = Fault(fault.function_name, left, fault.status)
            return fault.status

    def decide(self, function_name: str) -> Injection | None:
        """What to inject into this delivery (counted faults first, then random); None: none."""
        counted = self.take(function_name)
        if counted is not None:
            return Injection(counted)
        with self._lock:
            fault = self._random.get(function_name.lower()) or self._random.get(ANY_FUNCTION)
            if fault is None or fault.rng.random() >= fault.rate:
                return None
            phase = fault.phase
            if phase is Phase.EITHER:
                phase = fault.rng.choice((Phase.BEFORE, Phase.AFTER))
            return Injection(fault.status, after=phase is Phase.AFTER)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._random.clear()

    def active(self) -> list[Fault | RandomFault]:
        with self._lock:
            return [*self._faults.values(), *self._random.values()]
