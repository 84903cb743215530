"""``python -m devstack.eventgrid`` as a user runs it."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from devstack.azurite import PROJECT_ROOT, free_port
from tests.integration.devstack.eventgrid.support import KEY, Subscriber, config, unique

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


def run_until_dead_lettered(
    tmp_path: Path, storage: str, subscriber: Subscriber, *extra: str
) -> str:
    """Run the CLI until one event is dead-lettered (a 400); its stderr."""
    name = unique("sdklog")
    subscriber.answer(name, 400)
    path = tmp_path / f"{name}.json"
    document = config(
        storage,
        [
            {
                "name": name,
                "endpoint": subscriber.endpoint(name),
                "deadLetter": {"container": "deadletter"},
            }
        ],
    ).model_dump(by_alias=True, exclude_none=True)
    path.write_text(json.dumps(document))
    port = free_port()
    log = tmp_path / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack.eventgrid", "--config", str(path),
             "--port", str(port), *extra],
            cwd=PROJECT_ROOT, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while "DEAD-LETTERED" not in log.read_text(errors="replace"):
                assert process.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline, log.read_text(errors="replace")
                with contextlib.suppress(httpx.TransportError):
                    httpx.post(
                        f"{url}/api/events",
                        content=cloud_event_body(),
                        headers={"aeg-sas-key": KEY, "content-type": "application/json"},
                        trust_env=False,
                    )
                time.sleep(0.5)
        finally:
            process.terminate()
            process.wait(timeout=15)
    return log.read_text(errors="replace")


def cloud_event_body() -> bytes:
    event = {"id": "e1", "source": "/t", "specversion": "1.0", "type": "T", "data": {}}
    return json.dumps([event]).encode()


def test_the_sdks_http_logging_is_quiet_unless_verbose(
    tmp_path: Path, storage_connection_string: str, subscriber: Subscriber
) -> None:
    quiet = run_until_dead_lettered(tmp_path, storage_connection_string, subscriber)
    assert "azure.core.pipeline.policies.http_logging_policy" not in quiet
    verbose = run_until_dead_lettered(tmp_path, storage_connection_string, subscriber, "--verbose")
    assert "azure.core.pipeline.policies.http_logging_policy" in verbose
