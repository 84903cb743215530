"""Import the function app and index its functions, as the Python worker does.

The worker imports ``function_app.py`` from the script root, looks for exactly one
``FunctionApp`` (any ``FunctionRegister``) among the module's globals and calls
``app.get_functions()`` once, which includes the functions of every blueprint registered on it
(``app.register_functions(bp)``; a ``Blueprint`` itself is not an app). Each function's raw
bindings are what the host reads.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import azure.functions as func

from devstack.host.auth import AuthLevel
from devstack.host.errors import HostStartError
from devstack.host.routing import RouteTemplate
from devstack.host.schedule import Schedule, parse_schedule
from devstack.host.signature import check_signature

HTTP_TRIGGER = "httpTrigger"
EVENT_GRID_TRIGGER = "eventGridTrigger"
TIMER_TRIGGER = "timerTrigger"
SUPPORTED_TRIGGERS = (HTTP_TRIGGER, EVENT_GRID_TRIGGER, TIMER_TRIGGER)
HTTP_OUTPUT = "http"


@dataclass(frozen=True)
class HttpTriggerInfo:
    route: RouteTemplate
    methods: frozenset[str] | None  # upper case; None means every method
    auth_level: AuthLevel

    def allows(self, method: str) -> bool:
        return self.methods is None or method.upper() in self.methods


@dataclass(frozen=True)
class TimerTriggerInfo:
    schedule: Schedule
    run_on_startup: bool


@dataclass(frozen=True)
class FunctionInfo:
    """What the host knows about one indexed function."""

    name: str
    trigger_type: str
    trigger_param: str
    trigger_binding: str  # what the worker decodes the trigger with: its type, or "generic"
    bindings: tuple[dict[str, Any], ...]
    function: Callable[..., Any]
    is_async: bool
    context_param: str | None
    http_output: str | None  # "$return", a parameter name, or None
    http: HttpTriggerInfo | None = None
    timer: TimerTriggerInfo | None = None


def import_app_module(script_root: Path, module: str) -> ModuleType:
    """Execute ``{script_root}/{module}.py`` afresh and register it in ``sys.modules``.

    A fresh module object each time, so ``get_functions()`` runs on a new app even if the same
    file was imported before (a second call on one app raises in the library).
    """
    path = script_root.joinpath(*module.split(".")).with_suffix(".py")
    if not path.is_file():
        raise HostStartError(f"no {path.name} in script root {script_root}: nothing to host")
    root = str(script_root)
    if root not in sys.path:
        sys.path.insert(0, root)
    spec = importlib.util.spec_from_file_location(module, path)
    if spec is None or spec.loader is None:
        raise HostStartError(f"cannot import {path}")
    loaded = importlib.util.module_from_spec(spec)
    previous = sys.modules.get(module)
    sys.modules[module] = loaded
    try:
        spec.loader.exec_module(loaded)
    except BaseException as exc:
        if previous is None:
            sys.modules.pop(module, None)
        else:
            sys.modules[module] = previous
        if isinstance(exc, KeyboardInterrupt):
            raise
        detail = "".join(traceback.format_exception_only(exc)).strip()
        raise HostStartError(f"importing {path} failed: {detail}") from exc
    return loaded


def find_app(module: ModuleType) -> func.FunctionRegister:
    """The one ``FunctionApp`` among the module's globals."""
    apps = {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, func.FunctionRegister)
    }
    where = getattr(module, "__file__", None) or module.__name__
    if not apps:
        raise HostStartError(
            f"no FunctionApp found in {where}: define one at module level, "
            "e.g. app = func.FunctionApp()"
        )
    if len(apps) > 1:
        names = ", ".join(sorted(apps))
        raise HostStartError(
            f"several FunctionApp instances in {where} ({names}): the host needs exactly one"
        )
    return next(iter(apps.values()))


def index_app(app: func.FunctionRegister) -> dict[str, FunctionInfo]:
    """Call ``app.get_functions()`` once and turn each function into a FunctionInfo."""
    try:
        functions = app.get_functions()
    except Exception as exc:  # the library raises ValueError for bad or duplicate functions
        raise HostStartError(f"indexing the function app failed: {exc}") from exc
    if not functions:
        raise HostStartError("the function app defines no functions")
    infos: dict[str, FunctionInfo] = {}
    for function in functions:
        info = describe(function)
        if info.name.lower() in {name.lower() for name in infos}:
            raise HostStartError(f"two functions are named {info.name!r} (names ignore case)")
        infos[info.name] = info
    return infos


def describe(function: func.Function) -> FunctionInfo:
    """Read one function's raw bindings (the JSON the worker reports to the host)."""
    name = str(function.get_function_name())
    bindings = tuple(json.loads(raw) for raw in function.get_raw_bindings())
    triggers = [b for b in bindings if str(b.get("type", "")).endswith("Trigger")]
    if len(triggers) != 1:
        raise HostStartError(f"function {name!r} must have exactly one trigger")
    trigger = triggers[0]
    trigger_type = str(trigger["type"])
    if trigger_type not in SUPPORTED_TRIGGERS:
        raise HostStartError(
            f"function {name!r}: trigger {trigger_type!r} is not supported by the devstack host "
            f"(supported: {', '.join(SUPPORTED_TRIGGERS)})"
        )
    http_output: str | None = None
    for binding in bindings:
        if binding is trigger:
            continue
        if binding.get("type") == HTTP_OUTPUT and trigger_type == HTTP_TRIGGER:
            http_output = str(binding["name"])
            continue
        raise HostStartError(
            f"function {name!r}: binding {binding.get('type')!r} ({binding.get('name')!r}) is "
            "not supported by the devstack host; use the Azure SDKs through adapters/ instead"
        )

    user_function = function.get_user_function()
    signature = check_signature(name, user_function, bindings)
    trigger_param = str(trigger["name"])
    info = FunctionInfo(
        name=name,
        trigger_type=trigger_type,
        trigger_param=trigger_param,
        trigger_binding=signature.binding_types[trigger_param],
        bindings=bindings,
        function=user_function,
        is_async=inspect.iscoroutinefunction(user_function),
        context_param=signature.context_param,
        http_output=http_output,
    )
    try:
        if trigger_type == HTTP_TRIGGER:
            return _with_http(info, trigger)
        if trigger_type == TIMER_TRIGGER:
            return _with_timer(info, trigger)
    except (HostStartError, ValueError) as exc:
        raise HostStartError(f"function {name!r}: {exc}") from exc
    return info


def _with_http(info: FunctionInfo, trigger: dict[str, Any]) -> FunctionInfo:
    route = trigger.get("route")
    methods = trigger.get("methods")
    http = HttpTriggerInfo(
        route=RouteTemplate.parse(info.name if route is None else str(route)),
        methods=None if not methods else frozenset(str(m).upper() for m in methods),
        auth_level=AuthLevel.parse(trigger.get("authLevel", AuthLevel.FUNCTION)),
    )
    return replace(info, http=http)


def _with_timer(info: FunctionInfo, trigger: dict[str, Any]) -> FunctionInfo:
    timer = TimerTriggerInfo(
        schedule=parse_schedule(str(trigger["schedule"])),
        run_on_startup=bool(trigger.get("runOnStartup") or False),
    )
    return replace(info, timer=timer)
