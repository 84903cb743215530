"""Helpers for end-to-end tests against the whole local stack (see ``tests/e2e/conftest.py``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final, Literal, TypeVar

T = TypeVar("T")

# What the e2e session stack runs with (tests/e2e/conftest.py).
E2E_FUNCTION_KEY: Final = "e2e-function-key"
E2E_TOPIC_KEY: Final = "e2e-topic-key"
# Azure's schedule shrunk to seconds; the last delay repeats (up to maxDeliveryAttempts, 30).
E2E_RETRY_DELAYS_SECONDS: Final[tuple[float, ...]] = (0.2, 0.5, 1.0)
# Every matched event is delivered this many times, independently: consumers must be idempotent.
E2E_DELIVERY_MULTIPLIER: Final = 2


def wait_for(
    predicate: Callable[[], T | Literal[False] | None],
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "",
) -> T:
    """Call ``predicate`` until it returns something truthy, and return that.

    Raises ``AssertionError`` after ``timeout`` seconds, with ``message`` and the last value. An
    exception from the predicate propagates at once (a failing check is not "not yet").
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            what = message or getattr(predicate, "__name__", "the condition")
            raise AssertionError(
                f"timed out after {timeout:g}s waiting for {what} (last value: {value!r})"
            )
        time.sleep(interval)
