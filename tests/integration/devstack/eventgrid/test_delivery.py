"""Push delivery: filters, retries, dead letters, time to live, concurrency, handshakes."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.azurite import free_port
from devstack.server import ServerThread
from tests.integration.devstack.eventgrid.support import (
    Subscriber,
    config,
    dead_letters,
    running_emulator,
    unique,
    wait_until,
)

pytestmark = pytest.mark.integration


def cloud_events(*types: str, **data: Any) -> bytes:
    return json.dumps(
        [
            {
                "id": f"e{i}",
                "source": "/hotels",
                "specversion": "1.0",
                "type": t,
                "subject": f"/hotels/grand-lisbon/reservations/r{i}",
                "data": data,
            }
            for i, t in enumerate(types)
        ]
    ).encode()


def test_filters_route_each_event_to_its_subscribers(
    storage_connection_string: str, subscriber: Subscriber
) -> None:
    rooms, billing = unique("rooms"), unique("billing")
    cfg = config(
        storage_connection_string,
        [
            {
                "name": rooms,
                "endpoint": subscriber.endpoint(rooms),
                "filter": {"includedEventTypes": ["Hotel.ReservationRequested"]},
            },
            {
                "name": billing,
                "endpoint": subscriber.endpoint(billing),
                "filter": {
                    "subjectBeginsWith": "/hotels/grand-lisbon/",
                    "advancedFilters": [
                        {"operatorType": "NumberGreaterThan", "key": "data.nights", "value": 2}
                    ],
                },
            },
        ],
    )
    with running_emulator(cfg) as topic:
        assert (
            topic.post(
                cloud_events("Hotel.ReservationRequested", "Hotel.RoomAllocated", nights=3)
            ).status_code
            == 200
        )
        assert topic.post(cloud_events("Hotel.RoomAllocated", nights=1)).status_code == 200
        topic.wait_for(rooms, "delivered", 1)
        topic.wait_for(billing, "delivered", 2)
        stats = topic.stats()
    assert [r.body["type"] for r in subscriber.notifications(rooms)] == [
        "Hotel.ReservationRequested"
    ]
    assert sorted(r.body["type"] for r in subscriber.notifications(billing)) == [
        "Hotel.ReservationRequested",
        "Hotel.RoomAllocated",
    ]
    assert stats["published"] == 3
    assert stats["subscriptions"][rooms]["matched"] == 1
    assert stats["subscriptions"][billing]["matched"] == 2


def test_failures_are_retried_then_dead_lettered_after_max_attempts(
    storage_connection_string: str, subscriber: Subscriber
) -> None:
    name = unique("rooms")
    subscriber.answer(name, 500)
    cfg = config(
        storage_connection_string,
        [
            {
                "name": name,
                "endpoint": subscriber.endpoint(name),
                "retryPolicy": {"maxDeliveryAttempts": 3},
                "deadLetter": {"container": "deadletter"},
            },
        ],
        retryDelaysSeconds=[0.1, 0.2],
    )
    before = datetime.now(UTC)
    with running_emulator(cfg) as topic:
        topic.post(cloud_events("Hotel.RoomAllocated"))
        topic.wait_for(name, "deadLettered", 1)
        sub = topic.sub(name)
    assert (sub["delivered"], sub["retried"], sub["pending"], sub["dropped"]) == (0, 2, 0, 0)
    attempts = subscriber.notifications(name)
    assert [r.headers["aeg-delivery-count"] for r in attempts] == ["0", "1", "2"]
    ((blob, events),) = dead_letters(storage_connection_string, name)
    now = datetime.now(UTC)
    assert re.fullmatch(
        rf"{name.upper()}/{now.year}/{now.month}/{now.day}/\d{{1,2}}/[0-9a-f-]{{36}}\.json", blob
    )
    (event,) = events
    assert event["id"] == "e0"
    assert event["deadletterreason"] == "MaxDeliveryAttemptsExceeded"
    assert event["deliveryattempts"] == 3
    assert event["lastdeliveryoutcome"] == "GenericError"
    assert event["lasthttpstatuscode"] == 500
    assert datetime.fromisoformat(event["publishtime"]) >= before.replace(microsecond=0)
    assert event["lastdeliveryattempttime"] >= event["publishtime"]


def test_retries_stop_at_the_first_success(
    storage_connection_string: str, subscriber: Subscriber
) -> None:
    name = unique("rooms")
    subscriber.answer(name, 503, times=2, then=202)
    cfg = config(storage_connection_string, [{"name": name, "endpoint": subscriber.endpoint(name)}])
    with running_emulator(cfg) as topic:
        topic.post(cloud_events("Hotel.RoomAllocated"))
        topic.wait_for(name, "delivered", 1)
        sub = topic.sub(name)
    assert sub["retried"] == 2
    assert len(subscriber.notifications(name)) == 3


def test_a_400_is_dead_lettered_at_once_with_event_grid_fields(
    storage_connection_string: str, subscriber: Subscriber
) -> None:
    name = unique("billing")
    subscriber.answer(name, 400)
    event = {
        "id": "eg1",
        "subject": "/s",
        "eventType": "Hotel.X",
        "eventTime": "2030-01-01T00:00:00Z",
        "data": {"a": 1},
    }
    cfg = config(
        storage_connection_string,
        [
            {
                "name": name,
                "endpoint": subscriber.endpoint(name),
                "deadLetter": {"container": "deadletter"},
            },
        ],
        schema="EventGridSchema",
    )
    with running_emulator(cfg) as topic:
        topic.post(json.dumps([event]).encode())
        topic.wait_for(name, "deadLettered", 1)
        sub = topic.sub(name)
    assert sub["retried"] == 0
    assert len(subscriber.notifications(name)) == 1
    ((_, (dead,)),) = dead_letters(storage_connection_string, name)
    assert dead["deadLetterReason"] == "UndeliverableDueToHttpBadRequest"
    assert dead["deliveryAttempts"] == 1
    assert dead["lastDeliveryOutcome"] == "BadRequest"
    assert dead["lastHttpStatusCode"] == 400
    assert dead["data"] == {"a": 1}
    assert {"publishTime", "lastDeliveryAttemptTime"} <= set(dead)


def test_the_endpoint_type_chooses_which_failures_are_retried(
    storage_connection_string: str, subscriber: Subscriber
) -> None:
    # A 401 is final for a WebHook but retried for an AzureFunction destination (which is what
    # infra deploys); a 403 is final for both.
    webhook, function, forbidden = unique("hook"), unique("func"), unique("forb")
    subscriber.answer(webhook, 401)
    subscriber.answer(function, 401)
    subscriber.answer(forbidden, 403)

    def subscription(name: str, **extra: Any) -> dict[str, Any]:
        return {
            "name": name,
            "endpoint": subscriber.endpoint(name),
            "retryPolicy": {"maxDeliveryAttempts": 3},
            "deadLetter": {"container": "deadletter"},
            **extra,
        }

    cfg = config(
        storage_connection_string,
        [
            subscription(webhook),
            subscription(function, endpointType="AzureFunction"),
            subscription(forbidden, endpointType="AzureFunction"),
        ],
        retryDelaysSeconds=[0.1],
    )
    with running_emulator(cfg) as topic:
        topic.post(cloud_events("Hotel.RoomAllocated"))
        for name in (webhook, function, forbidden):
            topic.wait_for(name, "deadLettered", 1)
        retried = {name: topic.sub(name)["retried"] for name in (webhook, function, forbidden)}
    assert retried == {webhook: 0, function: 2, forbidden: 0}
    reasons = {
        name: dead_letters(storage_connection_string, name)[0][1][0]["deadletterreason"]
        for name in (webhook, function, forbidden)
    }
    assert reasons == {
        webhook: "UndeliverableDueToClientError",
        function: "MaxDeliveryAttemptsExceeded",
        forbidden: "UndeliverableDueToClientError",
    }


def test_an_expired_time_to_live_dead_letters_at_the_next_scheduled_attempt(
    storage_connection_string: str, subscriber: Subscriber
) -> None:
    name = unique("loyalty")
    subscriber.answer(name, 503)
    cfg = config(
        storage_connection_string,
        [
            {
                "name": name,
                "endpoint": subscriber.endpoint(name),
                "retryPolicy": {"eventTimeToLiveSeconds": 0.4},
                "deadLetter": {"container": "deadletter"},
            },
        ],
        retryDelaysSeconds=[1.0],
    )
    with running_emulator(cfg) as topic:
        started = time.monotonic()
        topic.post(cloud_events("Hotel.PaymentCaptured"))
        topic.wait_for(name, "deadLettered", 1)
        elapsed = time.monotonic() - started
    assert elapsed >= 0.9  # not at the TTL itself, but at the next scheduled attempt
    assert len(subscriber.notifications(name)) == 1
    ((_, (dead,)),) = dead_letters(storage_connection_string, name)
    assert dead["deadletterreason"] == "TimeToLiveExceeded"
    assert dead["deliveryattempts"] == 1
    assert dead["lastdeliveryoutcome"] == "Busy"


def test_a_timeout_counts_as_a_failed_attempt_and_without_dead_letter_the_event_is_dropped(
    storage_connection_string: str, subscriber: Subscriber
) -> None:
    name = unique("rooms")
    subscriber.delay(name, 1.0)
    cfg = config(
        storage_connection_string,
        [
            {
                "name": name,
                "endpoint": subscriber.endpoint(name),
                "retryPolicy": {"maxDeliveryAttempts": 2},
            },
        ],
        deliveryTimeoutSeconds=0.3,
    )
    with running_emulator(cfg) as topic:
        topic.post(cloud_events("Hotel.RoomAllocated"))
        topic.wait_for(name, "dropped", 1)
        sub = topic.sub(name)
    assert (sub["delivered"], sub["retried"], sub["deadLettered"], sub["pending"]) == (0, 1, 0, 0)
    assert len(subscriber.notifications(name)) == 2
    assert dead_letters(storage_connection_string, name) == []


def test_a_slow_subscriber_does_not_stall_another(
    storage_connection_string: str, subscriber: Subscriber
) -> None:
    slow, fast = unique("slow"), unique("fast")
    subscriber.delay(slow, 3.0)
    cfg = config(
        storage_connection_string,
        [
            {"name": slow, "endpoint": subscriber.endpoint(slow)},
            {"name": fast, "endpoint": subscriber.endpoint(fast)},
        ],
    )
    with running_emulator(cfg) as topic:
        topic.wait_for(slow, "validated", 1)
        topic.wait_for(fast, "validated", 1)
        started = time.monotonic()
        topic.post(cloud_events("A", "B", "C", "D"))
        topic.wait_for(fast, "delivered", 4, timeout=2.5)
        fast_done = time.monotonic() - started
        slow_stats = topic.sub(slow)
        # the slow subscriber receives its events concurrently, not one after another
        wait_until(
            lambda: len(subscriber.notifications(slow)) == 4, timeout=1.0, what="4 in flight"
        )
    assert fast_done < 2.5
    assert slow_stats["delivered"] == 0
    assert slow_stats["pending"] == 4


def test_the_delivery_multiplier_delivers_each_event_independently_n_times(
    storage_connection_string: str, subscriber: Subscriber
) -> None:
    name = unique("rooms")
    cfg = config(
        storage_connection_string,
        [{"name": name, "endpoint": subscriber.endpoint(name)}],
        deliveryMultiplier=3,
    )
    with running_emulator(cfg) as topic:
        topic.post(cloud_events("A", "B"))
        topic.wait_for(name, "delivered", 6)
        time.sleep(0.2)
        sub = topic.sub(name)
    assert sorted(r.body["id"] for r in subscriber.notifications(name)) == ["e0"] * 3 + ["e1"] * 3
    assert (sub["matched"], sub["delivered"]) == (2, 6)


def test_batches_are_cloud_event_arrays_when_max_events_per_batch_is_above_1(
    storage_connection_string: str, subscriber: Subscriber
) -> None:
    name = unique("rooms")
    cfg = config(
        storage_connection_string,
        [{"name": name, "endpoint": subscriber.endpoint(name), "maxEventsPerBatch": 3}],
    )
    with running_emulator(cfg) as topic:
        topic.post(cloud_events("A", "B", "C", "D"))
        topic.wait_for(name, "delivered", 4)
    received = subscriber.notifications(name)
    assert sorted(len(r.body) for r in received) == [1, 3]
    assert all(
        r.headers["content-type"].startswith("application/cloudevents-batch+json") for r in received
    )


def test_the_handshake_echoes_a_random_code_in_event_grid_schema(
    storage_connection_string: str, subscriber: Subscriber
) -> None:
    a, b = unique("a"), unique("b")
    cfg = config(
        storage_connection_string,
        [
            {"name": a, "endpoint": subscriber.endpoint(a)},
            {"name": b, "endpoint": subscriber.endpoint(b)},
        ],
    )
    with running_emulator(cfg) as topic:
        topic.wait_for(a, "validated", 1)
        topic.wait_for(b, "validated", 1)
    ((first,), (second,)) = subscriber.validations(a), subscriber.validations(b)
    assert first.headers["aeg-event-type"] == "SubscriptionValidation"
    assert first.headers["aeg-subscription-name"] == a.upper()
    (event,) = first.body
    assert event["eventType"] == "Microsoft.EventGrid.SubscriptionValidationEvent"
    assert event["data"]["validationCode"] != second.body[0]["data"]["validationCode"]


def test_a_wrong_echo_keeps_the_subscription_unvalidated_and_its_events_queued(
    storage_connection_string: str, subscriber: Subscriber
) -> None:
    name = unique("rooms")
    subscriber.echo_wrong_code(name)
    cfg = config(storage_connection_string, [{"name": name, "endpoint": subscriber.endpoint(name)}])
    with running_emulator(cfg) as topic:
        topic.post(cloud_events("A"))
        wait_until(lambda: len(subscriber.validations(name)) >= 2, what="a retried handshake")
        sub = topic.sub(name)
    assert sub["validated"] is False
    assert sub["pending"] == 1
    assert subscriber.notifications(name) == []


def test_a_subscriber_started_after_the_emulator_still_gets_every_event(
    storage_connection_string: str,
) -> None:
    late = Subscriber()
    port = free_port()
    late.url = f"http://127.0.0.1:{port}"
    name = unique("late")
    cfg = config(storage_connection_string, [{"name": name, "endpoint": late.endpoint(name)}])
    with running_emulator(cfg) as topic:
        assert topic.post(cloud_events("A", "B")).status_code == 200
        time.sleep(0.5)
        waiting = topic.sub(name)
        with ServerThread(late.asgi, port=port, name="late-subscriber"):
            topic.wait_for(name, "delivered", 2)
            final = topic.sub(name)
    assert (waiting["validated"], waiting["pending"], waiting["dropped"]) == (False, 2, 0)
    assert (final["validated"], final["pending"], final["dropped"]) == (True, 0, 0)
    assert sorted(r.body["id"] for r in late.notifications(name)) == ["e0", "e1"]


def test_random_copy_counts_and_delays_are_repeatable_with_a_seed(
    storage_connection_string: str, subscriber: Subscriber
) -> None:
    def run() -> dict[str, int]:
        route = unique("chaos")
        cfg = config(
            storage_connection_string,
            [{"name": route, "endpoint": subscriber.endpoint(route)}],
            deliveryMultiplier=1,
            deliveryMultiplierMax=3,
            deliveryDelayMaxSeconds=0.3,
            seed=7,
        )
        with running_emulator(cfg) as topic:
            assert topic.post(cloud_events(*["Hotel.ReservationRequested"] * 12)).status_code == 200
            wait_until(lambda: topic.stats()["pending"] == 0, what="nothing pending")
            delivered = topic.sub(route)["delivered"]
        counts: dict[str, int] = {}
        for received in subscriber.notifications(route):
            counts[received.body["id"]] = counts.get(received.body["id"], 0) + 1
        assert sum(counts.values()) == delivered
        return counts

    first = run()
    assert len(first) == 12
    assert all(1 <= n <= 3 for n in first.values())
    assert len(set(first.values())) > 1  # seed 7 draws different copy counts
    assert run() == first
