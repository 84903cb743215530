"""PNG charts of a results document (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

LATENCY_CHART = "latency.png"
COMPLETIONS_CHART = "completions.png"


def _series(runs: list[dict[str, Any]], figure: str, pct: str) -> tuple[list[float], list[float]]:
    points = sorted(
        (run["offeredPerSecond"], run[figure][pct])
        for run in runs
        if run[figure].get(pct) is not None
    )
    return [p[0] for p in points], [p[1] for p in points]


def write_charts(results: dict[str, Any], directory: Path, *, prefix: str = "") -> list[str]:
    """Latency percentiles against offered rate; completions per second over time per rate."""
    directory.mkdir(parents=True, exist_ok=True)
    runs = [*results["rates"], *results.get("search", [])]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, figure, title in (
        (axes[0], "acceptedMs", "accept latency"),
        (axes[1], "toTerminalMs", "time to terminal status"),
    ):
        for pct in ("p50", "p95", "p99"):
            xs, ys = _series(runs, figure, pct)
            ax.plot(xs, ys, marker="o", label=pct)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("offered bookings/s")
        ax.set_ylabel("ms")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(directory / f"{prefix}{LATENCY_CHART}", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 4.2))
    for run in runs:
        bins = run["completionsPerSecondOverTime"]
        ax.plot(range(len(bins)), bins, label=f"{run['offeredPerSecond']:g}/s offered")
    ceiling = results.get("ceilingBookingsPerSecond")
    if ceiling:
        ax.axhline(ceiling, linestyle="--", color="grey", label="storage ceiling")
    ax.set_xlabel("seconds since the first intended send")
    ax.set_ylabel("bookings reaching a terminal status")
    ax.set_title("completions over time")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(directory / f"{prefix}{COMPLETIONS_CHART}", dpi=100)
    plt.close(fig)
    return [LATENCY_CHART, COMPLETIONS_CHART]
