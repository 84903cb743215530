"""``kill -9`` of ``python -m devstack up`` mid-load, then up again: every 202 settles.

What survives the kill: Azurite (a child process of its own, left running and reused), the
committed state, the pending-publish intents of commands (the relay publishes them after the
restart) and the Event Grid emulator's journal of accepted deliveries (resumed after the
restart). What is lost: whatever was in memory -- which must be nothing that matters.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from devstack.azurite import PROJECT_ROOT, AzuritePorts, connection_string, free_port
from devstack.settings import SAMPLE_FILE, read_values
from devstack.storage_probe import AZURITE_RECORD_FILE
from tests.e2e.stack import booking

pytestmark = pytest.mark.e2e

KEY = "kill-test-key"
TERMINAL = {"Confirmed", "Rejected", "Cancelled", "CheckedIn", "CheckedOut"}
SETTLE_WITHIN_SECONDS = 120.0  # the relay runs every 30 s; a lost delivery retries on schedule


def child_env() -> dict[str, str]:
    settings = set(read_values(PROJECT_ROOT / SAMPLE_FILE))
    env = {
        k: v for k, v in os.environ.items() if k not in settings and not k.startswith("DEVSTACK_")
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_up(settings: Path, data: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [
                sys.executable, "-m", "devstack", "up", "--settings", str(settings),
                "--azurite-location", str(data),
            ],
            cwd=PROJECT_ROOT,
            env=child_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip


def wait_up(api: httpx.Client, log: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while "The local stack is up" not in log.read_text(errors="replace"):
        assert process.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, log.read_text(errors="replace")
        time.sleep(0.1)
    assert api.get("/health").status_code == 200


def test_kill_9_mid_load_then_up_again_settles_every_accepted_booking(tmp_path: Path) -> None:
    host_port = free_port()
    document = json.loads((PROJECT_ROOT / SAMPLE_FILE).read_text(encoding="utf-8"))
    document["Values"].update(
        {
            "AzureWebJobsStorage": connection_string(AzuritePorts.free()),
            "DEVSTACK_HOST_PORT": str(host_port),
            "DEVSTACK_EVENTGRID_PORT": str(free_port()),
            "DEVSTACK_FUNCTION_KEY": KEY,
        }
    )
    settings = tmp_path / "local.settings.json"
    settings.write_text(json.dumps(document), encoding="utf-8")
    data, log, log_again = tmp_path / "azurite-data", tmp_path / "up.log", tmp_path / "up2.log"
    api = httpx.Client(
        base_url=f"http://127.0.0.1:{host_port}/api",
        headers={"x-functions-key": KEY},
        timeout=10,
        trust_env=False,
    )
    accepted: list[str] = []
    stop = threading.Event()

    def load() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            token = "tok_declined" if number % 5 == 0 else "tok_visa"
            body = booking(hotel="grand-lisbon", guests=1, nights=1 + number % 3, token=token)
            try:
                response = api.post("/reservations", json=body)
            except httpx.TransportError:
                continue  # the stack is down: this request was never accepted
            if response.status_code == 202:
                accepted.append(response.json()["reservationId"])

    first = start_up(settings, data, log)
    second: subprocess.Popen[bytes] | None = None
    try:
        wait_up(api, log, first)
        loaders = [threading.Thread(target=load) for _ in range(4)]
        for loader in loaders:
            loader.start()
        while len(accepted) < 30:
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)  # mid-load: the host, the emulator and their memory
        first.wait(10)
        stop.set()
        for loader in loaders:
            loader.join(30)
        assert len(accepted) >= 30

        second = start_up(settings, data, log_again)
        wait_up(api, log_again, second)
        deadline = time.monotonic() + SETTLE_WITHIN_SECONDS
        pending = list(accepted)
        while pending and time.monotonic() < deadline:
            pending = [
                rid
                for rid in pending
                if api.get(f"/reservations/{rid}").json().get("status") not in TERMINAL
            ]
            time.sleep(1.0)
        assert pending == [], f"{len(pending)} of {len(accepted)} accepted bookings never settled"
        restarted = log_again.read_text(errors="replace")
        assert "reusing the Azurite already running" in restarted
        assert "journal" in restarted
    finally:
        stop.set()
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        # The first run's Azurite outlived its parent, as intended; stop it now.
        record = data / AZURITE_RECORD_FILE
        if record.is_file():
            pid = json.loads(record.read_text(encoding="utf-8")).get("pid")
            if isinstance(pid, int) and pid > 0:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
        api.close()
