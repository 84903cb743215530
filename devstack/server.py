"""Run an ASGI app with uvicorn in a background thread (tests and ``devstack up``)."""

from __future__ import annotations

import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp


class ServerStartError(RuntimeError):
    """The server did not come up (port in use, app failed its start-up)."""


class ServerThread:
    """A uvicorn server on its own thread and event loop; start() returns once it listens."""

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int, name: str) -> None:
        self.host = host
        self.port = port
        self.name = name
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", lifespan="on", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=name, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise ServerStartError(f"{self.name} failed to start on {self.url}")
            if time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(f"{self.name} did not start within {timeout:.0f}s")
            time.sleep(0.02)

    def stop(self, timeout: float = 15.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)

    def __enter__(self) -> ServerThread:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
