"""Questions one worker of the host asks all of them (itself included), for the admin routes.

Counters such as the invocation counts and the app's storage calls live in each worker process.
With several workers, each answers named questions (``answer(name, handler)``) on a Unix socket
in the host's state directory (``peer-{worker}.sock``); the worker that receives an admin
request asks every socket there (``ask_all``) and combines the answers. A worker that died took
its counts with it; its stale socket refuses the connection and is skipped. Without a state
directory (the host in one process) ``ask_all`` answers the local handler only.
"""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Final

SOCKET_PATTERN: Final = "peer-*.sock"
TIMEOUT_SECONDS: Final = 5.0

Handler = Callable[[], object]  # answers JSON-able data


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    handlers: dict[str, Handler]


class _Request(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        name = self.rfile.readline().decode(errors="replace").strip()
        handler = self.server.handlers.get(name)
        answer = handler() if handler is not None else None
        self.wfile.write(json.dumps(answer).encode() + b"\n")


def _ask(path: Path, name: str) -> object | None:
    """One worker's answer, or None if it is gone."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(TIMEOUT_SECONDS)
            sock.connect(str(path))
            sock.sendall(name.encode() + b"\n")
            with sock.makefile("rb") as answer:
                line = answer.readline()
    except OSError:
        return None
    return json.loads(line) if line else None


class Peers:
    """This worker's answers, and the way to ask every worker."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._directory: Path | None = None
        self._server: _Server | None = None

    def answer(self, name: str, handler: Handler) -> None:
        self._handlers[name] = handler

    def share(self, directory: Path, worker: int) -> None:
        """Answer the other workers on a socket in ``directory`` (the host's state directory)."""
        path = directory / f"peer-{worker}.sock"
        path.unlink(missing_ok=True)  # left by this worker's dead predecessor
        server = _Server(str(path), _Request)
        server.handlers = self._handlers
        threading.Thread(target=server.serve_forever, name="host-peers", daemon=True).start()
        self._directory, self._server = directory, server

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            with contextlib.suppress(OSError):
                Path(str(server.server_address)).unlink()

    def ask_all(self, name: str) -> list[object]:
        """Every live worker's answer to ``name`` (blocking: call it off the event loop)."""
        directory = self._directory
        if directory is None:
            return [self._handlers[name]()]
        answers = [_ask(path, name) for path in sorted(directory.glob(SOCKET_PATTERN))]
        return [answer for answer in answers if answer is not None]
