"""``python -m devstack.host`` with several worker processes behind one port.

Real processes, real signals: the host serves ``workers_app`` with two workers. What is per
process in a worker (its pid, its memory) is seen through the app's answers and a file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from devstack.azurite import PROJECT_ROOT, free_port, port_in_use

pytestmark = pytest.mark.integration

APP_ROOT = Path(__file__).parent / "workers_app"
APP_MODULE = "host_workers_app"
KEY = "workers-key"
MASTER_KEY = "workers-master-key"  # /admin/* takes only the master key, as in Azure
WORKERS = 2
START_SECONDS = 60.0
NOTIFY = {"aeg-event-type": "Notification"}


@dataclass
class Host:
    process: subprocess.Popen[bytes]
    url: str
    port: int
    log: Path
    ticks: Path

    def workers(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_host(tmp_path: Path) -> Host:
    port = free_port()
    settings = tmp_path / "empty.settings.json"
    settings.write_text('{"Values": {}}', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVSTACK_")}
    env |= {
        "FUNCTIONS_WORKER_PROCESS_COUNT": str(WORKERS),
        "DEVSTACK_FUNCTION_KEY": KEY,
        "DEVSTACK_MASTER_KEY": MASTER_KEY,
        "WORKERS_APP_TICKS": str(tmp_path / "ticks.txt"),
    }
    log = tmp_path / "host.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "devstack.host", "--script-root", str(APP_ROOT),
                "--module", APP_MODULE, "--port", str(port), "--settings", str(settings),
            ],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    host = Host(process, f"http://127.0.0.1:{port}", port, log, tmp_path / "ticks.txt")
    deadline = time.monotonic() + START_SECONDS
    while "Functions host listening" not in host.output():
        assert process.poll() is None, host.output()
        assert time.monotonic() < deadline, host.output()
        time.sleep(0.1)
    return host


def stop_host(host: Host) -> None:
    if host.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(host.process.pid, signal.SIGKILL)
        host.process.wait(10)


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    running = start_host(tmp_path_factory.mktemp("workers"))
    try:
        yield running
    finally:
        stop_host(running)


def worker_pids_answering(host: Host, attempts: int = 300) -> set[int]:
    """The pids that answered ``/api/pid`` over fresh connections, until every worker did."""
    pids: set[int] = set()
    for _ in range(attempts):
        pids.add(httpx.get(f"{host.url}/api/pid", timeout=10, trust_env=False).json()["pid"])
        if len(pids) == WORKERS:
            break
    return pids


def deliver(host: Host) -> int:
    """One Event Grid delivery to ``sink`` over a fresh connection; its status."""
    event = {
        "id": str(uuid.uuid4()),
        "subject": "s",
        "eventType": "t",
        "eventTime": "2031-05-01T10:00:00Z",
        "data": {},
        "dataVersion": "1",
    }
    response = httpx.post(
        f"{host.url}/runtime/webhooks/eventgrid",
        params={"functionName": "sink"},
        json=[event],
        headers=NOTIFY,
        timeout=10,
        trust_env=False,
    )
    return response.status_code


def admin(host: Host, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.request(
        method,
        f"{host.url}{path}",
        json=body,
        headers={"x-functions-key": MASTER_KEY},
        timeout=10,
        trust_env=False,
    )


def test_every_worker_serves_the_one_port(host: Host) -> None:
    workers = host.workers()
    assert len(workers) == WORKERS
    assert worker_pids_answering(host) == {worker.pid for worker in workers}


def test_a_timer_fires_once_per_occurrence_whatever_the_number_of_workers(host: Host) -> None:
    time.sleep(3.5)  # at least three occurrences of the every-second timer
    lines = [line.split() for line in host.ticks.read_text(encoding="utf-8").splitlines()]
    assert len(lines) >= 3
    occurrences = [occurrence for _, occurrence in lines]
    assert len(set(occurrences)) == len(occurrences), f"an occurrence fired twice: {lines}"
    assert len({pid for pid, _ in lines}) == 1, f"more than one worker ran the timer: {lines}"


def test_a_fault_set_through_one_worker_applies_on_all(host: Host) -> None:
    assert worker_pids_answering(host) == {w.pid for w in host.workers()}  # both take requests
    try:
        set_fault = {"functionName": "sink", "failures": 6, "status": 503}
        assert admin(host, "POST", "/admin/devstack/faults", set_fault).status_code == 200
        statuses = [deliver(host) for _ in range(20)]
        # Counted once across the workers: exactly six failures, then deliveries succeed.
        assert statuses == [503] * 6 + [202] * 14
        counts = admin(host, "GET", "/admin/devstack/invocations").json()["sink"]
        assert counts["faulted"] >= 6
        forever = {"functionName": "sink", "failures": -1, "status": 429}
        assert admin(host, "POST", "/admin/devstack/faults", forever).status_code == 200
        assert {deliver(host) for _ in range(20)} == {429}
        listed = admin(host, "GET", "/admin/devstack/faults").json()["faults"]
        assert listed == [{"functionName": "sink", "failures": -1, "status": 429}]
    finally:
        assert admin(host, "DELETE", "/admin/devstack/faults").status_code == 204
    assert deliver(host) == 202


def test_invocation_counts_are_summed_over_the_workers(host: Host) -> None:
    before = admin(host, "GET", "/admin/devstack/invocations").json()["pid"]["succeeded"]
    pids: list[int] = []
    while len(set(pids)) < WORKERS and len(pids) < 300:
        pids.append(httpx.get(f"{host.url}/api/pid", timeout=10, trust_env=False).json()["pid"])
    after = admin(host, "GET", "/admin/devstack/invocations").json()["pid"]["succeeded"]
    assert after - before == len(pids)  # every call counted, whichever worker answered it
    assert len(set(pids)) == WORKERS, "one worker took every call: the sum proves nothing"


def test_storage_calls_answer_the_contract_shape(host: Host) -> None:
    assert admin(host, "DELETE", "/admin/devstack/storage-calls").status_code == 204
    answer = admin(host, "GET", "/admin/devstack/storage-calls")
    assert answer.status_code == 200
    assert answer.json() == {"total": {}, "bySteps": {}}  # this app makes no storage calls
    no_key = httpx.get(f"{host.url}/admin/devstack/storage-calls", trust_env=False)
    assert no_key.status_code == 401


def test_a_worker_that_dies_is_started_again(host: Host) -> None:
    victim = next(w for w in host.workers())
    victim.kill()
    victim.wait(10)
    deadline = time.monotonic() + START_SECONDS
    while True:
        workers = host.workers()
        if len(workers) == WORKERS and victim.pid not in {w.pid for w in workers}:
            break
        assert time.monotonic() < deadline, host.output()
        time.sleep(0.2)
    assert "starting it again" in host.output()
    assert worker_pids_answering(host) == {w.pid for w in host.workers()}


def test_sigkill_of_the_supervisor_takes_its_workers_and_frees_the_port(tmp_path: Path) -> None:
    running = start_host(tmp_path)
    try:
        workers = running.workers()
        assert len(workers) == WORKERS
        running.process.send_signal(signal.SIGKILL)  # only the supervisor, not its group
        running.process.wait(10)
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert alive == [], f"workers outlived their supervisor: {alive}"
        assert not port_in_use(running.port)
    finally:
        stop_host(running)


def test_sigint_stops_every_worker_cleanly(tmp_path: Path) -> None:
    running = start_host(tmp_path)
    try:
        workers = running.workers()
        # As Ctrl-C in a terminal does: the whole process group gets SIGINT.
        os.killpg(running.process.pid, signal.SIGINT)
        assert running.process.wait(30) == 0, running.output()
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert alive == []
        assert not port_in_use(running.port)
        assert "Traceback" not in running.output()
    finally:
        stop_host(running)
