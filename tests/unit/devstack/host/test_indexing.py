from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import azure.functions as func
import pytest

from devstack.host import FunctionsHost, HostStartError
from devstack.host.auth import AuthLevel
from devstack.host.indexing import find_app, index_app


def module_with(**values: object) -> ModuleType:
    module = ModuleType("in_memory_app")
    for name, value in values.items():
        setattr(module, name, value)
    return module


def test_zero_apps_is_a_clear_error() -> None:
    with pytest.raises(HostStartError, match="no FunctionApp found"):
        find_app(module_with(x=1))


def test_two_apps_is_a_clear_error_naming_both() -> None:
    with pytest.raises(HostStartError, match=r"several FunctionApp instances .*\(app, other\)"):
        find_app(module_with(app=func.FunctionApp(), other=func.FunctionApp()))


def test_a_blueprint_is_not_an_app() -> None:
    app = func.FunctionApp()
    blueprint = func.Blueprint()  # type: ignore[no-untyped-call]
    assert find_app(module_with(app=app, bp=blueprint)) is app


def test_functions_registered_from_blueprints_are_indexed_like_the_apps_own() -> None:
    # The worker indexes app.get_functions(), which includes every registered blueprint's
    # functions; an HTTP route without an auth level takes the app's, as if declared on it.
    http = func.Blueprint()  # type: ignore[no-untyped-call]
    events = func.Blueprint()  # type: ignore[no-untyped-call]

    @http.route(route="orders/{id}", methods=["GET"])
    def order(req: func.HttpRequest) -> func.HttpResponse:
        raise NotImplementedError

    @http.route(route="health", auth_level=func.AuthLevel.ANONYMOUS)
    def health(req: func.HttpRequest) -> func.HttpResponse:
        raise NotImplementedError

    @events.function_name(name="rooms")
    @events.event_grid_trigger(arg_name="event")
    def on_rooms(event: func.CloudEvent) -> None: ...

    @events.schedule(schedule="0 */5 * * * *", arg_name="timer", run_on_startup=False)
    def sweep(timer: func.TimerRequest) -> None: ...

    app = func.FunctionApp(http_auth_level=func.AuthLevel.ADMIN)

    @app.route(route="own")
    def own(req: func.HttpRequest) -> func.HttpResponse:
        raise NotImplementedError

    app.register_functions(http)
    app.register_functions(events)

    infos = index_app(app)
    assert list(infos) == ["own", "order", "health", "rooms", "sweep"]
    assert infos["order"].http is not None
    assert infos["order"].http.auth_level is AuthLevel.ADMIN
    assert infos["order"].http.route.template == "orders/{id}"
    assert infos["health"].http is not None
    assert infos["health"].http.auth_level is AuthLevel.ANONYMOUS
    assert infos["rooms"].trigger_type == "eventGridTrigger"
    assert infos["sweep"].timer is not None
    assert not infos["sweep"].timer.run_on_startup


def test_http_defaults_route_to_the_name_and_auth_to_the_app_level() -> None:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ADMIN)

    @app.route(methods=["get", "post"])
    def orders(req: func.HttpRequest) -> func.HttpResponse:
        raise NotImplementedError

    info = index_app(app)["orders"]
    assert info.http is not None
    assert info.http.route.template == "orders"
    assert info.http.auth_level is AuthLevel.ADMIN
    assert info.http.methods == frozenset({"GET", "POST"})
    assert info.http_output == "$return"
    assert not info.is_async


def test_get_functions_is_called_once() -> None:
    calls: list[int] = []

    class CountingApp(func.FunctionApp):
        def get_functions(self) -> list[func.Function]:
            calls.append(1)
            return super().get_functions()

    app = CountingApp()

    @app.schedule(schedule="0 0 * * * *", arg_name="timer")
    def hourly(timer: func.TimerRequest) -> None: ...

    infos = index_app(app)
    assert list(infos) == ["hourly"]
    assert calls == [1]


