"""CloudEvents, the sandbox gateway, the fake publisher, settings and the memory wiring."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from opentelemetry.sdk.trace import TracerProvider

from adapters.cloudevents import to_cloudevent
from adapters.eventgrid import cloudevent_from_json
from adapters.payments import IdempotencyKeyMismatchError, SandboxPaymentGateway
from adapters.settings import AppSettingsError, Settings
from domain.catalog import DEMO_CATALOG
from domain.events import ReservationRejected
from tests.support.memory_ports import InMemoryPublisher, PublishFailedError, build_memory_ports

EVENT = ReservationRejected(
    reservation_id="r-1",
    hotel_id="grand-lisbon",
    reason="no_availability",
    occurred_at=datetime(2031, 5, 1, 10, 30, tzinfo=UTC),
)


def test_a_domain_event_becomes_a_cloudevent() -> None:
    assert to_cloudevent(EVENT, context="rooms") == {
        "specversion": "1.0",
        "id": EVENT.event_id,
        "source": "/hotel/rooms",
        "type": "Hotel.ReservationRejected",
        "subject": "/hotels/grand-lisbon/reservations/r-1",
        "time": "2031-05-01T10:30:00Z",
        "datacontenttype": "application/json",
        "data": EVENT.to_data(),
    }


def test_the_active_span_travels_as_traceparent() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        cloudevent = to_cloudevent(EVENT, context="rooms")
    ctx = span.get_span_context()
    assert (
        cloudevent["traceparent"]
        == f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}"
    )


def test_the_sdk_cloudevent_keeps_every_attribute() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work"):
        stored = to_cloudevent(EVENT, context="rooms")
    rebuilt = cloudevent_from_json(stored)
    assert (rebuilt.id, rebuilt.source, rebuilt.type, rebuilt.subject) == (
        stored["id"], stored["source"], stored["type"], stored["subject"],
    )  # fmt: skip
    assert rebuilt.time == EVENT.occurred_at
    assert rebuilt.data == stored["data"]
    assert rebuilt.extensions == {"traceparent": stored["traceparent"]}


def test_the_sandbox_gateway_declines_tok_declined_and_is_idempotent() -> None:
    gateway = SandboxPaymentGateway()
    declined = gateway.authorize(
        idempotency_key="r-1", token="tok_declined", amount=Decimal("10"), currency="EUR"
    )
    assert not declined.approved
    assert declined.authorization_id is None
    empty = gateway.authorize(idempotency_key="r-1", token="", amount=Decimal("1"), currency="EUR")
    assert not empty.approved

    first = gateway.authorize(
        idempotency_key="r-2", token="tok_visa", amount=Decimal("360.00"), currency="EUR"
    )
    again = gateway.authorize(
        idempotency_key="r-2", token="tok_visa", amount=Decimal("360.00"), currency="EUR"
    )
    assert first.approved
    assert first == again
    assert first.authorization_id is not None
    assert (
        SandboxPaymentGateway()
        .authorize(idempotency_key="r-2", token="tok_mc", amount=Decimal("1"), currency="EUR")
        .authorization_id
        == first.authorization_id
    )  # deterministic across workers

    auth_id = first.authorization_id
    gateway.capture(
        idempotency_key="r-2:capture:stay", authorization_id=auth_id, amount=Decimal("120.00")
    )
    gateway.capture(
        idempotency_key="r-2:capture:stay", authorization_id=auth_id, amount=Decimal("120.00")
    )
    gateway.void(idempotency_key="r-2:void", authorization_id=auth_id)
    gateway.void(idempotency_key="r-2:void", authorization_id=auth_id)
    record = gateway.authorizations[auth_id]
    assert (record.captured, record.voided) == (Decimal("120.00"), True)
    assert (record.captures, record.voids) == (1, 1)
    with pytest.raises(IdempotencyKeyMismatchError):  # one key, another operation
        gateway.capture(idempotency_key="r-2:void", authorization_id=auth_id, amount=Decimal("1"))


def test_concurrent_duplicate_gateway_calls_take_effect_once() -> None:
    gateway = SandboxPaymentGateway()
    auth = gateway.authorize(
        idempotency_key="r-9:authorize", token="tok_visa", amount=Decimal("90.00"), currency="EUR"
    )
    assert auth.authorization_id is not None
    auth_id = auth.authorization_id
    barrier = threading.Barrier(8)

    def capture() -> None:
        barrier.wait()
        gateway.capture(
            idempotency_key="r-9:capture:stay", authorization_id=auth_id, amount=Decimal("90.00")
        )

    threads = [threading.Thread(target=capture) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    record = gateway.authorizations[auth_id]
    assert (record.captured, record.captures) == (Decimal("90.00"), 1)


def test_the_fake_publisher_records_and_fails_on_demand() -> None:
    publisher = InMemoryPublisher()
    cloudevent = to_cloudevent(EVENT, context="rooms")
    publisher.fail_next()
    with pytest.raises(PublishFailedError):
        publisher.publish([cloudevent])
    assert publisher.published == []
    publisher.publish([cloudevent])
    assert publisher.published == [cloudevent]
    assert publisher.published_types == ["Hotel.ReservationRejected"]


def test_memory_ports_use_the_demo_catalog_and_the_given_clock() -> None:
    moment = datetime(2031, 1, 1, tzinfo=UTC)
    ports = build_memory_ports(clock=lambda: moment)
    assert sorted(ports.catalog.hotels(), key=lambda h: h.hotel_id) == sorted(
        DEMO_CATALOG, key=lambda h: h.hotel_id
    )
    assert ports.clock() == moment
    assert isinstance(ports.publisher, InMemoryPublisher)


VALID = {
    "AzureWebJobsStorage": "UseDevelopmentStorage=true",
    "EVENTGRID_TOPIC_ENDPOINT": "http://127.0.0.1:7072/api/events",
    "EVENTGRID_TOPIC_KEY": "local-dev-key",
}


def test_settings_expand_the_development_storage_shorthand() -> None:
    settings = Settings.load(VALID)
    assert settings.storage_connection_string is not None
    assert "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1" in (
        settings.storage_connection_string
    )
    assert str(settings.eventgrid_topic_endpoint) == VALID["EVENTGRID_TOPIC_ENDPOINT"]
    assert "local-dev-key" not in repr(settings)


def test_settings_accept_endpoints_with_a_managed_identity() -> None:
    settings = Settings.load(
        {
            "STORAGE_TABLE_ENDPOINT": "https://acct.table.core.windows.net",
            "STORAGE_BLOB_ENDPOINT": "https://acct.blob.core.windows.net",
            "EVENTGRID_TOPIC_ENDPOINT": "https://t.westeurope-1.eventgrid.azure.net/api/events",
        }
    )
    assert settings.uses_identity_for_storage
    assert settings.eventgrid_topic_key is None


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("EVENTGRID_TOPIC_ENDPOINT", "EVENTGRID_TOPIC_ENDPOINT"),
        ("AzureWebJobsStorage", "AzureWebJobsStorage"),
    ],
)
def test_a_missing_setting_is_named(missing: str, named: str) -> None:
    environ = {k: v for k, v in VALID.items() if k != missing}
    with pytest.raises(AppSettingsError, match=named):
        Settings.load(environ)


def test_an_invalid_setting_is_named() -> None:
    with pytest.raises(AppSettingsError, match="EVENTGRID_TOPIC_ENDPOINT"):
        Settings.load({**VALID, "EVENTGRID_TOPIC_ENDPOINT": "not a url"})
    with pytest.raises(AppSettingsError, match="STORAGE_BLOB_ENDPOINT"):
        Settings.load(
            {
                "EVENTGRID_TOPIC_ENDPOINT": VALID["EVENTGRID_TOPIC_ENDPOINT"],
                "STORAGE_TABLE_ENDPOINT": "https://acct.table.core.windows.net",
            }
        )
