"""Tracing and log correlation: one W3C trace from an HTTP request through every consumer.

``configure_telemetry(settings)`` runs once per worker from the ``ports()`` bootstrap (never at
import). With ``APPLICATIONINSIGHTS_CONNECTION_STRING`` it calls the Azure Monitor distro
(``configure_azure_monitor``, with the managed identity when
``APPLICATIONINSIGHTS_AUTHENTICATION_STRING`` says ``Authorization=AAD``); otherwise it installs
an SDK ``TracerProvider`` whose spans go to the console (``OTEL_TRACES_EXPORTER=console``) or
nowhere (``none``, the default: trace ids are still made, propagated and put on log records).
A tracer provider that is already installed (the Functions worker's, or a test's in-memory one)
is left alone.

The spans:

- ``http_span(req)``: a SERVER span per HTTP request (opened by
  ``entrypoints.http_edge.handle_errors``), continuing an incoming ``traceparent`` header;
- ``publish_span(cloudevents, endpoint)``: a PRODUCER span per publish to the topic;
- ``consume_span(subscription, event)``: a CONSUMER span per delivered CloudEvent (opened by
  ``entrypoints.eventgrid_edge.consumes``), continuing the ``traceparent``/``tracestate``
  extensions that ``adapters.cloudevents.to_cloudevent`` stamped when the event was recorded.

Because an event is recorded inside the span of whoever caused it, every consumer's span is a
descendant of the HTTP request that started the saga. Span attributes ``hotel.reservation_id``
and ``cloudevents.event_type`` become Application Insights custom dimensions.

Requests, responses and events are read through the small protocols below, which the Functions
worker's ``HttpRequest``, ``HttpResponse`` and ``CloudEvent`` satisfy: only ``entrypoints/``
depends on ``azure.functions``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final, Protocol
from urllib.parse import urlsplit

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from adapters.settings import Settings

__all__ = [
    "ATTR_EVENT_ID",
    "ATTR_EVENT_TYPE",
    "ATTR_RESERVATION_ID",
    "ATTR_SUBSCRIPTION",
    "azure_monitor_options",
    "build_tracer_provider",
    "configure_telemetry",
    "consume_span",
    "http_span",
    "publish_span",
    "record_response",
]

SERVICE_NAME: Final = "hotel-reservations"
ATTR_RESERVATION_ID: Final = "hotel.reservation_id"
ATTR_EVENT_TYPE: Final = "cloudevents.event_type"
ATTR_EVENT_ID: Final = "cloudevents.event_id"
ATTR_SUBSCRIPTION: Final = "messaging.destination.subscription.name"
MESSAGING_SYSTEM: Final = "eventgrid"

_PROPAGATOR: Final = TraceContextTextMapPropagator()
_TRACER: Final = trace.get_tracer("hotel")  # a proxy until a provider is installed
_CONFIGURE_LOCK: Final = threading.Lock()
log = logging.getLogger(__name__)


# -- what the spans read ----------------------------------------------------------------------


class HttpRequestLike(Protocol):
    """The parts of an HTTP request a SERVER span reads (``func.HttpRequest`` has them)."""

    @property
    def method(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def route_params(self) -> Mapping[str, str]: ...


class HttpResponseLike(Protocol):
    """The parts of an HTTP response a SERVER span records (``func.HttpResponse`` has them)."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...


class CloudEventLike(Protocol):
    """The parts of a delivered CloudEvent a CONSUMER span reads (``func.CloudEvent`` has them)."""

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def subject(self) -> str | None: ...
    @property
    def extension_attrs(self) -> dict[str, Any]: ...
    def get_json(self) -> Any: ...


# -- configuration ---------------------------------------------------------------------------


def configure_telemetry(settings: Settings) -> str:
    """Install tracing and log correlation once per process; returns what is in use.

    ``"existing"`` (a provider was installed before: left alone), ``"azure-monitor"``,
    ``"console"`` or ``"none"``. Safe to call again (and from several threads at once).
    """
    with _CONFIGURE_LOCK:
        _install_log_correlation()
        if _tracer_provider_installed():
            return "existing"
        if settings.applicationinsights_connection_string is not None:
            _configure_azure_monitor(settings)
            return "azure-monitor"
        trace.set_tracer_provider(build_tracer_provider(settings.otel_traces_exporter))
        return settings.otel_traces_exporter


