"""The local host's supervisor: one listening socket, ``FUNCTIONS_WORKER_PROCESS_COUNT`` workers.

The supervisor binds the port, creates the host's state directory (shared by its workers, see
``devstack.host.worker``) and starts the workers (``python -m devstack.host.worker``), each
inheriting the socket. Once every worker serves it writes ``ready`` into the state directory.
A worker that dies later is started again (the same index, so worker 0 keeps the timers). A
worker that dies before it serves (the app cannot be loaded) stops the host: ``run()`` prints
one ``error:`` line and answers 1. SIGINT or SIGTERM stops the workers with SIGTERM (a graceful
shutdown, SIGKILL after ``STOP_SECONDS``) and answers 0. The workers die with the supervisor
even when it is SIGKILLed, so no process is left holding the port.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Final

from devstack.host.worker import error_file
from devstack.lifeline import child_environment

WORKER_COUNT_SETTING: Final = "FUNCTIONS_WORKER_PROCESS_COUNT"
MAX_WORKERS: Final = 10  # Azure's limit for FUNCTIONS_WORKER_PROCESS_COUNT
READY_FILE: Final = "ready"
START_SECONDS: Final = 120.0
STOP_SECONDS: Final = 15.0  # the workers' own shutdown waits up to 10 s for admin invocations
RESTART_BACKOFF_SECONDS: Final = 1.0

log = logging.getLogger("devstack.host")


class SupervisorError(Exception):
    """A problem worth one line on stderr (a busy port, a bad worker count)."""


def worker_count(settings: Mapping[str, str]) -> int:
    """``FUNCTIONS_WORKER_PROCESS_COUNT`` (1-10), by default the number of cores."""
    text = settings.get(WORKER_COUNT_SETTING, "").strip()
    if not text:
        return max(1, min(os.cpu_count() or 1, MAX_WORKERS))
    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise SupervisorError(
            f"{WORKER_COUNT_SETTING} must be a whole number from 1 to {MAX_WORKERS}, got {text!r}"
        )
    return int(text)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket the workers share (inheritable)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SupervisorError(
            f"port {port} on {host} is already in use (another Functions host?): "
            "stop it or pass --port"
        ) from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


@dataclass
class _Worker:
    index: int
    process: subprocess.Popen[bytes]
    ready: int | None  # the read end of its ready pipe, until it said so
    started: float


class Supervisor:
    """Run with ``run()`` (from the main thread: the workers' lifeline is the thread that
    started them)."""

    def __init__(
        self,
        *,
        script_root: Path,
        module: str,
        host: str,
        port: int,
        workers: int,
        environment: Mapping[str, str],
        state_dir: Path | None = None,
        log_level: str = "info",
    ) -> None:
        self.script_root = script_root.resolve()
        self.module = module
        self.host = host
        self.port = port
        self.count = workers
        self.environment = dict(environment)
        self.log_level = log_level
        self._own_state_dir = state_dir is None
        self.state_dir = state_dir or Path(tempfile.mkdtemp(prefix="devstack-host-"))
        self._socket: socket.socket | None = None
        self._workers: dict[int, _Worker] = {}
        self._stopping = False

    def run(self) -> int:
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            self._socket = bind(self.host, self.port)
            for index in range(self.count):
                self._spawn(index)
            problem = self._await_ready()
            if problem is not None:
                print(f"error: {problem}", file=sys.stderr, flush=True)
                return 1
            if not self._stopping:
                (self.state_dir / READY_FILE).write_text(str(os.getpid()), encoding="utf-8")
                log.info(
                    "Functions host listening on http://%s:%d (%d worker processes)",
                    self.host,
                    self.port,
                    self.count,
                )
                self._watch()
            return 0
        finally:
            self._stop_workers()
            if self._socket is not None:
                self._socket.close()
            if self._own_state_dir:
                shutil.rmtree(self.state_dir, ignore_errors=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def _spawn(self, index: int) -> None:
        assert self._socket is not None
        error_file(self.state_dir, index).unlink(missing_ok=True)
        read_end, write_end = os.pipe()
        fd = self._socket.fileno()
        try:
            process = subprocess.Popen(
                [
                    sys.executable, "-m", "devstack.host.worker",
                    "--script-root", str(self.script_root), "--module", self.module,
                    "--state-dir", str(self.state_dir), "--index", str(index),
                    "--socket-fd", str(fd), "--ready-fd", str(write_end),
                    "--log-level", self.log_level,
                ],
                env=child_environment(self.environment),
                pass_fds=(fd, write_end),
            )  # fmt: skip
        finally:
            os.close(write_end)
        self._workers[index] = _Worker(index, process, read_end, time.monotonic())

    def _await_ready(self) -> str | None:
        """None once every worker serves (or a stop was asked for); else what went wrong."""
        deadline = time.monotonic() + START_SECONDS
        while not self._stopping:
            waiting = {w.ready: w for w in self._workers.values() if w.ready is not None}
            if not waiting:
                return None
            for worker in self._workers.values():
                if worker.process.poll() is not None:
                    return self._start_failure(worker)
            if time.monotonic() > deadline:
                return f"the host's workers did not start within {START_SECONDS:.0f} s"
            with contextlib.suppress(InterruptedError):
                readable, _, _ = select.select(list(waiting), [], [], 0.1)
                for fd in readable:
                    worker = waiting[fd]
                    said = os.read(fd, 1)
                    self._close_ready(worker)
                    if not said:  # it closed the pipe without a word: it is exiting
                        with contextlib.suppress(subprocess.TimeoutExpired):
                            worker.process.wait(STOP_SECONDS)
                        return self._start_failure(worker)
        return None

    def _start_failure(self, worker: _Worker) -> str:
        with contextlib.suppress(OSError):
            return error_file(self.state_dir, worker.index).read_text(encoding="utf-8").strip()
        return f"worker {worker.index} exited with code {worker.process.returncode} at start-up"

    @staticmethod
    def _close_ready(worker: _Worker) -> None:
        if worker.ready is not None:
            os.close(worker.ready)
            worker.ready = None

    def _watch(self) -> None:
        """Restart any worker that dies, until asked to stop."""
        while not self._stopping:
            time.sleep(0.2)
            for worker in list(self._workers.values()):
                code = worker.process.poll()
                if code is None or self._stopping:
                    continue
                self._close_ready(worker)
                log.warning(
                    "Host worker %d (pid %d) exited with code %d: starting it again",
                    worker.index,
                    worker.process.pid,
                    code,
                )
                if time.monotonic() - worker.started < RESTART_BACKOFF_SECONDS:
                    time.sleep(RESTART_BACKOFF_SECONDS)  # it died at once: do not spin
                self._spawn(worker.index)

    def _stop_workers(self) -> None:
        workers = list(self._workers.values())
        self._workers.clear()
        for worker in workers:
            self._close_ready(worker)
            if worker.process.poll() is None:
                worker.process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for worker in workers:
            try:
                worker.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
