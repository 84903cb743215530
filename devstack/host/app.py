"""The local Azure Functions host: serves a Python v2 ``function_app.py`` over HTTP.

Endpoints (paths are case-insensitive, like the real host):

- ``/api/{route}``: HTTP triggers. A path that matches no route, or matches only with another
  method, is 404 with an empty body (the real host answers 404, not 405: see
  Azure/azure-functions-host#10098). Missing or wrong key: 401, empty body.
- ``POST /runtime/webhooks/eventgrid?functionName=NAME``: Event Grid triggers.
- ``POST /admin/functions/{name}`` ``{"input": "..."}``: invoke a non-HTTP function; 202.
- ``GET /admin/host/status``, ``GET /admin/host/ping``.
- Local test support only: ``/admin/devstack/faults`` (POST, DELETE, GET; counted or random
  Event Grid delivery failures, see ``devstack.host.faults``) and
  ``GET /admin/devstack/invocations``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

import azure.functions as func
from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from devstack.host.auth import AuthLevel, is_authorized, presented_key
from devstack.host.bindings import HttpResult, build_http_request, decode_event, map_http_result
from devstack.host.errors import HostStartError
from devstack.host.faults import ANY_FUNCTION, FaultInjector, Phase
from devstack.host.indexing import (
    EVENT_GRID_TRIGGER,
    HTTP_TRIGGER,
    TIMER_TRIGGER,
    FunctionInfo,
    find_app,
    import_app_module,
    index_app,
)
from devstack.host.invoker import Invoker, Outcome, thread_count
from devstack.host.routing import RouteTemplate, best_match
from devstack.host.timers import TimerScheduler

log = logging.getLogger("devstack.host")

ROUTE_PREFIX = "api"
EVENTGRID_WEBHOOK = "/runtime/webhooks/eventgrid"
VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent"
DRAIN_SECONDS = 10.0  # how long shutdown waits for admin-invoked functions
_NO_SETTINGS: Mapping[str, str] = MappingProxyType({})


class _AnyPathConvertor(Convertor[str]):
    """Like Starlette's ``path`` but also across newlines: a route value may hold a decoded
    ``%0A``, and the app (not the host) must answer it, as in Azure."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("anypath", _AnyPathConvertor())

Handler = Callable[[Request], Awaitable[Response]]


