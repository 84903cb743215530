"""``/admin/devstack/storage-calls``: the app's storage calls, summed over the host's workers.

The app counts its storage calls per saga step (the function being invoked) and kind in
``adapters.bootstrap.PROCESS_STORAGE_COUNTER``, one counter per process. With several worker
processes each worker answers its own counter on a Unix socket in the host's state directory
(``storage-calls-{worker}.sock``); whichever worker receives the admin request asks all of them
and sums, so the answer covers every worker that is alive (a worker that died took its counts
with it). Without a state directory (the host in one process) only the local counter is read.

``GET`` answers ``{"total": {kind: n}, "bySteps": {step: {kind: n}}}``; ``DELETE`` zeroes every
worker's counter (204).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import socketserver
import threading
from pathlib import Path
from typing import Final, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from adapters.bootstrap import PROCESS_STORAGE_COUNTER
from devstack.host.web import empty

SOCKET_PATTERN: Final = "storage-calls-*.sock"
PEER_TIMEOUT_SECONDS: Final = 5.0

Snapshot = dict[str, dict[str, int]]  # step -> kind -> count


class Counter(Protocol):
    def snapshot(self) -> Snapshot: ...

    def reset(self) -> object: ...


def combine(snapshots: list[Snapshot]) -> dict[str, dict[str, object]]:
    """The route's body: every step's counts summed over ``snapshots``, and the grand total."""
    by_steps: dict[str, dict[str, int]] = {}
    total: dict[str, int] = {}
    for snapshot in snapshots:
        for step, kinds in snapshot.items():
            into = by_steps.setdefault(step, {})
            for kind, count in kinds.items():
                into[kind] = into.get(kind, 0) + count
                total[kind] = total.get(kind, 0) + count
    return {
        "total": dict(sorted(total.items())),
        "bySteps": {step: dict(sorted(kinds.items())) for step, kinds in sorted(by_steps.items())},
    }


class _PeerServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    counter: Counter


class _PeerHandler(socketserver.StreamRequestHandler):
    server: _PeerServer

    def handle(self) -> None:
        command = self.rfile.readline().strip()
        counter = self.server.counter
        if command == b"reset":
            counter.reset()
            answer: object = {}
        else:
            answer = counter.snapshot()
        self.wfile.write(json.dumps(answer).encode() + b"\n")


def _ask(path: Path, command: str) -> Snapshot | None:
    """One worker's answer, or None if it is gone (a stale socket of a dead worker)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(PEER_TIMEOUT_SECONDS)
            sock.connect(str(path))
            sock.sendall(command.encode() + b"\n")
            with sock.makefile("rb") as answer:
                line = answer.readline()
    except OSError:
        return None
    document = json.loads(line) if line else None
    return document if isinstance(document, dict) else None


class StorageCalls:
    """The storage-calls route of one worker (or of the only process)."""

    def __init__(self, counter: Counter = PROCESS_STORAGE_COUNTER) -> None:
        self._counter = counter
        self._directory: Path | None = None
        self._server: _PeerServer | None = None

    def share(self, directory: Path, worker: int) -> None:
        """Answer this worker's counts to its siblings on a socket in ``directory``."""
        path = directory / f"storage-calls-{worker}.sock"
        path.unlink(missing_ok=True)  # left by this worker's dead predecessor
        server = _PeerServer(str(path), _PeerHandler)
        server.counter = self._counter
        threading.Thread(
            target=server.serve_forever, name="storage-calls-peer", daemon=True
        ).start()
        self._directory, self._server = directory, server

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            with contextlib.suppress(OSError):
                Path(str(server.server_address)).unlink()

    def _gather(self, command: str) -> list[Snapshot]:
        directory = self._directory
        if directory is None:
            if command == "reset":
                self._counter.reset()
                return []
            return [self._counter.snapshot()]
        answers = [_ask(path, command) for path in sorted(directory.glob(SOCKET_PATTERN))]
        return [answer for answer in answers if answer is not None]

    async def handle(self, request: Request) -> Response:
        if request.method == "DELETE":
            await asyncio.to_thread(self._gather, "reset")
            return empty(204)
        snapshots = await asyncio.to_thread(self._gather, "snapshot")
        return JSONResponse(combine(snapshots))
