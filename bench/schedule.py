"""The open-loop schedule: when each request is meant to be sent (pure).

Arrivals are evenly spaced at the offered rate (a fixed arrival rate, not a Poisson process:
the same schedule every run, so two runs differ only by the system). Each request goes out at its
intended time whatever happened to earlier ones, and its latency is measured from that intended
time, so a slow server cannot slow the load down and hide its own queueing (coordinated
omission).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Arrival:
    index: int
    at: float  # seconds after the load starts


def arrivals(rate_per_second: float, duration_seconds: float) -> list[Arrival]:
    """Evenly spaced arrivals at ``rate_per_second`` during ``duration_seconds``."""
    if rate_per_second <= 0 or duration_seconds <= 0:
        raise ValueError("rate and duration must be positive")
    count = round(rate_per_second * duration_seconds)
    interval = 1.0 / rate_per_second
    return [Arrival(index, round(index * interval, 6)) for index in range(count)]
