"""The chaos run's own stack: Azurite, the Event Grid emulator and the Functions host.

The emulator and the host run as separate processes, each in its own process group, so either
can be SIGKILLed and restarted while the other keeps going; the host is a supervisor and
``HOST_WORKERS`` worker processes behind one port, all in the host's group, so a kill takes all
of them (and a worker would die with its supervisor anyway). Azurite keeps its data on disk in
the run's temporary directory, so nothing is lost when the other processes die. The emulator
always gets a journal file (accepted deliveries survive a kill) when the emulator supports one.

Fault knobs are probed at start-up: emulator keys an older emulator does not know are left out
(and reported), and the host's rate mode falls back to count-mode bursts when it is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx

from adapters.bootstrap import seed_catalog
from devstack.azurite import PROJECT_ROOT, Azurite, AzuritePorts, ensure_resources, free_port
from devstack.eventgrid.config import ConfigError, parse_config
from devstack.eventgrid_subscriptions import eventgrid_config
from devstack.settings import SAMPLE_FILE, StackConfig, read_values
from handlers.routing import SUBSCRIPTIONS

FUNCTION_KEY: Final = "chaos-function-key"
MASTER_KEY: Final = "chaos-master-key"  # admin-level routes (/api/ops/*) and /admin/*
TOPIC_KEY: Final = "chaos-topic-key"
RETRY_DELAYS: Final = (0.5, 1.0, 2.0)
EVENTGRID_FUNCTIONS: Final = tuple(sub.function_name for sub in SUBSCRIPTIONS)
HTTP_TIMEOUT: Final = 10.0
# Several workers, as `make run` has on any machine with several cores: a fault set through one
# worker must hit deliveries to all of them, and a kill must take all of them.
HOST_WORKERS: Final = 2

Report = Callable[[str], None]


class StackFailedError(RuntimeError):
    """The stack could not be started or restarted: the run cannot complete."""


@dataclass(frozen=True)
class EmulatorFaults:
    """The emulator's fault knobs for one phase (None/1 = off)."""

    multiplier: int = 1
    multiplier_max: int | None = None
    delay_max_seconds: float | None = None
    down_subscription: str | None = None  # gets a small maxDeliveryAttempts
    down_max_attempts: int = 3


@dataclass
class Knobs:
    """Which fault knobs this devstack supports (found out at start-up)."""

    emulator_keys: dict[str, bool] = field(default_factory=dict)
    host_rate_mode: bool | None = None

    def missing(self) -> list[str]:
        gone = [f"emulator:{key}" for key, ok in self.emulator_keys.items() if not ok]
        if self.host_rate_mode is False:
            gone.append("host:rate-mode")
        return gone


