"""Injected Event Grid delivery failures (local test support, never in production code).

``set(name, failures, status)`` makes the next ``failures`` deliveries to function ``name``
answer ``status`` without invoking it; ``failures == -1`` keeps failing until cleared.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


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


class FaultInjector:
    def __init__(self) -> None:
        self._faults: dict[str, Fault] = {}
        self._lock = threading.Lock()

    def set(self, function_name: str, failures: int, status: int) -> Fault:
        if failures < -1:
            raise ValueError("failures must be -1 (until cleared) or a count >= 0")
        if not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status code (100-599)")
        fault = Fault(function_name, failures, status)
        with self._lock:
            if failures == 0:
                self._faults.pop(function_name.lower(), None)
            else:
                self._faults[function_name.lower()] = fault
        return fault

    def take(self, function_name: str) -> int | None:
        """The status to answer for this delivery, consuming one failure; None if healthy."""
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

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults.values())