def _empty(status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(b"", status_code=status, headers=dict(headers or {}))


def _text(status: int, message: str) -> Response:
    return Response(message, status_code=status, media_type="text/plain")


class _Endpoint:
    """A plain ASGI endpoint, so Starlette lets every method through to our own dispatch."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._handler(Request(scope, receive))
        await response(scope, receive, send)


class FunctionsHost:
    """A loaded function app and the ASGI app (``.asgi``) that serves it."""

    def __init__(
        self,
        *,
        script_root: Path,
        module: ModuleType,
        functions: Mapping[str, FunctionInfo],
        function_key: str | None,
        threads: int,
    ) -> None:
        self.script_root = script_root
        self.module = module
        self.functions: Mapping[str, FunctionInfo] = MappingProxyType(dict(functions))
        self.function_key = function_key or None
        self.faults = FaultInjector()
        self.invoker = Invoker(threads=threads, function_directory=str(script_root))
        self._by_lower = {name.lower(): info for name, info in self.functions.items()}
        self._routes: list[tuple[RouteTemplate, FunctionInfo]] = [
            (info.http.route, info) for info in self.functions.values() if info.http is not None
        ]
        self.timers = TimerScheduler(
            [info for info in self.functions.values() if info.timer is not None],
            self._run_timer,
        )
        self._background: set[asyncio.Task[None]] = set()
        self.asgi = Starlette(
            routes=[Route("/{path:anypath}", _Endpoint(self._dispatch))],
            lifespan=self._lifespan,
        )

    @classmethod
    def load(
        cls,
        script_root: Path,
        *,
        module: str = "function_app",
        settings: Mapping[str, str] = _NO_SETTINGS,
        function_key: str | None = None,
    ) -> FunctionsHost:
        """Apply ``settings`` to ``os.environ``, import and index the app; HostStartError if bad."""
        root = Path(script_root).resolve()
        os.environ.update(settings)
        threads = thread_count(os.environ)
        loaded = import_app_module(root, module)
        functions = index_app(find_app(loaded))
        host = cls(
            script_root=root,
            module=loaded,
            functions=functions,
            function_key=function_key,
            threads=threads,
        )
        for info in functions.values():
            log.info("Found function %s: %s", info.name, host.describe(info))
        return host

    def describe(self, info: FunctionInfo) -> str:
        if info.http is not None:
            methods = ",".join(sorted(info.http.methods)) if info.http.methods else "*"
            return f"[{methods}] /{ROUTE_PREFIX}/{info.http.route.template}"
        if info.timer is not None:
            return f"timerTrigger '{info.timer.schedule.expression}'"
        return f"{info.trigger_type} {EVENTGRID_WEBHOOK}?functionName={info.name}"

    def function(self, name: str) -> FunctionInfo | None:
        """A function by name, ignoring case (as the host does)."""
        return self._by_lower.get(name.lower())

    # -- lifecycle ---------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self.timers.start()
        try:
            yield
        finally:
            await self.timers.stop()
            await self._drain_background()
            self.invoker.shutdown()

    async def _drain_background(self) -> None:
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

    # -- dispatch ----------------------------------------------------------------------------

    async def _dispatch(self, request: Request) -> Response:
        path = request.url.path
        lower = path.lower().rstrip("/") or "/"
        if lower == f"/{ROUTE_PREFIX}" or lower.startswith(f"/{ROUTE_PREFIX}/"):
            return await self._http_trigger(request, path[len(ROUTE_PREFIX) + 1 :])
        if lower == EVENTGRID_WEBHOOK:
            return await self._eventgrid(request)
        if lower == "/admin/host/ping":
            return _empty(200)
        admin: dict[str, tuple[tuple[str, ...], Handler]] = {
            "/admin/host/status": (("GET",), self._status),
            "/admin/devstack/faults": (("GET", "POST", "DELETE"), self._faults),
            "/admin/devstack/invocations": (("GET",), self._invocations),
        }
        if lower in admin or lower.startswith("/admin/functions/"):
            methods, handler = admin.get(lower, (("POST",), self._admin_invoke))
            if request.method not in methods:
                return _empty(405, {"Allow": ", ".join(methods)})
            if not self._authorized(request, AuthLevel.ADMIN):
                return _empty(401)
            return await handler(request)
        if lower == "/":
            return _text(200, "The devstack Functions host is running.")
        return _empty(404)

    def _authorized(self, request: Request, level: AuthLevel) -> bool:
        key = presented_key(request.headers, request.query_params)
        return is_authorized(level, self.function_key, key)

    # -- HTTP triggers -----------------------------------------------------------------------

    async def _http_trigger(self, request: Request, relative_path: str) -> Response:
        method = request.method.upper()
        candidates = [
            (route, info)
            for route, info in self._routes
            if info.http is not None and info.http.allows(method)
        ]
        found = best_match(candidates, relative_path)
        if found is None:
            return _empty(404)
        info, route_params = found
        assert info.http is not None
        if not self._authorized(request, info.http.auth_level):
            return _empty(401)
        body = await request.body()

        def make_request() -> func.HttpRequest:
            return build_http_request(
                method=method,
                url=str(request.url),
                headers=request.headers.items(),
                query=request.query_params.multi_items(),
                route_params=route_params,
                body=body,
            )

        outcome = await self.invoker.invoke(
            info,
            make_request,
            trace_parent=request.headers.get("traceparent", ""),
            convert_result=map_http_result,
        )
        if not outcome.succeeded:
            return _empty(500)
        result: HttpResult = outcome.value
        response = Response(result.body, status_code=result.status)
        for name, value in result.headers:
            response.headers.append(name, value)
        return response

    # -- Event Grid --------------------------------------------------------------------------

    async def _eventgrid(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            # CloudEvents webhook abuse protection (the CloudEvents-schema handshake).
            origin = request.headers.get("webhook-request-origin")
            if origin is None:
                return _text(400, "missing WebHook-Request-Origin header")
            return _empty(200, {"WebHook-Allowed-Origin": origin, "WebHook-Allowed-Rate": "*"})
        if request.method != "POST":
            return _empty(405, {"Allow": "POST, OPTIONS"})
        name = request.query_params.get("functionName", "")
        info = self.function(name)
        if info is None or info.trigger_type != EVENT_GRID_TRIGGER:
            return _text(404, f"cannot find an Event Grid function named '{name}'")
        kind = request.headers.get("aeg-event-type", "")
        if kind not in ("SubscriptionValidation", "Notification"):
            return _text(400, f"unsupported or missing aeg-event-type header: {kind!r}")
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return _text(400, "the body is not valid JSON")
        events = payload if isinstance(payload, list) else [payload]
        if not all(isinstance(event, dict) for event in events):
            return _text(400, "the body must be an event object or an array of event objects")
        if kind == "SubscriptionValidation":
            return self._validation_response(events)
        return await self._notify(info, events)

    @staticmethod
    def _validation_response(events: list[dict[str, Any]]) -> Response:
        for event in events:
            if event.get("eventType", event.get("type")) == VALIDATION_EVENT:
                data = event.get("data")
                code = data.get("validationCode") if isinstance(data, dict) else None
                if isinstance(code, str):
                    return JSONResponse({"validationResponse": code})
        return _text(400, f"no {VALIDATION_EVENT} with data.validationCode in the body")

    async def _notify(self, info: FunctionInfo, events: list[dict[str, Any]]) -> Response:
        injected = self.faults.decide(info.name)
        if injected is not None and not injected.after:
            self.invoker.count(info.name).faulted += 1
            log.warning(
                "Functions.%s: devstack fault injected, answering %d without invoking",
                info.name,
                injected.status,
            )
            return _text(injected.status, f"devstack fault injected for '{info.name}'")
        failures: list[Outcome] = []
        for event in events:
            outcome = await self._invoke_event(info, event)
            if not outcome.succeeded:
                failures.append(outcome)
        if injected is not None:
            # The function ran (its effects stand) but the ack is lost: Event Grid redelivers.
            self.invoker.count(info.name).faulted += 1
            log.warning(
                "Functions.%s: devstack fault injected, answering %d after invoking",
                info.name,
                injected.status,
            )
            return _text(injected.status, f"devstack fault injected for '{info.name}' (after)")
        if failures:
            return _text(500, failures[0].error_message())
        return _empty(202)

    async def _invoke_event(self, info: FunctionInfo, event: Mapping[str, Any]) -> Outcome:
        trace_parent = event.get("traceparent")
        return await self.invoker.invoke(
            info,
            lambda: decode_event(event),
            trace_parent=trace_parent if isinstance(trace_parent, str) else "",
        )

    # -- timers ------------------------------------------------------------------------------

    async def _run_timer(self, info: FunctionInfo, request: func.TimerRequest) -> Outcome:
        return await self.invoker.invoke(info, lambda: request)

    # -- admin -------------------------------------------------------------------------------

    async def _admin_invoke(self, request: Request) -> Response:
        name = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        info = self.function(name)
        if info is None:
            return _text(404, f"no function named '{name}'")
        if info.trigger_type == HTTP_TRIGGER:
            return _text(400, f"'{info.name}' is an HTTP function: call its route instead")
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return _text(400, 'the body must be JSON: {"input": "..."}')
        raw_input = body.get("input", "") if isinstance(body, dict) else None
        if raw_input is None:
            return _text(400, 'the body must be a JSON object: {"input": "..."}')
        if info.trigger_type == TIMER_TRIGGER:
            self._spawn(self.timers.invoke_now(info), f"admin-{info.name}")
            return _empty(202)
        event = raw_input
        if isinstance(raw_input, str):
            try:
                event = json.loads(raw_input)
            except ValueError:
                return _text(400, "input must be an Event Grid event as JSON")
        if not isinstance(event, dict):
            return _text(400, "input must be a JSON object (one event)")
        self._spawn(self._admin_event(info, event), f"admin-{info.name}")
        return _empty(202)

    async def _admin_event(self, info: FunctionInfo, event: Mapping[str, Any]) -> None:
        await self._invoke_event(info, event)

    async def _status(self, request: Request) -> Response:
        return JSONResponse({"state": "Running", "functions": sorted(self.functions)})

    async def _invocations(self, request: Request) -> Response:
        counts = {name: vars(self.invoker.count(name)).copy() for name in sorted(self.functions)}
        return JSONResponse(counts)

    async def _faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.faults.clear()
            return _empty(204)
        if request.method == "POST":
            try:
                body = json.loads(await request.body())
            except ValueError:
                return _text(400, "the body must be JSON")
            problem = _fault_problem(body)
            if problem:
                return _text(400, problem)
            name = body["functionName"]
            if "rate" in body and name == ANY_FUNCTION:
                target = ANY_FUNCTION
            else:
                info = self.function(name)
                if info is None:
                    return _text(404, f"no function named '{name}'")
                target = info.name
            status = body.get("status", 500)
            if "rate" in body:
                self.faults.set_random(
                    target,
                    float(body["rate"]),
                    status,
                    body.get("phase", Phase.BEFORE),
                    body.get("seed"),
                )
            else:
                self.faults.set(target, body["failures"], status)
        return JSONResponse({"faults": [fault.as_json() for fault in self.faults.active()]})


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


__all__ = ["FunctionsHost", "HostStartError"]
