"""A sample function app for the devstack host's integration tests.

Loaded by the host as module ``host_sample_app`` (its own name, so it never shadows the real
``function_app``). What its functions receive is kept in module-level lists; tests read them
through the ``state`` route or ``host.module``.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from typing import Any

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

SETTING_AT_IMPORT = os.environ.get("HOST_SAMPLE_SETTING")
RECEIVED: list[dict[str, Any]] = []
TICKS: list[dict[str, Any]] = []
STARTUPS: list[dict[str, Any]] = []


def _json(body: object, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype="application/json")


@app.route(route="hello/{name}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def hello(req: func.HttpRequest) -> func.HttpResponse:
    return _json(
        {
            "method": req.method,
            "url": req.url,
            "route": dict(req.route_params),
            "params": dict(req.params),
            "header": req.headers.get("X-Sample"),
            "thread": threading.current_thread().name,
            "setting": SETTING_AT_IMPORT,
        }
    )


@app.route(route="items/{id:int}", methods=["GET"])
def get_item(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"function": "get_item", "id": req.route_params["id"]})


@app.route(route="items/new", methods=["GET"])
def new_item_form(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"function": "new_item_form"})


@app.route(route="optional/{x?}", auth_level=func.AuthLevel.ANONYMOUS)
def optional(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"route": dict(req.route_params)})


@app.route(route="admin-only", auth_level=func.AuthLevel.ADMIN)
def admin_only(req: func.HttpRequest) -> str:
    return "admin ok"


@app.route(route="echo", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def echo(req: func.HttpRequest) -> func.HttpResponse:
    response = func.HttpResponse(
        req.get_body(),
        status_code=201,
        headers={"X-Echo": "yes", "Location": "/api/echo/1"},
        mimetype="text/html",
        charset="latin-1",
    )
    response.headers.add("Set-Cookie", "a=1; Path=/")
    response.headers.add("Set-Cookie", "b=2")
    return response


@app.route(route="json", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def parse_json(req: func.HttpRequest) -> func.HttpResponse:
    try:
        return _json({"got": req.get_json()})
    except ValueError:
        return _json({"error": "not json"}, 400)


@app.route(route="async", auth_level=func.AuthLevel.ANONYMOUS)
async def async_route(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(0)
    return _json({"thread": threading.current_thread().name})


@app.route(route="boom", auth_level=func.AuthLevel.ANONYMOUS)
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("kaboom")


@app.route(route="out", auth_level=func.AuthLevel.ANONYMOUS, binding_arg_name="res")
def out_binding(req: func.HttpRequest, res: func.Out[func.HttpResponse]) -> None:
    res.set(func.HttpResponse("set via Out", status_code=202))


@app.function_name("with_context")
@app.route(route="context", auth_level=func.AuthLevel.ANONYMOUS)
def context_route(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return _json({"name": context.function_name, "invocation_id": context.invocation_id})


@app.route(route="state", auth_level=func.AuthLevel.ANONYMOUS)
def state(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"received": RECEIVED, "ticks": len(TICKS), "startups": len(STARTUPS)})


@app.event_grid_trigger(arg_name="event")
def recorder(event: func.EventGridEvent) -> None:
    received: object = event  # the worker passes a func.CloudEvent for CloudEvents-schema input
    if isinstance(received, func.CloudEvent):
        RECEIVED.append(
            {
                "class": "CloudEvent",
                "id": received.id,
                "type": received.type,
                "source": received.source,
                "data": received.get_json(),
                "extensions": received.extension_attrs,
            }
        )
    else:
        RECEIVED.append(
            {
                "class": type(event).__name__,
                "id": event.id,
                "type": event.event_type,
                "subject": event.subject,
                "data": event.get_json(),
            }
        )


@app.event_grid_trigger(arg_name="event")
async def failing(event: func.EventGridEvent) -> None:
    raise ValueError(f"cannot handle {event.id}")


@app.timer_trigger(schedule="* * * * * *", arg_name="timer")
def ticker(timer: func.TimerRequest) -> None:
    TICKS.append({"past_due": timer.past_due, "class": type(timer).__name__})


@app.timer_trigger(schedule="0 0 0 1 1 *", arg_name="timer", run_on_startup=True)
def on_startup(timer: func.TimerRequest) -> None:
    STARTUPS.append({"past_due": timer.past_due})


@app.route(route="returns-none", auth_level=func.AuthLevel.ANONYMOUS)
def returns_none(req: func.HttpRequest):  # type: ignore[no-untyped-def]  # `-> None` won't load
    return None


@app.event_grid_trigger(arg_name="event")
def returns_a_value(event: func.EventGridEvent) -> str:
    return "handled"  # no $return binding: the worker fails the invocation


@app.event_grid_trigger(arg_name="event")
def raw_recorder(event: str) -> None:
    # A str annotation binds as the worker's generic binding: the event's JSON text.
    RECEIVED.append({"class": type(event).__name__, "id": json.loads(event)["id"], "raw": event})


@app.route(route="raw-http", auth_level=func.AuthLevel.ANONYMOUS)
def raw_http(req: str) -> str:
    return "never reached: the generic binding cannot decode an http request"
