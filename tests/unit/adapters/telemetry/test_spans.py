"""The span helpers: each continues the trace it is handed and says what it was about."""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import azure.functions as func
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from adapters.cloudevents import to_cloudevent
from adapters.settings import Settings
from adapters.telemetry import (
    ATTR_EVENT_ID,
    ATTR_EVENT_TYPE,
    ATTR_RESERVATION_ID,
    ATTR_SUBSCRIPTION,
    configure_telemetry,
    consume_span,
    http_span,
    publish_span,
    route_template,
)
from domain.errors import ReservationNotFoundError
from domain.events import ReservationRequested
from entrypoints.eventgrid_edge import consumes
from entrypoints.http_edge import handle_errors, json_response
from tests.support.spans import memory_exporter, trace_id_hex

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"
RESERVATION_ID = "0d6c5a43-3f4e-4b0e-9a3e-2b7f0c1d9e11"
SUBJECT = f"/hotels/grand-lisbon/reservations/{RESERVATION_ID}"
SETTINGS = {
    "AzureWebJobsStorage": "UseDevelopmentStorage=true",
    "EVENTGRID_TOPIC_ENDPOINT": "http://127.0.0.1:7072/api/events",
}


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = memory_exporter()
    yield exporter
    exporter.shutdown()


def only(exporter: InMemorySpanExporter) -> ReadableSpan:
    finished = exporter.get_finished_spans()
    assert len(finished) == 1, [s.name for s in finished]
    return finished[0]


def cloud_event(**extensions: Any) -> func.CloudEvent:
    return func.CloudEvent(
        id="evt-1",
        source="/hotel/reservations",
        type="Hotel.ReservationRequested",
        specversion="1.0",
        subject=SUBJECT,
        data={"reservationId": RESERVATION_ID, "hotelId": "grand-lisbon"},
        **extensions,
    )


def http_request(
    method: str = "POST",
    url: str = "http://localhost/api/reservations",
    headers: dict[str, str] | None = None,
    route_params: dict[str, str] | None = None,
) -> func.HttpRequest:
    return func.HttpRequest(
        method, url, headers=headers or {}, route_params=route_params or {}, body=b"{}"
    )


# -- consumers -------------------------------------------------------------------------------


def test_a_consumer_span_continues_the_traceparent_of_the_event(
    spans: InMemorySpanExporter,
) -> None:
    with consume_span("rooms", cloud_event(traceparent=TRACEPARENT, tracestate="k=v")):
        pass

    span = only(spans)
    assert span.name == "rooms process Hotel.ReservationRequested"
    assert span.kind is SpanKind.CONSUMER
    assert trace_id_hex(span) == TRACE_ID
    assert span.parent is not None
    assert span.parent.is_remote
    assert format(span.parent.span_id, "016x") == PARENT_SPAN_ID
    assert span.context.trace_state.get("k") == "v"
    assert span.attributes is not None
    assert span.attributes[ATTR_RESERVATION_ID] == RESERVATION_ID
    assert span.attributes[ATTR_EVENT_TYPE] == "Hotel.ReservationRequested"
    assert span.attributes[ATTR_EVENT_ID] == "evt-1"
    assert span.attributes[ATTR_SUBSCRIPTION] == "rooms"
    assert span.attributes["messaging.system"] == "eventgrid"


def test_the_reservation_id_comes_from_the_subject_when_the_data_lacks_it(
    spans: InMemorySpanExporter,
) -> None:
    event = func.CloudEvent(
        id="evt-2", source="/hotel/rooms", type="Hotel.Other", specversion="1.0",
        subject=SUBJECT, data={"somethingElse": 1},
    )  # fmt: skip
    with consume_span("billing", event):
        pass

    attributes = only(spans).attributes
    assert attributes is not None
    assert attributes[ATTR_RESERVATION_ID] == RESERVATION_ID


@pytest.mark.parametrize("extensions", [{}, {"traceparent": "00-not-a-valid-parent-01"}])
def test_without_a_valid_traceparent_a_consumer_starts_a_new_trace(
    spans: InMemorySpanExporter, extensions: dict[str, str]
) -> None:
    with consume_span("rooms", cloud_event(**extensions)):
        pass

    span = only(spans)
    assert span.parent is None
    assert trace_id_hex(span) != TRACE_ID


def test_a_failing_consumer_records_the_error_and_still_raises(
    spans: InMemorySpanExporter,
) -> None:
    with (
        pytest.raises(RuntimeError, match="table unavailable"),
        consume_span("rooms", cloud_event(traceparent=TRACEPARENT)),
    ):
        raise RuntimeError("table unavailable")

    span = only(spans)
    assert span.status.status_code is StatusCode.ERROR
    assert [e.name for e in span.events] == ["exception"]


def test_events_recorded_while_consuming_carry_the_consumer_span_as_their_parent(
    spans: InMemorySpanExporter,
) -> None:
    event = ReservationRequested(
        reservation_id=RESERVATION_ID, hotel_id="grand-lisbon",
        occurred_at=datetime(2030, 1, 1, tzinfo=UTC), room_type="STD",
        check_in=date(2030, 2, 1), check_out=date(2030, 2, 3), guests=1, guest_id="g-1",
        payment_method_ref="pm-1",
    )  # fmt: skip
    with consume_span("rooms", cloud_event(traceparent=TRACEPARENT)) as consumer:
        recorded = to_cloudevent(event, context="rooms")

    own = consumer.get_span_context()
    assert recorded["traceparent"] == f"00-{TRACE_ID}-{own.span_id:016x}-01"


