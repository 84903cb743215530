"""Test doubles and helpers for the Event Grid emulator's integration tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from azure.storage.blob import BlobServiceClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack.azurite import free_port
from devstack.eventgrid import EmulatorConfig, EventGridEmulator
from devstack.eventgrid.config import parse_config
from devstack.server import ServerThread

KEY = "bG9jYWwgdGVzdCBrZXkgZm9yIHRoZSBlbXVsYXRvcg=="  # base64, so SAS tokens can be signed


def unique(prefix: str) -> str:
    """A subscription name no other test uses (dead letter blobs share one container)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Received:
    route: str
    headers: dict[str, str]
    body: Any


class Subscriber:
    """A webhook recording what it receives; answers the handshake; fails when told to."""

    def __init__(self) -> None:
        self.url = ""  # set once it listens
        self._lock = threading.Lock()
        self._notifications: list[Received] = []
        self._validations: list[Received] = []
        self._scripts: dict[str, list[int]] = {}
        self._status: dict[str, int] = {}
        self._delays: dict[str, float] = {}
        self._wrong_echo: set[str] = set()
        self.asgi = Starlette(routes=[Route("/{route}", self._handle, methods=["POST"])])

    def endpoint(self, route: str) -> str:
        return f"{self.url}/{route}"

    def answer(self, route: str, status: int, *, then: int | None = None, times: int = 0) -> None:
        """Answer ``status`` (``times`` times, then ``then``; or always when times is 0)."""
        with self._lock:
            if times:
                self._scripts[route] = [status] * times
                self._status[route] = 200 if then is None else then
            else:
                self._status[route] = status

    def delay(self, route: str, seconds: float) -> None:
        with self._lock:
            self._delays[route] = seconds

    def echo_wrong_code(self, route: str) -> None:
        with self._lock:
            self._wrong_echo.add(route)

    def notifications(self, route: str) -> list[Received]:
        with self._lock:
            return [r for r in self._notifications if r.route == route]

    def validations(self, route: str) -> list[Received]:
        with self._lock:
            return [r for r in self._validations if r.route == route]

    async def _handle(self, request: Request) -> Response:
        route = request.path_params["route"]
        received = Received(route, dict(request.headers), json.loads(await request.body()))
        if request.headers.get("aeg-event-type") == "SubscriptionValidation":
            with self._lock:
                self._validations.append(received)
                wrong = route in self._wrong_echo
            code = "not-the-code" if wrong else received.body[0]["data"]["validationCode"]
            return JSONResponse({"validationResponse": code})
        with self._lock:
            self._notifications.append(received)
            script = self._scripts.get(route)
            status = script.pop(0) if script else self._status.get(route, 200)
            delay = self._delays.get(route, 0.0)
        if delay:
            await asyncio.sleep(delay)
        return Response(status_code=status)


def wait_until(
    predicate: Callable[[], bool], *, timeout: float = 10.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def config(
    storage: str,
    subscriptions: list[dict[str, Any]],
    *,
    schema: str = "CloudEventSchemaV1_0",
    **extra: Any,
) -> EmulatorConfig:
    return parse_config(
        {
            "topic": {"name": "hotel-events", "key": KEY, "inputSchema": schema},
            "storage": storage,
            "retryDelaysSeconds": [0.1],
            "subscriptions": subscriptions,
            **extra,
        }
    )


class RunningEmulator:
    def __init__(self, emulator: EventGridEmulator, server: ServerThread) -> None:
        self.emulator = emulator
        self.server = server
        self.endpoint = f"{server.url}/api/events"

    def stats(self) -> dict[str, Any]:
        """Read over HTTP, as other tools do."""
        response = httpx.get(f"{self.server.url}/devstack/stats", trust_env=False)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def sub(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.stats()["subscriptions"][name]
        return result

    def wait_for(self, name: str, counter: str, value: int, timeout: float = 10.0) -> None:
        wait_until(
            lambda: self.sub(name)[counter] >= value,
            timeout=timeout,
            what=f"{name}.{counter} >= {value} (stats: {self.emulator.stats()})",
        )

    def post(
        self, body: bytes, *, key: str | None = KEY, content_type: str = "application/json"
    ) -> httpx.Response:
        headers = {"content-type": content_type}
        if key is not None:
            headers["aeg-sas-key"] = key
        return httpx.post(self.endpoint, content=body, headers=headers, trust_env=False)


@contextlib.contextmanager
def running_emulator(cfg: EmulatorConfig) -> Iterator[RunningEmulator]:
    emulator = EventGridEmulator(cfg)
    with ServerThread(emulator.asgi, port=free_port(), name="eventgrid-emulator") as server:
        yield RunningEmulator(emulator, server)


def dead_letters(
    storage: str, subscription: str, container: str = "deadletter"
) -> list[tuple[str, list[dict[str, Any]]]]:
    """(blob name, blob content) of the subscription's dead letter blobs."""
    with BlobServiceClient.from_connection_string(storage) as service:
        client = service.get_container_client(container)
        found = []
        for blob in client.list_blobs(name_starts_with=f"{subscription.upper()}/"):
            content = json.loads(client.download_blob(blob.name).readall())
            found.append((blob.name, content))
        return found
