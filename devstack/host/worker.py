"""One worker process of the local host (``devstack.host.supervisor`` starts them).

Like the Python worker under ``FUNCTIONS_WORKER_PROCESS_COUNT``, each worker imports the app on
its own and serves requests from the one listening socket the supervisor bound (inherited as a
file descriptor; the kernel hands each connection to one of the workers). What the admin routes
and chaos rely on is shared through the supervisor's state directory: injected faults
(``devstack.host.faults``); the admin routes' counters (invocations, storage calls) are
summed over the workers (``devstack.host.peers``). Only
worker 0 runs the timer schedules, so a timer fires once per occurrence.

A worker dies with its supervisor, even a SIGKILLed one (``devstack.lifeline``), and ignores
Ctrl-C: the supervisor stops it with SIGTERM (a graceful uvicorn shutdown).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Final

import uvicorn

from devstack.host.app import FunctionsHost
from devstack.host.errors import HostStartError
from devstack.host.logs import configure_logging
from devstack.lifeline import die_with_parent, parent_pid_from_environment

KEY_SETTING: Final = "DEVSTACK_FUNCTION_KEY"
MASTER_KEY_SETTING: Final = "DEVSTACK_MASTER_KEY"  # admin-level routes and /admin/*
FUNCTIONS_FILE: Final = "functions.json"  # worker 0's function names, for LocalStack
LOAD_FAILED: Final = 78  # exit code (EX_CONFIG): the app cannot be loaded

log = logging.getLogger("devstack.host")


def error_file(state_dir: Path, index: int) -> Path:
    """Where worker ``index`` leaves the reason it could not load the app."""
    return state_dir / f"error-{index}.txt"


class WorkerServer(uvicorn.Server):
    """uvicorn on an inherited socket: SIGTERM stops it, SIGINT is the supervisor's business;
    ``on_started`` runs once it serves."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        def stop(signum: int, frame: FrameType | None) -> None:
            self.should_exit = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_started()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devstack.host.worker")
    parser.add_argument("--script-root", type=Path, required=True)
    parser.add_argument("--module", required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--index", type=int, required=True)
    parser.add_argument("--socket-fd", type=int, required=True)
    parser.add_argument("--ready-fd", type=int, required=True)
    parser.add_argument("--log-level", default="info")
    return parser.parse_args(argv)


def load(args: argparse.Namespace) -> FunctionsHost:
    """Load the app (only worker 0 logs what it found: the others find the same)."""
    if args.index:
        log.setLevel(logging.WARNING)
    try:
        host = FunctionsHost.load(
            args.script_root,
            module=args.module,
            function_key=os.environ.get(KEY_SETTING) or None,
            master_key=os.environ.get(MASTER_KEY_SETTING) or None,
        )
    finally:
        log.setLevel(logging.NOTSET)
    host.faults.share(args.state_dir)
    host.timers.scheduling = args.index == 0
    if args.index == 0:
        names = json.dumps(sorted(host.functions))
        (args.state_dir / FUNCTIONS_FILE).write_text(names, encoding="utf-8")
    return host


def main(argv: Sequence[str] | None = None) -> int:
    die_with_parent(parent_pid_from_environment())
    args = parse_args(argv)
    configure_logging(args.log_level)
    # Until it serves, Ctrl-C (sent to the whole process group) is the supervisor's to handle.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        host = load(args)
    except HostStartError as exc:
        error_file(args.state_dir, args.index).write_text(str(exc), encoding="utf-8")
        return LOAD_FAILED
    host.admin.peers.share(args.state_dir, args.index)

    def started() -> None:
        os.write(args.ready_fd, b"1")
        os.close(args.ready_fd)

    config = uvicorn.Config(host.asgi, log_level="warning", lifespan="on", access_log=False)
    server = WorkerServer(config, started)
    try:
        server.run(sockets=[socket.socket(fileno=args.socket_fd)])
    finally:
        host.admin.peers.close()
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
