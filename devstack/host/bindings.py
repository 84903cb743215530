"""Build the objects the Python worker passes to functions, with the library's own converters.

The worker turns what the host sends into a ``meta.Datum`` and hands it to the converter
registered for the binding (``azure.functions.http.HttpRequestConverter``,
``azure.functions.eventgrid.EventGridEventInConverter``,
``azure.functions.timer.TimerRequestConverter``); results go back through
``HttpResponseConverter``. Doing the same here means functions get exactly the real types.

What the host sends is built here as a ``meta.Datum`` (``http_datum``, ``event_datum``,
``timer_datum``) and decoded with the binding the worker chose at load time
(``decode_trigger``): the library's converter, or the worker's ``generic`` binding for a
``str``/``bytes``-annotated trigger (``devstack.host.signature``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from http.cookies import SimpleCookie
from typing import Any, Final, Generic, TypeVar

import azure.functions as func
from azure.functions import meta
from azure.functions.eventgrid import EventGridEventInConverter
from azure.functions.http import HttpRequestConverter, HttpResponseConverter
from azure.functions.timer import TimerRequestConverter

T = TypeVar("T")

# The response headers the server computes itself; a function's values are dropped.
_SERVER_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})


def _joined(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Repeated names joined with ',' (what ASP.NET ``StringValues.ToString()`` sends)."""
    joined: dict[str, str] = {}
    for name, value in pairs:
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


GENERIC_BINDING = "generic"


def decode_trigger(binding_type: str, datum: meta.Datum) -> Any:
    """The trigger argument, as the worker's ``bindings.meta.from_incoming_proto`` decodes it."""
    if binding_type == GENERIC_BINDING:
        # azure_functions_worker/bindings/generic.py: GenericBinding.decode
        if datum.type in ("string", "bytes", "json", None):
            return datum.value
        raise ValueError(
            f'unexpected type of data received for the "generic" binding : {datum.type!r}'
        )
    converter: Any = meta.get_binding_registry().get(binding_type)  # type: ignore[no-untyped-call]
    return converter.decode(datum, trigger_metadata={})


def http_datum(
    *,
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    query: Iterable[tuple[str, str]],
    route_params: Mapping[str, str],
    body: bytes,
) -> meta.Datum:
    """An HTTP request as the host sends it to the worker.

    The worker declares the ``RawHttpBodyBytes`` capability, so the body arrives as bytes.
    """

    def strings(values: Mapping[str, str]) -> dict[str, meta.Datum]:
        return {name: meta.Datum(value, "string") for name, value in values.items()}

    return meta.Datum(
        {
            "method": meta.Datum(method.upper(), "string"),
            "url": meta.Datum(url, "string"),
            "headers": strings(_joined(headers)),
            "query": strings(_joined(query)),
            "params": strings(dict(route_params)),
            "body": meta.Datum(body, "bytes"),
        },
        "http",
    )


def build_http_request(
    *,
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    query: Iterable[tuple[str, str]],
    route_params: Mapping[str, str],
    body: bytes,
) -> func.HttpRequest:
    """A ``func.HttpRequest`` built through ``HttpRequestConverter`` like the worker does."""
    datum = http_datum(
        method=method,
        url=url,
        headers=headers,
        query=query,
        route_params=route_params,
        body=body,
    )
    request: func.HttpRequest = HttpRequestConverter.decode(datum, trigger_metadata={})
    return request


@dataclass(frozen=True)
class HttpResult:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def _cookie_headers(cookies: Iterable[SimpleCookie]) -> list[tuple[str, str]]:
    return [
        ("set-cookie", morsel.OutputString()) for cookie in cookies for morsel in cookie.values()
    ]


class _NoHttpOutput:
    """A ``func.Out`` http parameter the function never set."""


NO_HTTP_OUTPUT: Final = _NoHttpOutput()


