"""After a run: read each reservation once and turn the records into figures.

Time to terminal is the server's own ``updatedAt - createdAt`` of a reservation in a terminal
state (Confirmed or Rejected), read once after the run, so no polling during the run disturbs
the system or adds its interval to the figure. For a booking a cancel, check-in or check-out
followed, ``updatedAt`` is the follow-up's time, so its terminal time is the ``time`` of its
``ReservationConfirmed``/``ReservationRejected`` event, read once from its event stream.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Final

import httpx

from bench.stats import per_second_bins, rate, summary_ms

TERMINAL: Final = frozenset({"Confirmed", "Rejected"})
ALONE: Final = frozenset({"book", "declined"})
TERMINAL_EVENTS: Final = ("ReservationConfirmed", "ReservationRejected")
TERMINAL_AT: Final = "terminalAt"  # added to a body read with its event stream


def terminal_time(events: Iterable[Mapping[str, Any]]) -> str | None:
    """The ``time`` of the saga's terminal event in a reservation's event stream, if any."""
    for event in events:
        if str(event.get("type", "")).endswith(TERMINAL_EVENTS):
            return str(event["time"])
    return None


def fetch_reservations(
    api_url: str, key: str, ids: Iterable[str], *, with_events: Iterable[str] = ()
) -> dict[str, dict[str, Any]]:
    """``GET /reservations/{id}`` once per id (and its events once for ``with_events``), a few
    threads at a time; ids that fail are left out."""
    found: dict[str, dict[str, Any]] = {}
    streams = set(with_events)
    with httpx.Client(
        base_url=api_url, headers={"x-functions-key": key}, timeout=30.0, trust_env=False
    ) as client:

        def one(rid: str) -> None:
            try:
                response = client.get(f"/reservations/{rid}")
                if response.status_code != 200:
                    return
                body = response.json()
                if rid in streams:
                    events = client.get(f"/reservations/{rid}/events").json().get("events", [])
                    body[TERMINAL_AT] = terminal_time(events)
            except (httpx.HTTPError, ValueError):
                return
            found[rid] = body

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(one, ids))
    return found


def _epoch(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def summarize(
    records: Sequence[Mapping[str, Any]],
    reservations: Mapping[str, Mapping[str, Any]],
    *,
    offered: float,
) -> dict[str, Any]:
    """The figures of one run (see the module docstring)."""
    books = [r for r in records if r["op"] == "book"]
    follow_ups = [r for r in records if r["op"] != "book"]
    accepted = [r for r in books if r["status"] == 202 and r["latency"] is not None]
    to_terminal: list[float] = []
    completions: list[float] = []
    statuses: Counter[str] = Counter()
    for record in accepted:
        body = reservations.get(record["reservation_id"])
        if body is None:
            statuses["unread"] += 1
            continue
        statuses[body["status"]] += 1
        if record["kind"] in ALONE:
            finished_at = body["updatedAt"] if body["status"] in TERMINAL else None
        else:
            finished_at = body.get(TERMINAL_AT)
        if finished_at is not None:
            finished = _epoch(finished_at)
            to_terminal.append(finished - _epoch(body["createdAt"]))
            completions.append(finished)
    start = min((r["intended"] for r in books), default=None)
    last = max(completions, default=None)
    return {
        "offeredPerSecond": offered,
        "bookings": len(books),
        "acceptedMs": summary_ms([r["latency"] for r in accepted]),
        "toTerminalMs": summary_ms(to_terminal),
        "completedPerSecond": rate(len(completions), start, last),
        "notAccepted": dict(Counter(str(r["status"]) for r in books if r["status"] != 202)),
        "statuses": dict(sorted(statuses.items())),
        "followUps": {
            "count": len(follow_ups),
            "latencyMs": summary_ms([r["latency"] for r in follow_ups if r["latency"] is not None]),
            "statuses": dict(Counter(str(r["status"]) for r in follow_ups)),
        },
        "completionsPerSecondOverTime": per_second_bins(completions, start) if start else [],
    }
