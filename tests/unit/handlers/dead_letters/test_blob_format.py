"""Azure's dead-letter blobs: reading them, naming them, and their metadata values."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from handlers.dead_letters.blob_format import (
    UnreadableDeadLetterError,
    dead_letter_blob,
    dead_letter_name,
    metadata_value,
    parse_dead_letter_blob,
)
from tests.support.azure_format import (
    a_cloudevent,
    as_cloudevents_letter,
    as_eventgrid_letter,
    blob,
)


def test_cloudevents_and_event_grid_letters_carry_the_same_event() -> None:
    cloudevent = a_cloudevent("Hotel.RoomAllocated", {"n": 1}, subject="/hotels/a/reservations/b")
    fields = {"reason": "UndeliverableDueToHttpBadRequest", "attempts": 1, "outcome": "BadRequest"}
    (ce,) = parse_dead_letter_blob(blob([as_cloudevents_letter(cloudevent, **fields)]))
    (eg,) = parse_dead_letter_blob(blob([as_eventgrid_letter(cloudevent, **fields)]))
    assert (ce.schema, eg.schema) == ("CloudEvents", "EventGrid")
    for event in (ce, eg):
        assert event.event_id == cloudevent["id"]
        assert event.event_type == "Hotel.RoomAllocated"
        assert event.subject == "/hotels/a/reservations/b"
        assert event.data == {"n": 1}
        assert event.dead_letter_reason == "UndeliverableDueToHttpBadRequest"
        assert event.delivery_attempts == 1
        assert event.last_delivery_outcome == "BadRequest"
        assert event.publish_time == "2031-04-01T12:00:00.0000000Z"


def test_binary_cloudevent_data_is_decoded() -> None:
    event = a_cloudevent("Hotel.RoomAllocated", None)
    del event["data"]
    event["data_base64"] = base64.b64encode(json.dumps({"n": 2}).encode()).decode()
    (parsed,) = parse_dead_letter_blob(blob([event]))
    assert parsed.data == {"n": 2}
    event["data_base64"] = "!!not base64"
    with pytest.raises(UnreadableDeadLetterError, match="data_base64"):
        parse_dead_letter_blob(blob([event]))


def test_a_lone_object_and_a_byte_order_mark_are_tolerated() -> None:
    event = as_cloudevents_letter(a_cloudevent("T", {}))
    assert len(parse_dead_letter_blob(b"\xef\xbb\xbf" + json.dumps(event).encode())) == 1


def test_blob_names_are_azure_paths_in_utc_without_zero_padding() -> None:
    when = datetime(2019, 8, 8, 7, 30, tzinfo=UTC) + timedelta(hours=-2)
    name = dead_letter_name("rooms", when)
    assert name.startswith("ROOMS/2019/8/8/5/")
    assert name.endswith(".json")


def test_blob_name_is_upper_subscription_and_unpadded_utc_date() -> None:
    blob_id = uuid.UUID(int=1)
    published = datetime(2019, 8, 8, 5, 1, 2, tzinfo=UTC)
    assert dead_letter_name("rooms", published, blob_id) == f"ROOMS/2019/8/8/5/{blob_id}.json"


def test_blob_name_converts_to_utc() -> None:
    lisbon_summer = datetime(2020, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert dead_letter_name("Billing-1", lisbon_summer).startswith("BILLING-1/2019/12/31/23/")


def test_blob_names_are_unique() -> None:
    published = datetime(2019, 8, 8, 5, 1, 2, tzinfo=UTC)
    assert dead_letter_name("a", published) != dead_letter_name("a", published)


def test_metadata_values_are_printable_ascii_and_bounded() -> None:
    assert metadata_value("café\nline") == "caf?\nline".replace("\n", "?")
    assert len(metadata_value("x" * 5000)) == 1024


def test_blob_is_a_json_array() -> None:
    assert dead_letter_blob([{"id": "a"}, {"id": "b"}]) == b'[{"id": "a"}, {"id": "b"}]'
