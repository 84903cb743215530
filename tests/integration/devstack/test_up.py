"""``python -m devstack up`` as ``make run`` runs it: a real process, real ports, real signals.

Its Functions host (a supervisor and its worker processes) and its Event Grid emulator run in
processes of their own; Ctrl-C must stop every one of them and free every port.

Each test uses a temporary settings file (the repository's local.settings.json is never touched)
on free ports, and scrubs the settings from the child's environment, which would otherwise win
over the file (as with Core Tools).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from devstack.azurite import PROJECT_ROOT, AzuritePorts, connection_string, free_port, port_in_use
from devstack.settings import SAMPLE_FILE, read_values

pytestmark = pytest.mark.integration

HEALTH_WITHIN_SECONDS = 30.0
EXIT_WITHIN_SECONDS = 15.0


def write_settings(path: Path, **values: str) -> Path:
    document = json.loads((PROJECT_ROOT / SAMPLE_FILE).read_text(encoding="utf-8"))
    document["Values"].update(values)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def child_env() -> dict[str, str]:
    settings = set(read_values(PROJECT_ROOT / SAMPLE_FILE))
    env = {
        k: v for k, v in os.environ.items() if k not in settings and not k.startswith("DEVSTACK_")
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


def command(settings: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "devstack", "up", "--settings", str(settings), *extra]


def test_up_serves_health_then_stops_cleanly_on_sigint(tmp_path: Path) -> None:
    azurite_ports = AzuritePorts.free()
    host_port, eventgrid_port = free_port(), free_port()
    settings = write_settings(
        tmp_path / "local.settings.json",
        AzureWebJobsStorage=connection_string(azurite_ports),
        DEVSTACK_HOST_PORT=str(host_port),
        DEVSTACK_EVENTGRID_PORT=str(eventgrid_port),
        DEVSTACK_FUNCTION_KEY="up-test-key",
    )
    data = tmp_path / "azurite-data"
    log_path = tmp_path / "up.log"
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command(settings, "--azurite-location", str(data)),
            cwd=PROJECT_ROOT,
            env=child_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        health: httpx.Response | None = None
        while time.monotonic() - started < HEALTH_WITHIN_SECONDS and process.poll() is None:
            try:
                health = httpx.get(
                    f"http://127.0.0.1:{host_port}/api/health", timeout=2, trust_env=False
                )
                if health.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        output = log_path.read_text(errors="replace")
        assert health is not None, f"no answer within {HEALTH_WITHIN_SECONDS:g}s:\n{output}"
        assert health.status_code == 200, output
        assert health.json() == {"status": "ok"}

        # The host answers before the emulator starts; the banner comes once everything is up.
        while "The local stack is up" not in log_path.read_text(errors="replace"):
            assert time.monotonic() - started < HEALTH_WITHIN_SECONDS + 10, "no banner"
            time.sleep(0.1)
        stats = httpx.get(f"http://127.0.0.1:{eventgrid_port}/devstack/stats", trust_env=False)
        assert stats.json()["topic"] == "hotel-events"
        assert data.is_dir(), "Azurite did not use --azurite-location"
        assert any(data.iterdir()), "Azurite wrote nothing to --azurite-location"
        # Azurite's data is on disk, so the emulator's pending deliveries are too.
        assert (data / "eventgrid-journal.sqlite").is_file(), "no Event Grid journal"
        assert all(
            port_in_use(p) for p in (azurite_ports.blob, azurite_ports.queue, azurite_ports.table)
        )
        output = log_path.read_text(errors="replace")
        assert f"http://127.0.0.1:{host_port}/api" in output
        assert f"http://127.0.0.1:{eventgrid_port}/api/events" in output
        assert (
            f'curl -H "x-functions-key: up-test-key" http://127.0.0.1:{host_port}/api/hotels'
            in output
        )

        # Azurite, the emulator, the host's supervisor and its workers: none may outlive Ctrl-C.
        descendants = psutil.Process(process.pid).children(recursive=True)
        workers = [p for p in descendants if "devstack.host.worker" in " ".join(p.cmdline())]
        assert len(workers) >= 1, [p.cmdline() for p in descendants]
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=EXIT_WITHIN_SECONDS)
        _, orphans = psutil.wait_procs(descendants, timeout=EXIT_WITHIN_SECONDS)
        assert orphans == [], f"left running after Ctrl-C: {orphans}"
    finally:
        if process.poll() is None:  # a failed assertion: still stop it (and its Azurite) cleanly
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=EXIT_WITHIN_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    output = log_path.read_text(errors="replace")
    assert code == 0, output
    assert "==> stopped" in output
    assert "Traceback" not in output
    for port in (host_port, eventgrid_port, *vars(azurite_ports).values()):
        assert not port_in_use(port), f"port {port} still in use after exit:\n{output}"


def test_up_with_its_port_in_use_says_so_in_one_line(
    tmp_path: Path, storage_connection_string: str
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        settings = write_settings(
            tmp_path / "local.settings.json",
            AzureWebJobsStorage=storage_connection_string,
            DEVSTACK_HOST_PORT=str(port),
            DEVSTACK_EVENTGRID_PORT=str(free_port()),
        )
        result = subprocess.run(
            command(settings, "--in-memory"),
            cwd=PROJECT_ROOT,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert f"port {port} on 127.0.0.1 (Functions host) is already in use" in lines[0]
    assert "DEVSTACK_HOST_PORT" in lines[0]


def test_up_with_a_missing_settings_file_says_so_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    result = subprocess.run(
        command(missing),
        cwd=PROJECT_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: settings file {missing} not found"]
    assert not missing.exists()
