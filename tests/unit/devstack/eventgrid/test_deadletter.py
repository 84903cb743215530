from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from devstack.eventgrid.config import InputSchema
from devstack.eventgrid.deadletter import blob_name, dead_letter_blob, dead_letter_event

PUBLISHED = datetime(2019, 8, 8, 5, 1, 2, tzinfo=UTC)
ATTEMPTED = PUBLISHED + timedelta(seconds=30)


def test_blob_name_is_upper_subscription_and_unpadded_utc_date() -> None:
    blob_id = uuid.UUID(int=1)
    assert blob_name("rooms", PUBLISHED, blob_id) == f"ROOMS/2019/8/8/5/{blob_id}.json"


def test_blob_name_converts_to_utc() -> None:
    lisbon_summer = datetime(2020, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert blob_name("Billing-1", lisbon_summer).startswith("BILLING-1/2019/12/31/23/")


def test_blob_names_are_unique() -> None:
    assert blob_name("a", PUBLISHED) != blob_name("a", PUBLISHED)


def test_event_grid_schema_gets_camel_case_fields() -> None:
    event = {"id": "e1", "eventType": "T", "data": {"x": 1}}
    dead = dead_letter_event(
        event,
        InputSchema.EVENT_GRID,
        reason="MaxDeliveryAttemptsExceeded",
        attempts=3,
        outcome="NotFound",
        status=404,
        publish_time=PUBLISHED,
        last_attempt_time=ATTEMPTED,
    )
    assert dead == {
        **event,
        "deadLetterReason": "MaxDeliveryAttemptsExceeded",
        "deliveryAttempts": 3,
        "lastDeliveryOutcome": "NotFound",
        "lastHttpStatusCode": 404,
        "publishTime": "2019-08-08T05:01:02Z",
        "lastDeliveryAttemptTime": "2019-08-08T05:01:32Z",
    }
    assert "deadLetterReason" not in event


def test_cloud_events_get_lowercase_fields_and_0_without_a_response() -> None:
    event = {"id": "e1", "type": "T", "specversion": "1.0", "source": "s"}
    dead = dead_letter_event(
        event,
        InputSchema.CLOUD_EVENTS,
        reason="TimeToLiveExceeded",
        attempts=1,
        outcome="TimedOut",
        status=None,
        publish_time=PUBLISHED,
        last_attempt_time=None,
    )
    assert dead["deadletterreason"] == "TimeToLiveExceeded"
    assert dead["deliveryattempts"] == 1
    assert dead["lastdeliveryoutcome"] == "TimedOut"
    assert dead["lasthttpstatuscode"] == 0
    assert dead["publishtime"] == dead["lastdeliveryattempttime"] == "2019-08-08T05:01:02Z"
    assert not any(name != name.lower() for name in dead)


def test_blob_is_a_json_array() -> None:
    assert dead_letter_blob([{"id": "a"}, {"id": "b"}]) == b'[{"id": "a"}, {"id": "b"}]'
