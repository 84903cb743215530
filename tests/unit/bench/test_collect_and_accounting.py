"""Figures from the records and the server's own timestamps; storage and Event Grid per booking."""

from __future__ import annotations

from typing import Any

from bench.accounting import eventgrid_per_booking, storage_per_booking
from bench.collect import TERMINAL_AT, summarize, terminal_time

T0 = 1_900_000_000.0  # an epoch second, 2030-03-17T17:46:40+00:00
ISO = "2030-03-17T17:46:{:06.3f}+00:00"


def _record(index: int, kind: str, op: str, status: int, latency: float | None) -> dict[str, Any]:
    return {
        "index": index,
        "kind": kind,
        "op": op,
        "intended": T0 + index,
        "latency": latency,
        "status": status,
        "reservation_id": f"r{index}" if status in (202, 409) else None,
    }


def _body(status: str, created: float, updated: float) -> dict[str, Any]:
    return {"status": status, "createdAt": ISO.format(created), "updatedAt": ISO.format(updated)}


def test_summary_uses_server_timestamps_and_the_event_stream_for_followed_bookings() -> None:
    records = [
        _record(0, "book", "book", 202, 0.050),
        _record(1, "declined", "book", 202, 0.070),
        _record(2, "cancel", "book", 202, 0.060),
        _record(2, "cancel", "cancel", 202, 0.020),
        _record(3, "book", "book", 503, 0.010),
        _record(4, "book", "book", 202, 0.040),
    ]
    reservations = {
        "r0": _body("Confirmed", 40.0, 40.2),  # 200 ms to terminal
        "r1": _body("Rejected", 41.0, 41.1),
        # cancelled after confirming: updatedAt is the cancel's; the stream says when it confirmed
        "r2": {**_body("Cancelled", 42.0, 43.5), TERMINAL_AT: ISO.format(42.3)},
        "r4": _body("Pending", 44.0, 44.0),  # never settled: not completed
    }
    result = summarize(records, reservations, offered=1.0)
    assert result["bookings"] == 5
    assert result["acceptedMs"]["count"] == 4
    assert result["acceptedMs"]["p50"] == 50.0
    assert result["notAccepted"] == {"503": 1}
    assert result["toTerminalMs"]["count"] == 3
    assert result["toTerminalMs"]["p50"] == 200.0
    assert result["toTerminalMs"]["p99"] == 300.0
    assert result["statuses"] == {"Cancelled": 1, "Confirmed": 1, "Pending": 1, "Rejected": 1}
    assert result["followUps"]["count"] == 1
    # 3 completions from the first intended send (T0, 17:46:40) to the last one (42.3)
    assert result["completedPerSecond"] == round(3 / 2.3, 2)
    assert result["completionsPerSecondOverTime"] == [1, 1, 1]


def test_terminal_time_is_the_first_confirmed_or_rejected_event() -> None:
    events = [
        {"type": "Hotel.ReservationRequested", "time": "a"},
        {"type": "Hotel.RoomAllocated", "time": "b"},
        {"type": "Hotel.ReservationConfirmed", "time": "c"},
        {"type": "Hotel.ReservationCancelled", "time": "d"},
    ]
    assert terminal_time(events) == "c"
    assert terminal_time(events[:2]) is None


def test_storage_per_booking_by_kind_and_step_with_frontdesk_apart() -> None:
    calls = {
        "total": {},
        "bySteps": {
            "": {"create-table": 6},  # start-up, no function running
            "create_reservation": {"transaction": 20, "read": 10},
            "rooms": {"transaction": 10, "query": 10},
            "frontdesk": {"upsert": 10},
        },
    }
    result = storage_per_booking(calls, bookings=10)
    assert result == {
        "total": 5.0,
        "byKind": {"query": 1.0, "read": 1.0, "transaction": 3.0},
        "bySteps": {
            "create_reservation": {"read": 1.0, "transaction": 2.0},
            "rooms": {"query": 1.0, "transaction": 1.0},
        },
        "frontdesk": {"total": 1.0, "byKind": {"upsert": 1.0}},
    }
    assert storage_per_booking(None, 10) is None
    assert storage_per_booking(calls, 0) is None


def test_eventgrid_per_booking_is_a_difference_of_counters() -> None:
    before = {"published": 10, "subscriptions": {"rooms": {"delivered": 4}, "billing": {}}}
    after = {
        "published": 50,
        "subscriptions": {"rooms": {"delivered": 24}, "billing": {"delivered": 10}},
    }
    assert eventgrid_per_booking(before, after, 10) == {"publishes": 4.0, "deliveries": 3.0}
    assert eventgrid_per_booking(before, {}, 10) is None