def _kill_group(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


class ChaosStack:
    """Start with ``start()``; ``kill_host``/``kill_emulator`` + ``start_host``/``start_emulator``;
    ``stop()`` kills every process group it started, whatever state they are in."""

    def __init__(self, workdir: Path, *, seed: int, faults: EmulatorFaults, report: Report) -> None:
        self.workdir = workdir
        self.seed = seed
        self.faults = faults
        self.report = report
        self.knobs = Knobs()
        self.azurite = Azurite(
            ports=AzuritePorts.free(),
            location=workdir / "azurite",
            log_file=workdir / "azurite.log",
        )
        self.host_port = free_port()
        self.eventgrid_port = free_port()
        self.config = StackConfig.from_values(
            read_values(PROJECT_ROOT / SAMPLE_FILE),
            storage=self.azurite.connection_string,
            host_port=self.host_port,
            eventgrid_port=self.eventgrid_port,
            function_key=FUNCTION_KEY,
            master_key=MASTER_KEY,
            topic_key=TOPIC_KEY,
        )
        self._host: subprocess.Popen[bytes] | None = None
        self._emulator: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self.host_restarts = 0
        self.emulator_restarts = 0
        self.client = httpx.Client(timeout=HTTP_TIMEOUT, trust_env=False)

    # -- addresses ----------------------------------------------------------------------------

    @property
    def host_url(self) -> str:
        return self.config.host_url

    @property
    def api_url(self) -> str:
        return f"{self.host_url}/api"

    @property
    def eventgrid_url(self) -> str:
        return self.config.eventgrid_url

    @property
    def connection_string(self) -> str:
        return self.azurite.connection_string

    @property
    def key_headers(self) -> dict[str, str]:
        return {"x-functions-key": FUNCTION_KEY}

    @property
    def master_key_headers(self) -> dict[str, str]:
        return {"x-functions-key": MASTER_KEY}

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        try:
            self.azurite.start(timeout=60)
            ensure_resources(self.connection_string)
            seed_catalog(self.connection_string)
            self._write_settings()
            self._write_eventgrid_config()
            self.start_host()
            self.start_emulator()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        with self._lock:
            _kill_group(self._emulator)
            _kill_group(self._host)
            self._emulator = self._host = None
        self.azurite.stop()
        self.client.close()

    def _app_settings(self) -> dict[str, str]:
        settings = self.config.app_settings()
        settings["OTEL_TRACES_EXPORTER"] = "none"
        settings["FUNCTIONS_WORKER_PROCESS_COUNT"] = str(HOST_WORKERS)
        return settings

    def _write_settings(self) -> None:
        document = {"IsEncrypted": False, "Values": self._app_settings()}
        (self.workdir / "host.settings.json").write_text(json.dumps(document), encoding="utf-8")

    def _eventgrid_document(self) -> dict[str, Any]:
        faults = self.faults
        document = eventgrid_config(
            host_url=self.host_url,
            topic_key=TOPIC_KEY,
            storage=self.connection_string,
            retry_delays_seconds=RETRY_DELAYS,
            delivery_multiplier=faults.multiplier,
        )
        if faults.down_subscription is not None:
            for sub in document["subscriptions"]:
                if sub["name"] == faults.down_subscription:
                    sub["retryPolicy"]["maxDeliveryAttempts"] = faults.down_max_attempts
        wanted: dict[str, Any] = {
            "seed": self.seed,
            "journal": str(self.workdir / "eventgrid-journal.sqlite"),
        }
        if faults.multiplier_max is not None:
            wanted["deliveryMultiplierMax"] = faults.multiplier_max
        if faults.delay_max_seconds is not None:
            wanted["deliveryDelayMaxSeconds"] = faults.delay_max_seconds
        for key, value in wanted.items():
            supported = _emulator_accepts({**document, key: value})
            self.knobs.emulator_keys[key] = supported
            if supported:
                document[key] = value
        return document

    def _write_eventgrid_config(self) -> None:
        document = self._eventgrid_document()
        path = self.workdir / "eventgrid.json"
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
        missing = [key for key, ok in self.knobs.emulator_keys.items() if not ok]
        if missing:
            self.report(f"  note: this emulator does not support {', '.join(missing)} (left out)")

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 (owned by the child)
        env = {**os.environ, **self._app_settings(), "PYTHONUNBUFFERED": "1"}
        try:
            return subprocess.Popen(
                [sys.executable, "-m", *args],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()

    def start_host(self, timeout: float = 60.0) -> None:
        with self._lock:
            _kill_group(self._host)
            self._host = self._spawn(
                "host",
                [
                    "devstack.host",
                    "--script-root", str(PROJECT_ROOT),
                    "--port", str(self.host_port),
                    "--settings", str(self.workdir / "host.settings.json"),
                ],
            )  # fmt: skip
            process = self._host
        self._wait_http(f"{self.api_url}/health", process, "Functions host", timeout)

    def start_emulator(self, timeout: float = 30.0) -> None:
        with self._lock:
            _kill_group(self._emulator)
            self._emulator = self._spawn(
                "eventgrid",
                [
                    "devstack.eventgrid",
                    "--config", str(self.workdir / "eventgrid.json"),
                    "--port", str(self.eventgrid_port),
                    "--log-level", "warning",
                ],
            )  # fmt: skip
            process = self._emulator
        self._wait_http(f"{self.eventgrid_url}/devstack/stats", process, "emulator", timeout)

    def kill_host(self) -> None:
        with self._lock:
            _kill_group(self._host)
            self._host = None

    def kill_emulator(self) -> None:
        with self._lock:
            _kill_group(self._emulator)
            self._emulator = None

    def restart_host(self) -> None:
        self.kill_host()
        self.start_host()
        self.host_restarts += 1

    def restart_emulator(self) -> None:
        self.kill_emulator()
        self.start_emulator()
        self.emulator_restarts += 1

    def _wait_http(
        self, url: str, process: subprocess.Popen[bytes], what: str, timeout: float
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise StackFailedError(
                    f"{what} exited with code {process.returncode} at start-up (see {self.workdir})"
                )
            with contextlib.suppress(httpx.TransportError):
                if self.client.get(url, timeout=2.0).status_code == 200:
                    return
            time.sleep(0.2)
        raise StackFailedError(f"{what} did not answer within {timeout:.0f} s")

    def ensure_running(self) -> None:
        """Restart whatever is not running (used when healing)."""
        with self._lock:
            host_dead = self._host is None or self._host.poll() is not None
            emulator_dead = self._emulator is None or self._emulator.poll() is not None
        if host_dead:
            self.start_host()
        if emulator_dead:
            self.start_emulator()

    # -- emulator and host admin ----------------------------------------------------------------

    def emulator_stats(self) -> dict[str, Any] | None:
        try:
            response = self.client.get(f"{self.eventgrid_url}/devstack/stats", timeout=5.0)
        except httpx.TransportError:
            return None
        if response.status_code != 200:
            return None
        body: dict[str, Any] = response.json()
        return body

    def _admin(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> httpx.Response:
        last: Exception | None = None
        for _ in range(20):
            try:
                return self.client.request(
                    method,
                    f"{self.host_url}{path}",
                    headers=self.master_key_headers,
                    json=body,
                    timeout=HTTP_TIMEOUT,
                )
            except httpx.TransportError as exc:
                last = exc
                time.sleep(0.5)
        raise StackFailedError(f"{method} {path}: the host does not answer ({last})")

    def set_rate_fault(self, rate: float, status: int = 500) -> bool:
        """20%-style transient failures; False when the host has no rate mode (400)."""
        body = {"functionName": "*", "rate": rate, "status": status, "phase": "either"}
        response = self._admin("POST", "/admin/devstack/faults", {**body, "seed": self.seed})
        self.knobs.host_rate_mode = response.status_code < 300
        return self.knobs.host_rate_mode

    def set_count_fault(self, function_name: str, failures: int, status: int) -> None:
        body = {"functionName": function_name, "failures": failures, "status": status}
        response = self._admin("POST", "/admin/devstack/faults", body)
        if response.status_code >= 300:
            raise StackFailedError(f"setting a fault failed: {response.status_code}")

    def clear_faults(self) -> None:
        self._admin("DELETE", "/admin/devstack/faults")

    def reprocess_dead_letters(self) -> dict[str, Any]:
        response = self._admin("POST", "/api/ops/dead-letters/reprocess?force=true")
        if response.status_code != 200:
            return {"error": response.status_code}
        body: dict[str, Any] = response.json()
        return body

    def dead_letter_counts(self) -> dict[str, int]:
        response = self._admin("GET", "/api/ops/dead-letters?limit=1000")
        if response.status_code != 200:
            return {}
        counts: dict[str, int] = response.json().get("counts", {})
        return counts


class BurstFaults:
    """Fallback for hosts without rate mode: keep failing single deliveries of random functions.

    Every ``period`` seconds, one delivery of a seeded-random subscriber answers ``status`` (count
    mode, "before": not invoked), approximating ``rate`` of the deliveries failing.
    """

    def __init__(
        self,
        stack: ChaosStack,
        rng: random.Random,
        *,
        period: float = 0.25,
        exclude: tuple[str, ...] = (),
    ) -> None:
        self.stack = stack
        self.rng = rng
        self.period = period
        self.functions = tuple(f for f in EVENTGRID_FUNCTIONS if f not in exclude)
        self.injected = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-bursts", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            name = self.rng.choice(self.functions)
            with contextlib.suppress(StackFailedError, httpx.HTTPError):
                self.stack.set_count_fault(name, 1, 500)
                self.injected += 1


def _emulator_accepts(document: Mapping[str, Any]) -> bool:
    try:
        parse_config(dict(document))
    except ConfigError:
        return False
    return True