def map_http_result(value: object) -> HttpResult:
    """The HTTP response for what a function returned (or set on its ``func.Out``).

    ``func.HttpResponse`` and ``str`` go through ``HttpResponseConverter`` (a str becomes a 200
    ``text/plain; charset=utf-8``). Anything else, ``None`` included, is what the worker cannot
    encode: ``TypeError`` with its message (``azure_functions_worker/bindings/meta.py``,
    ``get_datum``), a failed invocation (500). An unset ``func.Out`` (``NO_HTTP_OUTPUT``; the
    worker sends no output then) answers 204 (unverified against the real host).
    """
    if value is NO_HTTP_OUTPUT:
        return HttpResult(204, (), b"")
    try:
        datum = HttpResponseConverter.encode(value, expected_type=None)
    except NotImplementedError:
        raise TypeError(
            "unable to encode outgoing TypedData: "
            f'unsupported type "{HttpResponseConverter}" for '
            f'Python type "{type(value).__name__}"'
        ) from None
    if datum.type == "string":
        body = str(datum.value).encode("utf-8")
        return HttpResult(200, (("content-type", "text/plain; charset=utf-8"),), body)
    parts: dict[str, Any] = datum.value
    headers = [
        (name.lower(), str(header.value))
        for name, header in parts["headers"].items()
        if name.lower() not in _SERVER_HEADERS
    ]
    headers += _cookie_headers(parts.get("cookies") or [])
    body_value = parts["body"].value
    body = body_value.encode("utf-8") if isinstance(body_value, str) else bytes(body_value or b"")
    return HttpResult(int(parts["status_code"].value), tuple(headers), body)


def event_datum(event: Any) -> meta.Datum:
    """One Event Grid element as the host sends it: its JSON."""
    return meta.Datum(json.dumps(event), "json")


def decode_event(event: Mapping[str, Any]) -> func.EventGridEvent | func.CloudEvent:
    """One Event Grid element as the worker decodes it: ``specversion`` means a CloudEvent."""
    decoded: func.EventGridEvent | func.CloudEvent = EventGridEventInConverter.decode(
        event_datum(event), trigger_metadata={}
    )
    return decoded


def timer_datum(request: func.TimerRequest) -> meta.Datum:
    """The timer information the host sends (what ``build_timer_request`` decoded)."""
    info = {
        # The library's TimerRequest has both; its abstract base declares neither.
        "Schedule": getattr(request, "schedule", {}),
        "ScheduleStatus": getattr(request, "schedule_status", {}),
        "IsPastDue": request.past_due,
    }
    return meta.Datum(json.dumps(info), "json")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def build_timer_request(
    *,
    past_due: bool,
    last: datetime | None = None,
    next_: datetime | None = None,
    last_updated: datetime | None = None,
) -> func.TimerRequest:
    """A ``func.TimerRequest`` from the JSON the host sends for a timer trigger."""
    info = {
        "Schedule": {"AdjustForDST": True},
        "ScheduleStatus": {
            "Last": _iso(last),
            "Next": _iso(next_),
            "LastUpdated": _iso(last_updated),
        },
        "IsPastDue": past_due,
    }
    request: func.TimerRequest = TimerRequestConverter.decode(
        meta.Datum(json.dumps(info), "json"), trigger_metadata={}
    )
    return request


class Out(func.Out[T], Generic[T]):
    """The ``func.Out`` the worker passes for an output binding parameter."""

    def __init__(self) -> None:
        self._value: T | None = None

    def set(self, val: T) -> None:
        self._value = val

    def get(self) -> T:
        return self._value  # type: ignore[return-value]


class _TraceContext(func._abc.TraceContext):
    def __init__(self, trace_parent: str, trace_state: str) -> None:
        self._parent = trace_parent
        self._state = trace_state

    @property
    def trace_state(self) -> str:
        return self._state

    @property
    def trace_parent(self) -> str:
        return self._parent

    @property
    def attributes(self) -> dict[str, str]:
        return {}


class _RpcException(func._abc.RpcException):
    @property
    def source(self) -> str:
        return ""

    @property
    def stack_trace(self) -> str:
        return ""

    @property
    def message(self) -> str:
        return ""


class _RetryContext(func._abc.RetryContext):
    @property
    def retry_count(self) -> int:
        return 0

    @property
    def max_retry_count(self) -> int:
        return 0

    @property
    def exception(self) -> func._abc.RpcException:
        return _RpcException()


class Context(func.Context):
    """The ``context`` argument (``func.Context``) for one invocation."""

    def __init__(
        self,
        *,
        invocation_id: str,
        function_name: str,
        function_directory: str,
        trace_parent: str = "",
        trace_state: str = "",
    ) -> None:
        self._invocation_id = invocation_id
        self._function_name = function_name
        self._function_directory = function_directory
        self._trace = _TraceContext(trace_parent, trace_state)
        self._local = threading.local()
        self._local.invocation_id = invocation_id

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> Any:
        return self._local

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def trace_context(self) -> func._abc.TraceContext:
        return self._trace

    @property
    def retry_context(self) -> func._abc.RetryContext:
        return _RetryContext()
