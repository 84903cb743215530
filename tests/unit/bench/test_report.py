"""The report: targets, the generated docs block, the results document's shape, the cost model,
and docs/performance.md quoting exactly the committed bench/results/latest.json."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench.costs import TABLE_TRANSACTION_USD, cost_per_million
from bench.report import (
    BEGIN,
    DOC,
    END,
    RESULTS,
    figures_markdown,
    missing_keys,
    replace_block,
    targets,
)


def _run(rate: float, accept_p50: float, accept_p99: float, terminal_p50: float) -> dict[str, Any]:
    return {
        "offeredPerSecond": rate,
        "mix": "mix",
        "acceptedMs": {"count": 10, "p50": accept_p50, "p95": accept_p99, "p99": accept_p99},
        "toTerminalMs": {"count": 10, "p50": terminal_p50, "p95": 900.0, "p99": 900.0},
        "completedPerSecond": rate,
        "notAccepted": {},
        "storageCallsPerBooking": None,
        "eventGridPerBooking": None,
        "processes": {},
    }


def _results() -> dict[str, Any]:
    storage = {
        "total": 9.0,
        "byKind": {"transaction": 5.0, "read": 4.0},
        "bySteps": {"rooms": {"transaction": 1.0}},
        "frontdesk": {"total": 1.0, "byKind": {"upsert": 1.0}},
    }
    grid = {"publishes": 4.0, "deliveries": 3.0}
    executions = {
        "executions": 4.0,
        "executionSeconds": 0.1,
        "byFunction": {"rooms": {"perBooking": 1.0, "durationMs": {"p50": 20.0, "p95": 30.0}}},
    }
    results: dict[str, Any] = {
        "command": "python -m bench",
        "timestamp": "2030-01-01T00:00:00+00:00",
        "machine": {"cpus": 2, "python": "3.11.7"},
        "durationSeconds": 280.0,
        "rates": [_run(4, 15.0, 40.0, 70.0), _run(16, 30.0, 120.0, 300.0)],
        "search": [],
        "saturationPerSecond": 16,
        "pureBooking": {**_run(8, 20.0, 50.0, 90.0), "mix": "pure"},
        "storageCallsPerBooking": storage,
        "eventGridPerBooking": grid,
        "executionsPerBooking": executions,
        "costPerMillionBookingsUsd": cost_per_million(storage, grid, executions),
        "peakCompletedPerSecond": 26.0,
        "processesAtPeak": {
            "host": {"pid": 1, "cpuSeconds": 10.0, "peakRssMb": 90.0, "cpuMsPerBooking": 50.0},
            "host-child-1": {
                "pid": 2,
                "cpuSeconds": 5.0,
                "peakRssMb": 80.0,
                "cpuMsPerBooking": 25.0,
            },
            "azurite": {"pid": 3, "cpuSeconds": 4.0, "peakRssMb": 200.0, "cpuMsPerBooking": 20.0},
        },
        "ceiling": {"profileSource": "measured"},
        "ceilingBookingsPerSecond": 40.0,
        "ceilingRatio": 0.65,
        "history": [
            {
                "reservations": 10_000,
                "booking": {"acceptedMs": {"p50": 15.0, "p99": 40.0}, "toTerminalMs": {}},
                "availabilityMs": {"p50": 5.0, "p99": 9.0},
                "relay": {"ms": 20.0},
            }
        ],
    }
    results["targets"] = targets(results)
    return results


def test_targets_compare_each_figure_with_its_goal() -> None:
    met = {row["target"]: row["met"] for row in targets(_results())}
    assert met == {
        "sustained completed bookings/s": True,
        "completed / same-run ceiling": False,
        "16/s accept p99 (ms)": False,
        "16/s to terminal p99 (ms)": True,
        "4/s accept p50 (ms)": True,
        "4/s to terminal p50 (ms)": True,
        "storage calls per confirmed booking": True,
    }


def test_an_unmeasured_figure_is_neither_met_nor_missed() -> None:
    results = {**_results(), "storageCallsPerBooking": None, "rates": []}
    rows = {row["target"]: row for row in targets(results)}
    assert rows["storage calls per confirmed booking"]["met"] is None
    assert rows["4/s accept p50 (ms)"]["value"] is None


def test_the_results_shape_is_checked() -> None:
    results = _results()
    assert missing_keys(results) == []
    del results["ceilingRatio"]
    del results["rates"][1]["acceptedMs"]
    assert missing_keys(results) == ["ceilingRatio", "rates[1].acceptedMs"]


def test_the_docs_block_quotes_the_figures_and_is_replaced_between_the_markers() -> None:
    block = figures_markdown(_results())
    assert "| 16 | mix | 30 / 120 / 120 | 300 / 900 / 900 | 16 | 0 |" in block
    assert "**40 bookings/s**" in block
    assert "| 10,000 | 15.0 / 40.0 |" in block
    assert "`rooms`: 1 transaction" in block
    # a role's processes add up: the host and its worker
    assert "- host: 75.0 ms; one core sustains at most 13 bookings/s of it" in block
    assert "- azurite: 20.0 ms; one core sustains at most 50 bookings/s of it" in block
    document = f"# T\n\nintro\n{BEGIN}\nold figures\n{END}\nafter\n"
    replaced = replace_block(document, block)
    assert "old figures" not in replaced
    assert replaced.startswith("# T\n\nintro\n")
    assert replaced.endswith(f"{END}\nafter\n")
    assert replace_block(replaced, block) == replaced
    with pytest.raises(ValueError, match="markers"):
        replace_block("no markers", block)


def test_cost_per_million_counts_batches_once_low_and_per_entity_high() -> None:
    costs = _results()["costPerMillionBookingsUsd"]
    assert costs["tableTransactions"]["low"] == round(9 * 1_000_000 * TABLE_TRANSACTION_USD, 2)
    # 5 batches of 4 entities: 15 more billed operations
    assert costs["tableTransactions"]["high"] == round(24 * 1_000_000 * TABLE_TRANSACTION_USD, 2)
    assert costs["eventGridOperations"]["low"] == 4.2  # 7 operations x $0.60 per million
    assert costs["flexExecutions"]["low"] == 1.6
    assert costs["flexGbSeconds"]["low"] == 5.2  # 0.1 s x 2 GB x $0.000026 x 1e6
    assert costs["flexGbSeconds"]["high"] == 208.0  # 4 x 1 s x 2 GB
    assert cost_per_million(None, {}, {}) is None


def test_docs_performance_quotes_the_committed_latest_results() -> None:
    results = json.loads(RESULTS.read_text(encoding="utf-8"))
    assert missing_keys(results) == []
    document = DOC.read_text(encoding="utf-8")
    assert replace_block(document, figures_markdown(results)) == document, (
        "docs/performance.md does not quote bench/results/latest.json: "
        "run python -m bench.report --docs"
    )
