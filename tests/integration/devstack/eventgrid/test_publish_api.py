"""The publish API as the azure-eventgrid SDK and raw HTTP clients see it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from azure.core.credentials import AzureKeyCredential, AzureSasCredential
from azure.core.exceptions import ClientAuthenticationError
from azure.core.messaging import CloudEvent
from azure.eventgrid import EventGridEvent, EventGridPublisherClient, generate_sas

from tests.integration.devstack.eventgrid.support import (
    KEY,
    Subscriber,
    config,
    running_emulator,
    unique,
)

pytestmark = pytest.mark.integration


def test_the_sdk_publishes_cloud_events_delivered_one_structured_event_per_post(
    storage_connection_string: str, subscriber: Subscriber
) -> None:
    name = unique("rooms")
    cfg = config(storage_connection_string, [{"name": name, "endpoint": subscriber.endpoint(name)}])
    with running_emulator(cfg) as topic:
        client = EventGridPublisherClient(topic.endpoint, AzureKeyCredential(KEY))
        client.send(
            [
                CloudEvent(
                    source="/hotels",
                    type="Hotel.RoomAllocated",
                    data={"room": "101"},
                    subject="/hotels/h/reservations/r",
                    extensions={"traceparent": "00-a-b-01"},
                ),
                CloudEvent(source="/hotels", type="Hotel.PaymentCaptured", data={"amount": "1.00"}),
            ]
        )
        client.close()
        topic.wait_for(name, "delivered", 2)
        stats = topic.stats()
    assert stats["published"] == 2
    assert stats["pending"] == 0
    received = subscriber.notifications(name)
    assert sorted(r.body["type"] for r in received) == [
        "Hotel.PaymentCaptured",
        "Hotel.RoomAllocated",
    ]
    allocated = next(r for r in received if r.body["type"] == "Hotel.RoomAllocated")
    assert allocated.body["traceparent"] == "00-a-b-01"
    assert allocated.body["data"] == {"room": "101"}
    for r in received:
        assert r.headers["content-type"].startswith("application/cloudevents+json")
        assert r.headers["aeg-event-type"] == "Notification"
        assert r.headers["aeg-subscription-name"] == name.upper()
        assert r.headers["aeg-delivery-count"] == "0"
        assert r.headers["aeg-metadata-version"] == "1"
        assert "aeg-data-version" in r.headers
    assert len(subscriber.validations(name)) == 1


def test_the_sdk_publishes_event_grid_events_delivered_as_one_element_arrays(
    storage_connection_string: str, subscriber: Subscriber
) -> None:
    name = unique("billing")
    cfg = config(
        storage_connection_string,
        [{"name": name, "endpoint": subscriber.endpoint(name)}],
        schema="EventGridSchema",
    )
    with running_emulator(cfg) as topic:
        client = EventGridPublisherClient(topic.endpoint, AzureKeyCredential(KEY))
        client.send(
            EventGridEvent(subject="/s/1", event_type="Hotel.X", data={"n": 1}, data_version="2.0")
        )
        client.close()
        topic.wait_for(name, "delivered", 1)
    (received,) = subscriber.notifications(name)
    assert received.headers["content-type"].startswith("application/json")
    assert received.headers["aeg-data-version"] == "2.0"
    (event,) = received.body
    assert event["eventType"] == "Hotel.X"
    assert event["data"] == {"n": 1}
    assert event["metadataVersion"] == "1"
    assert event["topic"].endswith("/topics/hotel-events")


def test_a_sas_token_from_the_sdk_is_accepted(storage_connection_string: str) -> None:
    with running_emulator(config(storage_connection_string, [])) as topic:
        token = generate_sas(topic.endpoint, KEY, datetime.now(UTC) + timedelta(minutes=5))
        with EventGridPublisherClient(topic.endpoint, AzureSasCredential(token)) as client:
            client.send(CloudEvent(source="/s", type="T", data=None))
        assert topic.stats()["published"] == 1


def test_a_wrong_key_is_401_for_the_sdk_and_raw_http(storage_connection_string: str) -> None:
    with running_emulator(config(storage_connection_string, [])) as topic:
        with (
            EventGridPublisherClient(topic.endpoint, AzureKeyCredential("wrong")) as client,
            pytest.raises(ClientAuthenticationError),
        ):
            client.send(CloudEvent(source="/s", type="T", data=None))
        missing = topic.post(b"[]", key=None)
        published = topic.stats()["published"]
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "Unauthorized"
    assert published == 0


def test_the_key_is_also_accepted_as_a_query_parameter(storage_connection_string: str) -> None:
    event = {"id": "1", "source": "s", "specversion": "1.0", "type": "T"}
    with running_emulator(config(storage_connection_string, [])) as topic:
        topic_url = f"{topic.endpoint}?api-version=2018-01-01&aeg-sas-key={KEY.replace('=', '%3D')}"
        response = httpx.post(topic_url, json=[event], trust_env=False)
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"not": "an array"}', "application/json"),
        (b"[{]", "application/json"),
        (json.dumps([{"id": "1", "source": "s", "type": "T"}]).encode(), "application/json"),
        (
            json.dumps([{"id": "1", "source": "s", "specversion": "0.3", "type": "T"}]).encode(),
            "application/cloudevents-batch+json",
        ),
    ],
)
def test_malformed_events_are_400_and_not_published(
    storage_connection_string: str, body: bytes, content_type: str
) -> None:
    with running_emulator(config(storage_connection_string, [])) as topic:
        response = topic.post(body, content_type=content_type)
        published = topic.stats()["published"]
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BadRequest"
    assert error["details"][0]["code"] == "InputJsonInvalid"
    assert published == 0


def test_event_grid_metadata_version_other_than_1_is_400(storage_connection_string: str) -> None:
    event = {
        "id": "1",
        "subject": "s",
        "eventType": "T",
        "eventTime": "2030-01-01T00:00:00Z",
        "metadataVersion": "2",
    }
    cfg = config(storage_connection_string, [], schema="EventGridSchema")
    with running_emulator(cfg) as topic:
        response = topic.post(json.dumps([event]).encode())
    assert response.status_code == 400
    assert "metadataVersion" in response.json()["error"]["message"]


def test_a_body_over_1_mb_is_413(storage_connection_string: str) -> None:
    event = {"id": "1", "source": "s", "specversion": "1.0", "type": "T", "data": "x" * 1_100_000}
    with running_emulator(config(storage_connection_string, [])) as topic:
        response = topic.post(json.dumps([event]).encode())
    assert response.status_code == 413
    assert response.json()["error"]["details"]