def test_duplicate_function_names_fail_indexing() -> None:
    app = func.FunctionApp()

    @app.function_name("same")
    @app.route(route="a")
    def a(req: func.HttpRequest) -> str:
        return ""

    @app.function_name("same")
    @app.route(route="b")
    def b(req: func.HttpRequest) -> str:
        return ""

    with pytest.raises(HostStartError, match=r"indexing the function app failed: .*same"):
        index_app(app)


def test_an_app_without_functions_is_refused() -> None:
    with pytest.raises(HostStartError, match="no functions"):
        index_app(func.FunctionApp())


def test_unsupported_triggers_are_refused_by_name() -> None:
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name="q", connection="AzureWebJobsStorage")
    def on_queue(msg: func.QueueMessage) -> None: ...

    with pytest.raises(
        HostStartError, match=r"'on_queue': trigger 'queueTrigger' is not supported"
    ):
        index_app(app)


def test_parameters_must_match_bindings_like_the_worker() -> None:
    app = func.FunctionApp()

    @app.route(route="x")
    def extra(req: func.HttpRequest, other: str) -> str:
        return ""

    with pytest.raises(
        HostStartError,
        match=r"^cannot load the extra function: the following parameters are declared in "
        r"Python but not in function.json: \{'other'\}$",
    ):
        index_app(app)


def test_trigger_annotation_must_fit_the_binding_like_the_worker() -> None:
    app = func.FunctionApp()

    @app.event_grid_trigger(arg_name="event")
    def handler(event: func.EventGridEvent | func.CloudEvent) -> None: ...

    with pytest.raises(
        HostStartError,
        match=r"^cannot load the handler function: binding event has invalid non-type annotation",
    ):
        index_app(app)


def test_a_trigger_annotation_of_another_type_is_refused_with_the_workers_message() -> None:
    app = func.FunctionApp()

    @app.event_grid_trigger(arg_name="event")
    def handler(event: func.HttpRequest) -> None: ...

    with pytest.raises(
        HostStartError,
        match=r"^cannot load the handler function: type of event binding in function.json "
        r'"eventGridTrigger" does not match its Python annotation "HttpRequest"$',
    ):
        index_app(app)


def test_a_str_or_bytes_trigger_binds_as_the_generic_binding() -> None:
    app = func.FunctionApp()

    @app.event_grid_trigger(arg_name="event")
    def as_text(event: str) -> None: ...

    @app.event_grid_trigger(arg_name="event")
    def as_bytes(event: bytes) -> None: ...

    @app.schedule(schedule="0 */5 * * * *", arg_name="timer")
    def typed(timer: func.TimerRequest) -> None: ...

    infos = index_app(app)
    assert infos["as_text"].trigger_binding == infos["as_bytes"].trigger_binding == "generic"
    assert infos["typed"].trigger_binding == "timerTrigger"


def test_a_context_parameter_must_be_annotated_func_context() -> None:
    app = func.FunctionApp()

    @app.event_grid_trigger(arg_name="event")
    def handler(event: func.EventGridEvent, context: dict) -> None:  # type: ignore[type-arg]
        ...

    with pytest.raises(
        HostStartError,
        match=r'^cannot load the handler function: the "context" parameter is expected to be '
        r"of type azure.functions.Context, got <class 'dict'>$",
    ):
        index_app(app)


def test_an_unannotated_or_func_context_parameter_is_the_context() -> None:
    app = func.FunctionApp()

    @app.event_grid_trigger(arg_name="event")
    def bare(event: func.EventGridEvent, context) -> None:  # type: ignore[no-untyped-def]
        ...

    @app.event_grid_trigger(arg_name="event")
    def typed(event: func.EventGridEvent, context: func.Context) -> None: ...

    infos = index_app(app)
    assert infos["bare"].context_param == infos["typed"].context_param == "context"


def test_an_http_function_annotated_to_return_none_is_refused_like_the_worker() -> None:
    app = func.FunctionApp()

    @app.route(route="x")
    def nothing(req: func.HttpRequest) -> None: ...

    with pytest.raises(
        HostStartError,
        match=r'^cannot load the nothing function: Python return annotation "NoneType" does '
        r'not match binding type "http"$',
    ):
        index_app(app)


