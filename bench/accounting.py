"""Storage calls and Event Grid traffic per booking (pure over what the stack reported).

Storage calls come from the host's ``GET /admin/devstack/storage-calls`` (counted at the
adapters, per saga step = the function being invoked, per kind). The frontdesk projection's
subscriber is reported on its own line: it is a read model beside the saga, not a step of it.
Event Grid figures are differences of the emulator's ``/devstack/stats`` counters. Function
executions and their durations come from the host's log line per invocation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from bench.stats import summary_ms
from handlers.frontdesk import CONTEXT as FRONTDESK_CONTEXT

KINDS: Final = (
    "transaction",
    "read",
    "query",
    "insert",
    "upsert",
    "update",
    "delete",
    "create-table",
)
# The front desk's projection runs beside the saga: its calls are reported on their own line.
FRONTDESK_MARK: Final = FRONTDESK_CONTEXT
# Calls made while no function ran (step ""): start-up work, not a booking's.
NO_STEP: Final = ""


def _per(counts: Mapping[str, int], bookings: int) -> dict[str, float]:
    return {kind: round(n / bookings, 2) for kind, n in sorted(counts.items()) if n}


def _add(into: dict[str, int], counts: Mapping[str, int]) -> None:
    for kind, n in counts.items():
        into[kind] = into.get(kind, 0) + int(n)


def storage_per_booking(calls: Mapping[str, Any] | None, bookings: int) -> dict[str, Any] | None:
    """Per booking: total, by kind, per saga step by kind, and the frontdesk line apart."""
    if calls is None or bookings <= 0:
        return None
    saga: dict[str, int] = {}
    frontdesk: dict[str, int] = {}
    steps: dict[str, dict[str, float]] = {}
    for step, counts in sorted(calls.get("bySteps", {}).items()):
        if step == NO_STEP:
            continue
        if FRONTDESK_MARK in step.lower():
            _add(frontdesk, counts)
            continue
        _add(saga, counts)
        steps[step] = _per(counts, bookings)
    return {
        "total": round(sum(saga.values()) / bookings, 2),
        "byKind": _per(saga, bookings),
        "bySteps": steps,
        "frontdesk": {
            "total": round(sum(frontdesk.values()) / bookings, 2),
            "byKind": _per(frontdesk, bookings),
        },
    }


def eventgrid_per_booking(
    before: Mapping[str, Any], after: Mapping[str, Any], bookings: int
) -> dict[str, float] | None:
    """Events published to the topic and deliveries made to subscribers, per booking."""
    if bookings <= 0 or not after:
        return None

    def delivered(stats: Mapping[str, Any]) -> int:
        subs = stats.get("subscriptions", {})
        return sum(int(sub.get("delivered", 0)) for sub in subs.values())

    published = int(after.get("published", 0)) - int(before.get("published", 0))
    return {
        "publishes": round(published / bookings, 2),
        "deliveries": round((delivered(after) - delivered(before)) / bookings, 2),
    }


def executions_per_booking(
    durations_ms: Mapping[str, list[float]], bookings: int
) -> dict[str, Any] | None:
    """Per function: executions per booking and their duration percentiles; and the total
    execution seconds per booking (what a consumption plan bills as active time)."""
    if bookings <= 0:
        return None
    functions = {
        name: {
            "perBooking": round(len(values) / bookings, 2),
            "durationMs": summary_ms([v / 1000 for v in values]),
        }
        for name, values in sorted(durations_ms.items())
    }
    total_ms = sum(sum(values) for values in durations_ms.values())
    count = sum(len(values) for values in durations_ms.values())
    return {
        "executions": round(count / bookings, 2),
        "executionSeconds": round(total_ms / 1000 / bookings, 4),
        "byFunction": functions,
    }
