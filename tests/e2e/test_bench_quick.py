"""`python -m bench --quick` end to end: its own stack (separate processes), the open-loop
generator, every phase, and a results document with the figures the report needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import missing_keys
from devstack.azurite import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def test_quick_bench_measures_every_phase(tmp_path: Path) -> None:
    output = tmp_path / "quick.json"
    finished = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(output)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    results = json.loads(output.read_text(encoding="utf-8"))
    assert missing_keys(results) == []
    assert [run["offeredPerSecond"] for run in results["rates"]] == [4, 8]
    for run in [*results["rates"], results["pureBooking"]]:
        assert run["acceptedMs"]["count"] == run["bookings"] > 0  # every booking accepted
        assert run["toTerminalMs"]["count"] > 0
        assert run["completedPerSecond"] > 0
        assert {"host", "emulator", "azurite"} <= set(run["processes"])
    pure = results["pureBooking"]
    assert pure["statuses"] == {"Confirmed": pure["bookings"]}
    assert pure["eventGridPerBooking"]["publishes"] >= 3  # requested, allocated, authorized...
    assert pure["executionsPerBooking"]["executions"] >= 4  # the POST and three deliveries
    assert results["ceilingBookingsPerSecond"] > 0
    assert [point["reservations"] for point in results["history"]] == [0, 200]
    assert all(point["relay"].get("ms") is not None for point in results["history"])
    assert sorted(results["charts"]) == ["quick-completions.png", "quick-latency.png"]
    for chart in results["charts"]:
        assert (tmp_path / chart).read_bytes().startswith(b"\x89PNG")
    assert "bench/results/quick.json" not in finished.stdout  # wrote where it was told