def _tracer_provider_installed() -> bool:
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def azure_monitor_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments for ``configure_azure_monitor``: keyless ingestion when asked."""
    credential = None
    if settings.telemetry_uses_identity:
        from azure.identity import ManagedIdentityCredential

        credential = ManagedIdentityCredential(client_id=settings.telemetry_client_id)
    return {
        "connection_string": settings.applicationinsights_connection_string,
        "credential": credential,
    }


def _configure_azure_monitor(settings: Settings) -> None:
    from azure.monitor.opentelemetry import configure_azure_monitor

    configure_azure_monitor(**azure_monitor_options(settings))
    # One INFO line per SDK request would drown the app's own logs in Application Insights.
    logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)


def build_tracer_provider(exporter: str) -> TracerProvider:
    """An SDK provider exporting to the console (``console``) or nowhere (``none``)."""
    # Resource.create also reads OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES.
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    if exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    return provider


def _install_log_correlation() -> None:
    """Every log record gets ``otelTraceID`` / ``otelSpanID`` (OpenTelemetry's names; 0 if none).

    A log record factory, not a handler filter, so records reach every handler (the worker's,
    Azure Monitor's, a test's caplog) already correlated. Installed once.
    """
    current = logging.getLogRecordFactory()
    if getattr(current, "_hotel_trace_ids", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        span_context = trace.get_current_span().get_span_context()
        record.otelTraceID = format(span_context.trace_id, "032x")
        record.otelSpanID = format(span_context.span_id, "016x")
        return record

    factory._hotel_trace_ids = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


# -- context extraction ----------------------------------------------------------------------


def _extract(carrier: Mapping[str, str]) -> otel_context.Context | None:
    """The remote parent in ``traceparent``/``tracestate``; None if absent or invalid."""
    fields = {k: str(v) for k in ("traceparent", "tracestate") if (v := carrier.get(k))}
    if "traceparent" not in fields:
        return None
    extracted = _PROPAGATOR.extract(fields, context=otel_context.Context())
    span_context = trace.get_current_span(extracted).get_span_context()
    return extracted if span_context.is_valid else None


def _ambient_span_context() -> trace.SpanContext | None:
    """The span the runtime (the Functions worker with OpenTelemetry on) made current, if any."""
    span_context = trace.get_current_span().get_span_context()
    return span_context if span_context.is_valid else None


# -- HTTP ------------------------------------------------------------------------------------


def route_template(req: HttpRequestLike) -> str:
    """The request path with route values replaced by their names: ``/api/reservations/{id}``."""
    path = urlsplit(req.url).path or "/"
    params = {value: name for name, value in req.route_params.items() if value}
    return "/".join(f"{{{params[part]}}}" if part in params else part for part in path.split("/"))


@contextmanager
def http_span(req: HttpRequestLike) -> Iterator[Span]:
    """A SERVER span ``"{METHOD} {route}"`` for one HTTP request (see ``record_response``).

    Its parent: the span the runtime made current (the Functions host already continued the
    caller's ``traceparent``), else the ``traceparent`` header, else none (a new trace).
    """
    parent = None if _ambient_span_context() else _extract(req.headers)
    route = route_template(req)
    attributes: dict[str, str] = {
        "http.request.method": req.method,
        "http.method": req.method,
        "http.route": route,
        "url.path": urlsplit(req.url).path,
    }
    if reservation_id := req.route_params.get("id"):
        attributes[ATTR_RESERVATION_ID] = reservation_id
    with _TRACER.start_as_current_span(
        f"{req.method} {route}", context=parent, kind=SpanKind.SERVER, attributes=attributes
    ) as span:
        yield span


def record_response(span: Span, response: HttpResponseLike) -> None:
    """Status code on the span (5xx is an error); a new reservation's id from ``Location``."""
    span.set_attribute("http.response.status_code", response.status_code)
    span.set_attribute("http.status_code", response.status_code)
    if response.status_code >= 500:
        span.set_status(Status(StatusCode.ERROR))
    location = response.headers.get("Location") or ""
    prefix = "/api/reservations/"
    if location.startswith(prefix) and "/" not in location[len(prefix) :]:
        span.set_attribute(ATTR_RESERVATION_ID, location[len(prefix) :])


# -- Event Grid: publish ---------------------------------------------------------------------


def _reservation_id(subject: object, data: object = None) -> str | None:
    """From ``data.reservationId``, else the subject ``/hotels/{h}/reservations/{id}``."""
    if isinstance(data, Mapping) and isinstance(found := data.get("reservationId"), str):
        return found
    parts = str(subject or "").strip("/").split("/")
    if len(parts) >= 4 and parts[-2] == "reservations":
        return parts[-1]
    return None


@contextmanager
def publish_span(cloudevents: Sequence[Mapping[str, Any]], endpoint: str) -> Iterator[Span]:
    """A PRODUCER span for one publish; linked to each event's recorded trace context.

    (The links matter for the outbox relay, which publishes events recorded in other traces.)
    """
    types = sorted({str(ce.get("type")) for ce in cloudevents})
    attributes: dict[str, Any] = {
        "messaging.system": MESSAGING_SYSTEM,
        "messaging.operation.type": "send",
        "messaging.operation.name": "publish",
        "messaging.batch.message_count": len(cloudevents),
        "server.address": urlsplit(endpoint).hostname or "",
        ATTR_EVENT_TYPE: types[0] if len(types) == 1 else types,
    }
    reservation_ids = {_reservation_id(ce.get("subject"), ce.get("data")) for ce in cloudevents}
    if len(reservation_ids) == 1 and (only := reservation_ids.pop()) is not None:
        attributes[ATTR_RESERVATION_ID] = only
    if len(cloudevents) == 1:
        attributes[ATTR_EVENT_ID] = str(cloudevents[0].get("id"))
    links = {}
    for ce in cloudevents:
        if (recorded := _extract(ce)) is not None:
            span_context = trace.get_current_span(recorded).get_span_context()
            links[span_context.span_id] = Link(span_context)
    name = f"publish {types[0]}" if len(types) == 1 else "publish"
    with _TRACER.start_as_current_span(
        name, kind=SpanKind.PRODUCER, attributes=attributes, links=list(links.values())
    ) as span:
        yield span


# -- Event Grid: consume ---------------------------------------------------------------------


@contextmanager
def consume_span(subscription: str, event: CloudEventLike) -> Iterator[Span]:
    """A CONSUMER span ``"{subscription} process {type}"`` for one delivered CloudEvent.

    Its parent is the trace context in the event's ``traceparent`` extension (so the consumer
    joins the trace of whoever recorded the event); the runtime's own span, if any, is linked.
    Without a ``traceparent`` the span continues the current context.
    """
    extensions = event.extension_attrs
    parent = _extract({k: str(v) for k, v in extensions.items() if isinstance(v, str)})
    ambient = _ambient_span_context()
    links = [Link(ambient)] if parent is not None and ambient is not None else []
    attributes: dict[str, str] = {
        "messaging.system": MESSAGING_SYSTEM,
        "messaging.operation.type": "process",
        "messaging.message.id": event.id,
        ATTR_SUBSCRIPTION: subscription,
        ATTR_EVENT_TYPE: event.type,
        ATTR_EVENT_ID: event.id,
        "cloudevents.event_source": event.source,
    }
    if event.subject:
        attributes["cloudevents.event_subject"] = event.subject
    if reservation_id := _reservation_id(event.subject, event.get_json()):
        attributes[ATTR_RESERVATION_ID] = reservation_id
    with _TRACER.start_as_current_span(
        f"{subscription} process {event.type}",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes=attributes,
        links=links,
    ) as span:
        yield span
