from __future__ import annotations

import json
from typing import Any

import pytest

from devstack.eventgrid.config import InputSchema, TopicConfig
from devstack.eventgrid.publish import MAX_EVENTS, PublishError, parse_events, parse_timestamp

CE_TOPIC = TopicConfig(name="hotel-events", key="k", input_schema=InputSchema.CLOUD_EVENTS)
EG_TOPIC = TopicConfig(name="hotel-events", key="k", input_schema=InputSchema.EVENT_GRID)
BATCH = "application/cloudevents-batch+json; charset=utf-8"


def cloud_event(**overrides: Any) -> dict[str, Any]:
    event = {"id": "1", "source": "/hotels", "specversion": "1.0", "type": "Hotel.X", "data": {}}
    event.update(overrides)
    return event


def grid_event(**overrides: Any) -> dict[str, Any]:
    event = {
        "id": "1",
        "subject": "/s",
        "eventType": "Hotel.X",
        "eventTime": "2030-01-01T00:00:00Z",
    }
    event.update(overrides)
    return event


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


def rejected(raw: bytes, topic: TopicConfig, content_type: str = BATCH) -> PublishError:
    with pytest.raises(PublishError) as info:
        parse_events(raw, content_type, topic)
    return info.value


def test_a_cloud_event_batch_is_accepted_unchanged_with_extensions() -> None:
    event = cloud_event(traceparent="00-abc-def-01", time="2030-01-01T00:00:00.1234567Z")
    assert parse_events(body([event]), BATCH, CE_TOPIC) == [event]


def test_a_single_structured_cloud_event_is_accepted() -> None:
    events = parse_events(body(cloud_event()), "application/cloudevents+json", CE_TOPIC)
    assert events == [cloud_event()]


def test_a_single_object_without_the_structured_content_type_is_rejected() -> None:
    error = rejected(body(cloud_event()), CE_TOPIC, "application/json")
    assert error.status == 400
    assert "array" in error.message


@pytest.mark.parametrize("missing", ["id", "source", "specversion", "type"])
def test_cloud_events_need_their_required_attributes(missing: str) -> None:
    event = cloud_event()
    del event[missing]
    error = rejected(body([event]), CE_TOPIC)
    assert (error.status, error.code) == (400, "BadRequest")
    assert missing in error.message


def test_cloud_events_must_be_spec_version_1_0() -> None:
    assert "specversion" in rejected(body([cloud_event(specversion="0.3")]), CE_TOPIC).message


def test_event_grid_events_are_stamped_like_azure() -> None:
    (event,) = parse_events(body([grid_event()]), "application/json", EG_TOPIC)
    assert event["dataVersion"] == ""
    assert event["metadataVersion"] == "1"
    assert event["topic"].endswith("/providers/Microsoft.EventGrid/topics/hotel-events")


@pytest.mark.parametrize("missing", ["id", "subject", "eventType", "eventTime"])
def test_event_grid_events_need_their_required_fields(missing: str) -> None:
    event = grid_event()
    del event[missing]
    assert missing in rejected(body([event]), EG_TOPIC).message


def test_event_grid_metadata_version_must_be_1() -> None:
    assert "metadataVersion" in rejected(body([grid_event(metadataVersion="2")]), EG_TOPIC).message


def test_event_grid_event_time_must_be_a_timestamp() -> None:
    assert "eventTime" in rejected(body([grid_event(eventTime="yesterday")]), EG_TOPIC).message


@pytest.mark.parametrize(
    "raw", [b"{not json", b'{"id": 1}', b"[]", b"[1, 2]", b"\xff\xfe", b'"text"']
)
def test_malformed_bodies_are_400_with_azure_error_shape(raw: bytes) -> None:
    error = rejected(raw, EG_TOPIC, "application/json")
    assert error.status == 400
    details = error.body()["error"]["details"]
    assert details
    assert set(details[0]) == {"code", "message"}


def test_bodies_over_1_mb_are_413() -> None:
    big = cloud_event(data={"blob": "x" * (1024 * 1024)})
    error = rejected(body([big]), CE_TOPIC)
    assert error.status == 413


def test_more_than_5000_events_are_413() -> None:
    events = [
        {"id": str(i), "source": "s", "specversion": "1.0", "type": "t"}
        for i in range(MAX_EVENTS + 1)
    ]
    assert rejected(body(events), CE_TOPIC).status == 413


def test_exactly_5000_small_events_are_accepted() -> None:
    events = [
        {"id": str(i), "source": "s", "specversion": "1.0", "type": "t"} for i in range(MAX_EVENTS)
    ]
    assert len(parse_events(body(events), BATCH, CE_TOPIC)) == MAX_EVENTS


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2030-01-01T00:00:00Z", True),
        ("2030-01-01T00:00:00.1234567+02:00", True),
        ("2030-01-01 00:00:00", True),
        ("not a date", False),
        ("", False),
    ],
)
def test_timestamps(text: str, valid: bool) -> None:
    assert (parse_timestamp(text) is not None) is valid
