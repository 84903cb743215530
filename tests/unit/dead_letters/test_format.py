"""Reading Azure's dead letter blobs, naming them, and the small rules around them."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from handlers.dead_letters import (
    RetryPolicy,
    UnreadableDeadLetterError,
    dead_letter_name,
    is_due,
    metadata_value,
    parse_dead_letter_blob,
    subscription_of,
)
from tests.unit.dead_letters.azure_format import (
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


@pytest.mark.parametrize(
    ("name", "subscription"),
    [
        ("BILLING/2031/1/1/1/x.json", "billing"),
        ("billing/2031/1/1/1/x.json", "billing"),
        ("LOYALTY/x.json", "loyalty"),
        ("PAYMENTS/2031/1/1/1/x.json", None),
    ],
)
def test_the_folder_names_the_subscription(name: str, subscription: str | None) -> None:
    assert subscription_of(name) == subscription


def test_back_off_doubles_up_to_a_cap() -> None:
    policy = RetryPolicy()
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5, 6)] == [
        timedelta(minutes=m) for m in (5, 10, 20, 40, 60, 60)
    ]


def test_a_blob_is_due_without_a_next_attempt_or_once_it_passed() -> None:
    now = datetime(2031, 1, 1, tzinfo=UTC)
    assert is_due({}, now)
    assert is_due({"nextattemptat": "2030-12-31T23:59:00Z"}, now)
    assert not is_due({"nextAttemptAt": "2031-01-01T00:01:00Z"}, now)


def test_metadata_values_are_printable_ascii_and_bounded() -> None:
    assert metadata_value("café\nline") == "caf?\nline".replace("\n", "?")
    assert len(metadata_value("x" * 5000)) == 1024
