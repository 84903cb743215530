"""The admin routes (admin key): invoke a non-HTTP function, host status, devstack test support.

- ``POST /admin/functions/{name}`` ``{"input": "..."}``: invoke a non-HTTP function; 202 at
  once, the invocation runs in the background (shutdown waits ``DRAIN_SECONDS`` for it).
- ``GET /admin/functions`` and ``GET /admin/functions/{name}``: the functions' metadata.
- ``GET /admin/host/status``: the fields of Azure's ``HostStatus``
  (Azure/azure-functions-host, ``Models/HostStatus.cs``, ``Controllers/HostController.cs``).
- Local test support only: ``/admin/devstack/faults`` (POST, DELETE, GET; counted or random
  Event Grid delivery failures, see ``devstack.host.faults``),
  ``GET /admin/devstack/invocations`` and ``GET``/``DELETE /admin/devstack/storage-calls``
  (``devstack.host.storage_calls``); both are summed over the host's worker processes
  (``devstack.host.peers``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from devstack.host.eventgrid_webhook import invoke_event
from devstack.host.faults import ANY_FUNCTION, Phase
from devstack.host.indexing import HTTP_TRIGGER, TIMER_TRIGGER, FunctionInfo
from devstack.host.peers import Peers
from devstack.host.storage_calls import StorageCalls
from devstack.host.web import Handler, empty, text

if TYPE_CHECKING:
    from devstack.host.app import FunctionsHost

DRAIN_SECONDS = 10.0  # how long shutdown waits for admin-invoked functions
FUNCTIONS_PREFIX = "/admin/functions/"
# The Functions host release whose behaviour the local host follows (its status "version").
HOST_VERSION = "4.1037.0"
PROCESS_STARTED = time.monotonic()
HOST_ID_SETTING = "AzureFunctionsWebHost__hostid"  # the setting's own spelling
INVOCATIONS = "invocations"


class AdminRoutes:
    """The admin endpoints of one host, and the background invocations they started."""

    def __init__(self, host: FunctionsHost) -> None:
        self._host = host
        self._background: set[asyncio.Task[None]] = set()
        self.peers = Peers()  # the host's other worker processes
        self.peers.answer(INVOCATIONS, self._local_invocations)
        self._storage_calls = StorageCalls(self.peers)
        self._routes: dict[str, tuple[tuple[str, ...], Handler]] = {
            "/admin/host/status": (("GET",), self._status),
            "/admin/functions": (("GET",), self._list_functions),
            "/admin/devstack/faults": (("GET", "POST", "DELETE"), self._faults),
            "/admin/devstack/invocations": (("GET",), self._invocations),
            "/admin/devstack/storage-calls": (("GET", "DELETE"), self._storage_calls.handle),
        }

    def route(self, lower_path: str) -> tuple[tuple[str, ...], Handler] | None:
        """The allowed methods and the handler of a lower-cased path, if it is an admin one."""
        if lower_path in self._routes:
            return self._routes[lower_path]
        if lower_path.startswith(FUNCTIONS_PREFIX):
            return ("GET", "POST"), self._function
        return None

    async def drain(self) -> None:
        """Wait (up to ``DRAIN_SECONDS``) for background invocations, then cancel the rest."""
        tasks = list(self._background)
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=DRAIN_SECONDS)
        for task in pending:
            task.cancel()

    def _spawn(self, coro: Awaitable[None], name: str) -> None:
        async def run() -> None:
            await coro

        task = asyncio.create_task(run(), name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _function(self, request: Request) -> Response:
        name = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        info = self._host.function(name)
        if info is None:
            return text(404, f"no function named '{name}'")
        if request.method == "GET":
            return JSONResponse(self._metadata(request, info))
        return await self._invoke(request, info)

    async def _list_functions(self, request: Request) -> Response:
        infos = sorted(self._host.functions.values(), key=lambda info: info.name)
        return JSONResponse([self._metadata(request, info) for info in infos])

    def _metadata(self, request: Request, info: FunctionInfo) -> dict[str, Any]:
        """The fields of Azure's ``FunctionMetadataResponse`` a script relies on."""
        base = str(request.base_url).rstrip("/")
        metadata: dict[str, Any] = {
            "name": info.name,
            "href": f"{base}/admin/functions/{info.name}",
            "config": {"bindings": list(info.bindings)},
            "language": "python",
            "isDisabled": False,
            "isDirect": False,
            "isProxy": False,
        }
        if info.http is not None:
            prefix = f"{self._host.route_prefix}/" if self._host.route_prefix else ""
            metadata["invoke_url_template"] = f"{base}/{prefix}{info.http.route.template}"
        return metadata

    async def _invoke(self, request: Request, info: FunctionInfo) -> Response:
        host = self._host
        if info.trigger_type == HTTP_TRIGGER:
            return text(400, f"'{info.name}' is an HTTP function: call its route instead")
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return text(400, 'the body must be JSON: {"input": "..."}')
        raw_input = body.get("input", "") if isinstance(body, dict) else None
        if raw_input is None:
            return text(400, 'the body must be a JSON object: {"input": "..."}')
        if info.trigger_type == TIMER_TRIGGER:
            self._spawn(host.timers.invoke_now(info), f"admin-{info.name}")
            return empty(202)
        event = raw_input
        if isinstance(raw_input, str):
            try:
                event = json.loads(raw_input)
            except ValueError:
                return text(400, "input must be an Event Grid event as JSON")
        if not isinstance(event, dict):
            return text(400, "input must be a JSON object (one event)")
        self._spawn(self._invoke_event(info, event), f"admin-{info.name}")
        return empty(202)

    async def _invoke_event(self, info: FunctionInfo, event: Mapping[str, Any]) -> None:
        await invoke_event(self._host.invoker, info, event)

    async def _status(self, request: Request) -> Response:
        computer = socket.gethostname()
        # Azure's host id is the site name, lower case, at most 32 characters; locally a stable
        # one per machine and script root (the setting overrides it, as in Azure).
        default_id = hashlib.sha256(f"{computer}|{self._host.script_root}".encode()).hexdigest()
        host_id = os.environ.get(HOST_ID_SETTING) or default_id
        return JSONResponse(
            {
                "id": host_id.lower()[:32],
                "state": "Running",
                "version": HOST_VERSION,
                "versionDetails": f"{HOST_VERSION} (devstack local host)",
                "instanceId": os.environ.get("WEBSITE_INSTANCE_ID") or self._host.instance_id,
                "computerName": computer,
                "processUptime": int((time.monotonic() - PROCESS_STARTED) * 1000),
                "functionAppContentEditingState": "Unknown",
            }
        )

    def _local_invocations(self) -> dict[str, dict[str, int]]:
        invoker = self._host.invoker
        return {name: vars(invoker.count(name)).copy() for name in sorted(self._host.functions)}

    async def _invocations(self, request: Request) -> Response:
        counts: dict[str, dict[str, int]] = {}
        for answer in await asyncio.to_thread(self.peers.ask_all, INVOCATIONS):
            assert isinstance(answer, dict)
            for name, kinds in answer.items():
                into = counts.setdefault(name, {})
                for kind, n in kinds.items():
                    into[kind] = into.get(kind, 0) + n
        return JSONResponse(counts)

    async def _faults(self, request: Request) -> Response:
        faults = self._host.faults
        if request.method == "DELETE":
            faults.clear()
            return empty(204)
        if request.method == "POST":
            try:
                body = json.loads(await request.body())
            except ValueError:
                return text(400, "the body must be JSON")
            problem = _fault_problem(body)
            if problem:
                return text(400, problem)
            name = body["functionName"]
            if "rate" in body and name == ANY_FUNCTION:
                target = ANY_FUNCTION
            else:
                info = self._host.function(name)
                if info is None:
                    return text(404, f"no function named '{name}'")
                target = info.name
            status = body.get("status", 500)
            if "rate" in body:
                faults.set_random(
                    target,
                    float(body["rate"]),
                    status,
                    body.get("phase", Phase.BEFORE),
                    body.get("seed"),
                )
            else:
                faults.set(target, body["failures"], status)
        return JSONResponse({"faults": [fault.as_json() for fault in faults.active()]})


def _fault_problem(body: object) -> str | None:
    if not isinstance(body, dict):
        return "the body must be a JSON object"

    def is_int(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if not isinstance(body.get("functionName"), str):
        return "functionName (string) is required"
    status = body.get("status", 500)
    if not is_int(status) or not 100 <= status <= 599:
        return "status must be an HTTP status code"
    if "rate" in body:
        return _random_fault_problem(body, is_int)
    if not is_int(body.get("failures")) or body["failures"] < -1:
        return "failures must be an integer >= -1 (-1 = until cleared), or give a rate"
    return None


def _random_fault_problem(body: dict[str, Any], is_int: Callable[[object], bool]) -> str | None:
    known = {"functionName", "rate", "status", "phase", "seed"}
    if "failures" in body:
        return "give either failures (counted mode) or rate (random mode), not both"
    unknown = sorted(set(body) - known)
    if unknown:
        return f"unknown field(s) for a random fault: {', '.join(unknown)}"
    rate = body["rate"]
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        return "rate must be a number from 0 to 1"
    if body.get("phase", "before") not in {phase.value for phase in Phase}:
        return "phase must be before, after or either"
    seed = body.get("seed")
    if seed is not None and not is_int(seed):
        return "seed must be an integer"
    return None
