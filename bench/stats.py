"""Pure figures: percentiles, latency summaries, completions per second (no I/O)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

PERCENTILES: tuple[int, ...] = (50, 95, 99)


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile (NaN for no values): the smallest value with at least
    ``pct``% of the values at or below it."""
    if not values:
        return math.nan
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile {pct} is outside 0..100")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float | int | None]:
    """p50/p95/p99 and the count of a list of durations in seconds, as milliseconds."""
    result: dict[str, float | int | None] = {"count": len(seconds)}
    for pct in PERCENTILES:
        value = percentile(seconds, pct)
        result[f"p{pct}"] = None if math.isnan(value) else round(value * 1000, 1)
    return result


def per_second_bins(moments: Iterable[float], start: float, width: float = 1.0) -> list[int]:
    """How many of ``moments`` (seconds) fall in each ``width``-second bin from ``start``."""
    bins: list[int] = []
    for moment in moments:
        index = int((moment - start) // width)
        if index < 0:
            continue
        while len(bins) <= index:
            bins.append(0)
        bins[index] += 1
    return bins


def rate(count: int, first: float | None, last: float | None) -> float:
    """``count`` events spread from ``first`` to ``last`` (seconds), per second; 0 if no span."""
    if count == 0 or first is None or last is None or last <= first:
        return 0.0
    return round(count / (last - first), 2)