def test_the_consumes_decorator_wraps_a_trigger_without_changing_its_signature(
    spans: InMemorySpanExporter,
) -> None:
    seen: list[str] = []

    @consumes("loyalty")
    def loyalty_subscriber(event: func.CloudEvent) -> None:
        seen.append(format(trace.get_current_span().get_span_context().trace_id, "032x"))

    assert list(inspect.signature(loyalty_subscriber).parameters) == ["event"]
    loyalty_subscriber(event=cloud_event(traceparent=TRACEPARENT))  # the worker passes by name

    assert seen == [TRACE_ID]
    assert only(spans).name == "loyalty process Hotel.ReservationRequested"


# -- HTTP ------------------------------------------------------------------------------------


def test_an_http_span_continues_the_callers_traceparent(spans: InMemorySpanExporter) -> None:
    with http_span(http_request(headers={"traceparent": TRACEPARENT})):
        pass

    span = only(spans)
    assert span.name == "POST /api/reservations"
    assert span.kind is SpanKind.SERVER
    assert trace_id_hex(span) == TRACE_ID
    assert span.parent is not None
    assert format(span.parent.span_id, "016x") == PARENT_SPAN_ID
    assert span.attributes is not None
    assert span.attributes["http.route"] == "/api/reservations"
    assert span.attributes["http.method"] == "POST"


def test_route_values_are_named_in_the_route_and_the_reservation_id_is_an_attribute(
    spans: InMemorySpanExporter,
) -> None:
    req = http_request(
        url=f"http://localhost/api/reservations/{RESERVATION_ID}/check-out",
        route_params={"id": RESERVATION_ID},
    )
    assert route_template(req) == "/api/reservations/{id}/check-out"
    with http_span(req):
        pass

    span = only(spans)
    assert span.name == "POST /api/reservations/{id}/check-out"
    assert span.parent is None
    assert span.attributes is not None
    assert span.attributes[ATTR_RESERVATION_ID] == RESERVATION_ID


def test_every_route_behind_handle_errors_gets_a_span_with_its_status_and_reservation(
    spans: InMemorySpanExporter,
) -> None:
    @handle_errors
    def create(req: func.HttpRequest) -> func.HttpResponse:
        location = f"/api/reservations/{RESERVATION_ID}"
        return json_response({"reservationId": RESERVATION_ID}, 202, {"Location": location})

    assert create(http_request(headers={"traceparent": TRACEPARENT})).status_code == 202

    span = only(spans)
    assert trace_id_hex(span) == TRACE_ID
    assert span.attributes is not None
    assert span.attributes["http.response.status_code"] == 202
    assert span.attributes[ATTR_RESERVATION_ID] == RESERVATION_ID
    assert span.status.status_code is StatusCode.UNSET


def test_a_translated_error_is_not_a_failed_span_but_a_bug_is(
    spans: InMemorySpanExporter,
) -> None:
    @handle_errors
    def missing(req: func.HttpRequest) -> func.HttpResponse:
        raise ReservationNotFoundError("nope")

    @handle_errors
    def bug(req: func.HttpRequest) -> func.HttpResponse:
        raise ZeroDivisionError("oops")

    assert missing(http_request(method="GET")).status_code == 404
    with pytest.raises(ZeroDivisionError):
        bug(http_request(method="GET"))

    not_found, failed = spans.get_finished_spans()
    assert not_found.attributes is not None
    assert not_found.attributes["http.response.status_code"] == 404
    assert not_found.status.status_code is StatusCode.UNSET
    assert failed.status.status_code is StatusCode.ERROR


# -- publish ---------------------------------------------------------------------------------


def test_a_publish_span_is_a_producer_linked_to_each_events_recorded_context(
    spans: InMemorySpanExporter,
) -> None:
    other_trace = "0af7651916cd43dd8448eb211c80319c"
    cloudevents = [
        {"id": "e1", "type": "Hotel.RoomAllocated", "subject": SUBJECT,
         "data": {"reservationId": RESERVATION_ID}, "traceparent": TRACEPARENT},
        {"id": "e2", "type": "Hotel.RoomAllocated", "subject": SUBJECT,
         "data": {"reservationId": RESERVATION_ID},
         "traceparent": f"00-{other_trace}-b7ad6b7169203331-01"},
    ]  # fmt: skip
    with publish_span(cloudevents, "https://topic.westeurope-1.eventgrid.azure.net/api/events"):
        pass

    span = only(spans)
    assert span.name == "publish Hotel.RoomAllocated"
    assert span.kind is SpanKind.PRODUCER
    assert {format(link.context.trace_id, "032x") for link in span.links} == {
        TRACE_ID,
        other_trace,
    }
    assert span.attributes is not None
    assert span.attributes["messaging.batch.message_count"] == 2
    assert span.attributes[ATTR_EVENT_TYPE] == "Hotel.RoomAllocated"
    assert span.attributes[ATTR_RESERVATION_ID] == RESERVATION_ID
    assert span.attributes["server.address"] == "topic.westeurope-1.eventgrid.azure.net"


# -- logs ------------------------------------------------------------------------------------


def test_log_records_carry_the_trace_and_span_ids(
    spans: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings.load(SETTINGS)
    assert configure_telemetry(settings) == "existing"  # the tests' provider is left alone
    assert configure_telemetry(settings) == "existing"  # and the log factory installed once
    with (
        caplog.at_level(logging.INFO, logger="hotel.test"),
        consume_span("rooms", cloud_event(traceparent=TRACEPARENT)) as span,
    ):
        logging.getLogger("hotel.test").info("allocating %s", json.dumps({"n": 1}))

    (record,) = [r for r in caplog.records if r.name == "hotel.test"]
    assert getattr(record, "otelTraceID", None) == TRACE_ID
    assert getattr(record, "otelSpanID", None) == format(span.get_span_context().span_id, "016x")
