"""One trace per story: a booking's HTTP request, every publish and every handler of its saga.

This module's stack runs its Functions host in this process (``host_in_process``), so an
in-memory exporter on the process's tracer provider sees the host's spans as they end. The test
is the caller: it sends a ``traceparent`` from its own CLIENT span, so the trace id is known
before the request is made.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from adapters.telemetry import ATTR_EVENT_TYPE, ATTR_RESERVATION_ID, ATTR_SUBSCRIPTION
from devstack.azurite import Azurite
from devstack.stack import LocalStack
from tests.e2e.stack import booking, e2e_config, running_stack, wait_for
from tests.support.spans import memory_exporter

pytestmark = pytest.mark.e2e

TIMEOUT = 30.0


@pytest.fixture(scope="module")
def stack(azurite: Azurite) -> Iterator[LocalStack]:
    """Overrides the package's stack: this one's host runs in this process."""
    with running_stack(e2e_config(azurite.connection_string, host_in_process=True)) as local:
        yield local


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Every span ended during the test; requested before ``stack`` so it is in place first."""
    exporter = memory_exporter()
    yield exporter
    exporter.shutdown()


def traced_post(api: httpx.Client, url: str, **kwargs: Any) -> tuple[httpx.Response, int, int]:
    """POST from a CLIENT span; the response, the trace id and the client span id."""
    tracer = trace.get_tracer("tests.e2e")
    with tracer.start_as_current_span(f"client POST {url}", kind=SpanKind.CLIENT) as client:
        headers: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(headers)
        response = api.post(url, headers=headers, **kwargs)
    context = client.get_span_context()
    return response, context.trace_id, context.span_id


def in_trace(exporter: InMemorySpanExporter, trace_id: int) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.context.trace_id == trace_id]


def named(spans: list[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


def wait_for_spans(
    exporter: InMemorySpanExporter, trace_id: int, names: set[str]
) -> list[ReadableSpan]:
    def seen() -> list[ReadableSpan] | None:
        spans = in_trace(exporter, trace_id)
        return spans if names <= {s.name for s in spans} else None

    return wait_for(seen, timeout=TIMEOUT, message=f"spans {sorted(names)} in the trace")


def status_of(api: httpx.Client, reservation_id: str) -> str:
    return str(api.get(f"/reservations/{reservation_id}").json()["status"])


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


BOOKING_CONSUMERS = {
    "rooms process Hotel.ReservationRequested",
    "billing process Hotel.RoomAllocated",
    "reservations process Hotel.PaymentAuthorized",
}
BOOKING_PUBLISHES = {
    "publish Hotel.ReservationRequested",
    "publish Hotel.RoomAllocated",
    "publish Hotel.PaymentAuthorized",
    "publish Hotel.ReservationConfirmed",
}
CHECK_OUT_CONSUMERS = {
    "billing process Hotel.GuestCheckedOut",
    "loyalty process Hotel.PaymentCaptured",
}


def test_one_trace_spans_a_booking_from_its_request_through_every_handler_of_its_saga(
    spans: InMemorySpanExporter, stack: LocalStack, api: httpx.Client
) -> None:
    created, trace_id, client_span_id = traced_post(
        api, "/reservations", json=booking(hotel="harbor-porto", guests=1, nights=2)
    )
    assert created.status_code == 202, created.text
    rid = created.json()["reservationId"]
    wait_for(lambda: status_of(api, rid) == "Confirmed", timeout=TIMEOUT, message="Confirmed")

    trace_spans = wait_for_spans(
        spans, trace_id, {"POST /api/reservations"} | BOOKING_CONSUMERS | BOOKING_PUBLISHES
    )

    # The request continues the caller's trace and names the reservation.
    (request,) = named(trace_spans, "POST /api/reservations")
    assert request.kind is SpanKind.SERVER
    assert parent_id(request) == client_span_id
    assert attributes(request)[ATTR_RESERVATION_ID] == rid

    # Each handler consumes in the trace, as a child of the span that recorded its event (each
    # event is delivered twice by the e2e emulator: every delivery is a span in the trace).
    recorded_by = {
        "rooms process Hotel.ReservationRequested": "POST /api/reservations",
        "billing process Hotel.RoomAllocated": "rooms process Hotel.ReservationRequested",
        "reservations process Hotel.PaymentAuthorized": "billing process Hotel.RoomAllocated",
    }
    by_id = {s.context.span_id: s for s in trace_spans}
    for name, recorder in recorded_by.items():
        for consumer in named(trace_spans, name):
            subscription, _, event_type = name.partition(" process ")
            assert consumer.kind is SpanKind.CONSUMER
            assert attributes(consumer)[ATTR_RESERVATION_ID] == rid
            assert attributes(consumer)[ATTR_EVENT_TYPE] == event_type
            assert attributes(consumer)[ATTR_SUBSCRIPTION] == subscription
            parent = by_id.get(parent_id(consumer) or 0)
            assert parent is not None, f"{name}: its parent is not in the trace"
            assert parent.name == recorder

    # Every publish and every consumption of this reservation is in this one trace.
    messaging = (SpanKind.PRODUCER, SpanKind.CONSUMER)
    for span in spans.get_finished_spans():
        if span.kind in messaging and attributes(span).get(ATTR_RESERVATION_ID) == rid:
            assert span.context.trace_id == trace_id, f"{span.name} left the trace"
    for publish in (s for s in trace_spans if s.kind is SpanKind.PRODUCER):
        assert attributes(publish)[ATTR_RESERVATION_ID] == rid


def test_a_check_out_is_its_own_trace_through_billing_and_loyalty(
    spans: InMemorySpanExporter, stack: LocalStack, api: httpx.Client
) -> None:
    created, booking_trace, _ = traced_post(
        api, "/reservations", json=booking(hotel="harbor-porto", guests=1, nights=2)
    )
    assert created.status_code == 202, created.text
    rid = created.json()["reservationId"]
    wait_for(lambda: status_of(api, rid) == "Confirmed", timeout=TIMEOUT, message="Confirmed")
    assert api.post(f"/reservations/{rid}/check-in").status_code == 202

    checked_out, trace_id, client_span_id = traced_post(api, f"/reservations/{rid}/check-out")
    assert checked_out.status_code == 202, checked_out.text

    trace_spans = wait_for_spans(
        spans, trace_id, {"POST /api/reservations/{id}/check-out"} | CHECK_OUT_CONSUMERS
    )
    assert trace_id != booking_trace
    (request,) = named(trace_spans, "POST /api/reservations/{id}/check-out")
    assert parent_id(request) == client_span_id
    for name in CHECK_OUT_CONSUMERS:
        for consumer in named(trace_spans, name):
            assert attributes(consumer)[ATTR_RESERVATION_ID] == rid
    # Nothing of the check-out went to the booking's trace.
    booking_names = {s.name for s in in_trace(spans, booking_trace)}
    assert not booking_names & CHECK_OUT_CONSUMERS
