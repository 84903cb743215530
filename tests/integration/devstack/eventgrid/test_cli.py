"""``python -m devstack.eventgrid`` as a user runs it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from devstack.azurite import PROJECT_ROOT, free_port
from tests.integration.devstack.eventgrid.support import KEY

pytestmark = pytest.mark.integration


def write_config(tmp_path: Path, storage: str) -> Path:
    path = tmp_path / "eventgrid.json"
    path.write_text(json.dumps({"topic": {"name": "hotel-events", "key": KEY}, "storage": storage}))
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack.eventgrid", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_port_in_use_is_a_one_line_error(tmp_path: Path, storage_connection_string: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("--config", str(write_config(tmp_path, storage_connection_string)),
                         "--port", str(port))  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: port {port} on 127.0.0.1 is already in use: stop the other process or pass --port"
    ]


def test_an_invalid_config_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"topic": {"name": "t"}}))
    result = run_cli("--config", str(path), "--port", str(free_port()))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    assert "topic.key" in line


def test_it_serves_the_topic_on_the_given_port(
    tmp_path: Path, storage_connection_string: str
) -> None:
    port = free_port()
    config = write_config(tmp_path, storage_connection_string)
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.eventgrid", "--config", str(config), "--port", str(port)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                stats = httpx.get(f"http://127.0.0.1:{port}/devstack/stats", trust_env=False)
                break
            except httpx.TransportError:
                assert process.poll() is None, "the emulator exited"
                assert time.monotonic() < deadline, "the emulator did not start"
                time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert stats.json() == {
        "topic": "hotel-events",
        "published": 0,
        "pending": 0,
        "subscriptions": {},
    }


def test_an_unusable_journal_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "eventgrid.json"
    (tmp_path / "journal.sqlite").write_text("not a database " * 100)
    path.write_text(
        json.dumps({"topic": {"name": "hotel-events", "key": KEY}, "journal": "journal.sqlite"})
    )
    result = run_cli("--config", str(path), "--port", str(free_port()))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    assert "journal.sqlite is not a usable Event Grid journal" in line