def test_bad_route_or_schedule_names_the_function() -> None:
    app = func.FunctionApp()

    @app.schedule(schedule="*/5 * * * *", arg_name="timer")
    def five_fields(timer: func.TimerRequest) -> None: ...

    with pytest.raises(HostStartError, match=r"'five_fields'.*six fields"):
        index_app(app)


@pytest.fixture
def restored() -> Iterator[None]:
    environ, path, modules = dict(os.environ), list(sys.path), dict(sys.modules)
    yield
    os.environ.clear()
    os.environ.update(environ)
    sys.path[:] = path
    for name in set(sys.modules) - set(modules):
        del sys.modules[name]


def write_app(root: Path, source: str, name: str = "function_app") -> None:
    (root / f"{name}.py").write_text(source)


APP = """
import os
import azure.functions as func

SEEN = os.environ.get("UNIT_HOST_SETTING")
app = func.FunctionApp()

@app.route(route="x", auth_level=func.AuthLevel.ANONYMOUS)
def x(req: func.HttpRequest) -> str:
    return "x"
"""


def test_load_applies_settings_before_import(tmp_path: Path, restored: None) -> None:
    write_app(tmp_path, APP, "unit_host_app")
    host = FunctionsHost.load(
        tmp_path, module="unit_host_app", settings={"UNIT_HOST_SETTING": "yes"}
    )
    assert host.module.SEEN == "yes"
    assert os.environ["UNIT_HOST_SETTING"] == "yes"
    assert list(host.functions) == ["x"]
    assert sys.modules["unit_host_app"] is host.module
    with pytest.raises(ValueError, match="unique function name"):
        host.module.app.get_functions()  # the host already called it once


def test_an_import_error_is_a_start_error(tmp_path: Path, restored: None) -> None:
    write_app(tmp_path, "import azure.functions as func\nraise RuntimeError('bad config')\n")
    with pytest.raises(
        HostStartError, match=r"importing .*function_app.py failed: RuntimeError: bad"
    ):
        FunctionsHost.load(tmp_path)


def test_a_missing_module_is_a_start_error(tmp_path: Path, restored: None) -> None:
    with pytest.raises(HostStartError, match=r"no function_app.py in script root"):
        FunctionsHost.load(tmp_path)


def test_zero_apps_via_load(tmp_path: Path, restored: None) -> None:
    write_app(tmp_path, "x = 1\n")
    with pytest.raises(HostStartError, match=r"no FunctionApp found in .*function_app.py"):
        FunctionsHost.load(tmp_path)


def test_a_bad_thread_count_is_a_start_error(tmp_path: Path, restored: None) -> None:
    write_app(tmp_path, APP, "unit_host_app2")
    with pytest.raises(HostStartError, match="PYTHON_THREADPOOL_THREAD_COUNT"):
        FunctionsHost.load(
            tmp_path, module="unit_host_app2", settings={"PYTHON_THREADPOOL_THREAD_COUNT": "0"}
        )


BLUEPRINT = """
import azure.functions as func

bp = func.Blueprint()

@bp.route(route="x", auth_level=func.AuthLevel.ANONYMOUS)
def x(req: func.HttpRequest) -> str:
    return "x"
"""

BLUEPRINT_APP = """
import azure.functions as func
import unit_host_blueprint

app = func.FunctionApp()
app.register_functions(unit_host_blueprint.bp)
"""


def test_an_app_of_blueprints_can_be_loaded_again(tmp_path: Path, restored: None) -> None:
    # The app module is executed afresh on each load, but its blueprints' module is imported
    # once: a new FunctionApp indexes the same blueprint functions again, unchanged.
    write_app(tmp_path, BLUEPRINT, "unit_host_blueprint")
    write_app(tmp_path, BLUEPRINT_APP, "unit_host_blueprint_app")
    first = FunctionsHost.load(tmp_path, module="unit_host_blueprint_app")
    second = FunctionsHost.load(tmp_path, module="unit_host_blueprint_app")
    assert list(first.functions) == list(second.functions) == ["x"]
    assert first.functions["x"].bindings == second.functions["x"].bindings
