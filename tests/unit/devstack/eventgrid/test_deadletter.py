from __future__ import annotations

from datetime import UTC, datetime, timedelta

from devstack.eventgrid.config import InputSchema
from devstack.eventgrid.deadletter import dead_letter_event

PUBLISHED = datetime(2019, 8, 8, 5, 1, 2, tzinfo=UTC)
ATTEMPTED = PUBLISHED + timedelta(seconds=30)


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
