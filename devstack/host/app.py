"""The local Azure Functions host: serves a Python v2 ``function_app.py`` over HTTP.

Endpoints (paths are case-insensitive, like the real host):

- ``/api/{route}``: HTTP triggers (``devstack.host.http_triggers``); ``api`` is host.json's
  ``extensions.http.routePrefix`` (``devstack.host.host_json``).
- ``POST /runtime/webhooks/eventgrid?functionName=NAME``: Event Grid triggers
  (``devstack.host.eventgrid_webhook``).
- ``/admin/...`` with the master key: invoke a non-HTTP function, host status, devstack faults
  and invocation counts (``devstack.host.admin``); ``GET /admin/host/ping``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from types import MappingProxyType, ModuleType

import azure.functions as func
from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from devstack.host import log_levels
from devstack.host.admin import AdminRoutes
from devstack.host.auth import AuthLevel, HostKeys, KeyConfigError
from devstack.host.bindings import timer_datum
from devstack.host.errors import HostStartError
from devstack.host.eventgrid_webhook import EVENTGRID_WEBHOOK, EventGridWebhook
from devstack.host.faults import FaultInjector
from devstack.host.host_json import HostJson, load_host_json
from devstack.host.http_triggers import HttpTriggers
from devstack.host.indexing import FunctionInfo, find_app, import_app_module, index_app
from devstack.host.invoker import Invoker, Outcome, thread_count
from devstack.host.timers import TimerScheduler
from devstack.host.web import Handler, authorized, empty, text

log = logging.getLogger("devstack.host")

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
        keys: HostKeys,
        threads: int,
        host_json: HostJson | None = None,
    ) -> None:
        self.script_root = script_root
        self.module = module
        self.functions: Mapping[str, FunctionInfo] = MappingProxyType(dict(functions))
        self.keys = keys
        self.host_json = host_json or HostJson()
        self.route_prefix = self.host_json.route_prefix
        self.instance_id = uuid.uuid4().hex
        self.faults = FaultInjector()
        self.invoker = Invoker(
            threads=threads,
            function_directory=str(script_root),
            timeout=self.host_json.function_timeout,
        )
        self._by_lower = {name.lower(): info for name, info in self.functions.items()}
        self.timers = TimerScheduler(
            [info for info in self.functions.values() if info.timer is not None],
            self._run_timer,
        )
        self.http_triggers = HttpTriggers(self.functions.values(), self.invoker, self.keys)
        # The extension finds the function case-sensitively (unlike the host's own routes).
        self.eventgrid = EventGridWebhook(self.functions.get, self.invoker, self.faults)
        self.admin = AdminRoutes(self)
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
        master_key: str | None = None,
    ) -> FunctionsHost:
        """Apply ``settings`` to ``os.environ``, import and index the app; HostStartError if bad.

        ``function_key`` None or empty: no key checks; otherwise ``master_key`` is required and
        must differ from it (see ``devstack.host.auth``)."""
        try:
            keys = HostKeys(function_key or None, master_key or None)
        except KeyConfigError as exc:
            raise HostStartError(str(exc)) from None
        root = Path(script_root).resolve()
        host_json = load_host_json(root)
        os.environ.update(settings)
        threads = thread_count(os.environ)
        loaded = import_app_module(root, module)
        functions = index_app(find_app(loaded))
        host = cls(
            script_root=root,
            module=loaded,
            functions=functions,
            keys=keys,
            threads=threads,
            host_json=host_json,
        )
        host_json.report(log)
        log_levels.install(host_json.log_levels)
        for info in functions.values():
            log.info("Found function %s: %s", info.name, host.describe(info))
        return host

    @property
    def function_key(self) -> str | None:
        """The function key (None: keys are not checked)."""
        return self.keys.function_key

    def describe(self, info: FunctionInfo) -> str:
        if info.http is not None:
            methods = ",".join(sorted(info.http.methods)) if info.http.methods else "*"
            prefix = f"/{self.route_prefix}" if self.route_prefix else ""
            return f"[{methods}] {prefix}/{info.http.route.template}"
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
            await self.admin.drain()
            self.invoker.shutdown()

    async def _run_timer(self, info: FunctionInfo, request: func.TimerRequest) -> Outcome:
        return await self.invoker.invoke(info, lambda: timer_datum(request))

    # -- dispatch ----------------------------------------------------------------------------

    async def _dispatch(self, request: Request) -> Response:
        # The decoded path as received: ``request.url`` re-parses it with urllib, which drops
        # tabs and line breaks, and a route value such as ``%0A`` must reach the app as it is.
        path: str = request.scope["path"]
        lower = path.lower().rstrip("/") or "/"
        if lower == EVENTGRID_WEBHOOK or lower.startswith(f"{EVENTGRID_WEBHOOK}/"):
            return await self.eventgrid.handle(request)
        if lower == "/admin/host/ping":
            return empty(200)
        admin = self.admin.route(lower)
        if admin is not None:
            methods, handler = admin
            if request.method not in methods:
                return empty(405, {"Allow": ", ".join(methods)})
            if not authorized(request, AuthLevel.ADMIN, self.keys):
                return empty(401)
            return await handler(request)
        prefix = f"/{self.route_prefix.lower()}" if self.route_prefix else ""
        if not prefix:
            response = await self.http_triggers.handle(request, path)
            if response.status_code != 404 or lower != "/":
                return response
        elif lower == prefix or lower.startswith(f"{prefix}/"):
            return await self.http_triggers.handle(request, path[len(prefix) :])
        if lower == "/":
            return text(200, "The devstack Functions host is running.")
        return empty(404)


__all__ = ["FunctionsHost", "HostStartError"]
