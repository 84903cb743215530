from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from tests.integration.devstack.host.support import MASTER_KEY, Served

pytestmark = pytest.mark.integration

AUTH = {"x-functions-key": MASTER_KEY}
WEBHOOK = "/runtime/webhooks/eventgrid"
NOTIFY = {"aeg-event-type": "Notification"}


def grid_event(**overrides: Any) -> dict[str, Any]:
    event = {
        "id": str(uuid.uuid4()),
        "topic": "/subscriptions/x/resourceGroups/y/providers/Microsoft.EventGrid/topics/t",
        "subject": "/hotels/h/reservations/r",
        "eventType": "ReservationRequested",
        "eventTime": "2031-05-01T10:00:00.1234567Z",
        "data": {"reservationId": "r"},
        "dataVersion": "1",
        "metadataVersion": "1",
    }
    return event | overrides


def cloud_event(**overrides: Any) -> dict[str, Any]:
    event = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/hotels/h",
        "type": "ReservationConfirmed",
        "time": "2031-05-01T10:00:00Z",
        "subject": "/hotels/h/reservations/r",
        "datacontenttype": "application/json",
        "data": {"reservationId": "r"},
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    }
    return event | overrides


def received(served: Served, event_id: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = served.client.get("/api/state").json()["received"]
    return [record for record in records if record["id"] == event_id]


def test_an_array_is_invoked_once_per_event_with_event_grid_events(served: Served) -> None:
    first, second = grid_event(), grid_event(eventType="Other")
    response = served.client.post(
        WEBHOOK, params={"functionName": "recorder"}, json=[first, second], headers=NOTIFY
    )
    assert response.status_code == 202
    [got_first] = received(served, first["id"])
    [got_second] = received(served, second["id"])
    assert got_first["class"] == "EventGridEvent"
    assert got_first["type"] == "ReservationRequested"
    assert got_first["data"] == {"reservationId": "r"}
    assert got_second["type"] == "Other"


def test_a_single_cloud_event_object_arrives_as_a_cloud_event_with_extensions(
    served: Served,
) -> None:
    event = cloud_event()
    response = served.client.post(
        WEBHOOK,
        params={"functionName": "recorder"},
        json=event,
        headers=NOTIFY | {"content-type": "application/cloudevents+json"},
    )
    assert response.status_code == 202
    [got] = received(served, event["id"])
    assert got["class"] == "CloudEvent"
    assert got["type"] == "ReservationConfirmed"
    assert got["extensions"] == {"traceparent": event["traceparent"]}


def test_the_webhook_path_ignores_case_but_the_function_name_does_not(served: Served) -> None:
    event = grid_event()
    response = served.client.post(
        WEBHOOK.upper(), params={"functionName": "recorder"}, json=[event], headers=NOTIFY
    )
    assert response.status_code == 202
    assert len(received(served, event["id"])) == 1
    # The extension keeps its listeners in a case-sensitive dictionary.
    wrong_case = served.client.post(
        WEBHOOK, params={"functionName": "RECORDER"}, json=[grid_event()], headers=NOTIFY
    )
    assert (wrong_case.status_code, wrong_case.text) == (404, "cannot find function: 'RECORDER'")


def test_the_event_type_header_ignores_case(served: Served) -> None:
    event = grid_event()
    response = served.client.post(
        WEBHOOK,
        params={"functionName": "recorder"},
        json=[event],
        headers={"aeg-event-type": "notification"},
    )
    assert response.status_code == 202
    assert len(received(served, event["id"])) == 1
    validation = served.client.post(
        WEBHOOK,
        params={"functionName": "recorder"},
        json=[grid_event(data={"validationCode": "c0de"})],
        headers={"aeg-event-type": "SUBSCRIPTIONVALIDATION"},
    )
    assert validation.json() == {"validationResponse": "c0de"}


def test_unsubscribe_is_accepted(served: Served) -> None:
    response = served.client.post(
        WEBHOOK, params={"functionName": "recorder"}, headers={"aeg-event-type": "Unsubscribe"}
    )
    assert (response.status_code, response.content) == (202, b"")


@pytest.mark.parametrize("body", [b"{not json", b'"a string"', b"42"])
def test_a_malformed_notification_is_500_so_event_grid_retries(served: Served, body: bytes) -> None:
    # The extension throws parsing it; the host answers 500, which Event Grid retries (a 400
    # would be dead-lettered at once).
    response = served.client.post(
        WEBHOOK, params={"functionName": "recorder"}, content=body, headers=NOTIFY
    )
    assert response.status_code == 500


def test_an_element_that_is_not_an_event_fails_its_invocation(served: Served) -> None:
    response = served.client.post(
        WEBHOOK, params={"functionName": "recorder"}, json=[42], headers=NOTIFY
    )
    assert response.status_code == 500
    assert response.text.startswith("Exception while executing function: Functions.recorder")


def test_a_returned_value_without_a_return_binding_fails_the_invocation(served: Served) -> None:
    response = served.client.post(
        WEBHOOK, params={"functionName": "returns_a_value"}, json=[grid_event()], headers=NOTIFY
    )
    assert response.status_code == 500
    assert (
        "RuntimeError: function 'returns_a_value' without a $return bindingreturned a "
        "non-None value" in response.text
    )


def test_a_str_annotated_trigger_gets_the_events_json(served: Served) -> None:
    event = grid_event()
    response = served.client.post(
        WEBHOOK, params={"functionName": "raw_recorder"}, json=[event], headers=NOTIFY
    )
    assert response.status_code == 202
    [got] = received(served, event["id"])
    assert got["class"] == "str"
    assert json.loads(got["raw"]) == event


def test_a_failing_function_is_a_500_with_the_message(served: Served) -> None:
    event = grid_event()
    response = served.client.post(
        WEBHOOK, params={"functionName": "failing"}, json=[event], headers=NOTIFY
    )
    assert response.status_code == 500
    assert f"cannot handle {event['id']}" in response.text


def test_unknown_or_non_event_grid_function_is_404(served: Served) -> None:
    for name in ("nope", "hello"):
        response = served.client.post(
            WEBHOOK, params={"functionName": name}, json=[grid_event()], headers=NOTIFY
        )
        assert (response.status_code, response.text) == (404, f"cannot find function: '{name}'")
        options = served.client.options(WEBHOOK, params={"functionName": name})
        assert options.status_code == 404


def test_missing_or_unknown_event_type_header_is_400(served: Served) -> None:
    missing = served.client.post(WEBHOOK, params={"functionName": "recorder"}, json=[])
    other = served.client.post(
        WEBHOOK,
        params={"functionName": "recorder"},
        json=[],
        headers={"aeg-event-type": "Whatever"},
    )
    assert (missing.status_code, other.status_code) == (400, 400)
    assert (missing.content, other.content) == (b"", b"")
    patch = served.client.patch(WEBHOOK, params={"functionName": "recorder"}, json=[])
    assert patch.status_code == 405  # not among the verbs the host's webhook route accepts


def test_subscription_validation_handshake(served: Served) -> None:
    validation = grid_event(
        eventType="Microsoft.EventGrid.SubscriptionValidationEvent",
        data={"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6", "validationUrl": "x"},
    )
    response = served.client.post(
        WEBHOOK,
        params={"functionName": "recorder"},
        json=[validation],
        headers={"aeg-event-type": "SubscriptionValidation"},
    )
    assert response.status_code == 200
    assert response.json() == {"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}
    assert received(served, validation["id"]) == []


def test_cloud_events_validation_flavours(served: Served) -> None:
    validation = cloud_event(
        type="Microsoft.EventGrid.SubscriptionValidationEvent", data={"validationCode": "abc"}
    )
    response = served.client.post(
        WEBHOOK,
        params={"functionName": "recorder"},
        json=validation,
        headers={"aeg-event-type": "SubscriptionValidation"},
    )
    assert response.json() == {"validationResponse": "abc"}
    options = served.client.options(
        WEBHOOK,
        params={"functionName": "recorder"},
        headers={"WebHook-Request-Origin": "eventgrid.azure.net"},
    )
    assert options.status_code == 200
    assert options.headers["webhook-allowed-origin"] == "eventgrid.azure.net"
    assert "webhook-allowed-rate" not in options.headers
    # Another Event Grid cloud is echoed; anything else (or nothing) gets the public cloud's.
    for sent, allowed in [
        ({"WebHook-Request-Origin": "eventgrid.azure.us"}, "eventgrid.azure.us"),
        ({"WebHook-Request-Origin": "evil.example.com"}, "eventgrid.azure.net"),
        ({}, "eventgrid.azure.net"),
    ]:
        answer = served.client.options(WEBHOOK, params={"functionName": "recorder"}, headers=sent)
        assert (answer.status_code, answer.headers["webhook-allowed-origin"]) == (200, allowed)
    # A CloudEvent handshake whose data is double-encoded (a JSON string), as Event Grid sends.
    encoded = served.client.post(
        WEBHOOK,
        params={"functionName": "recorder"},
        json=cloud_event(data=json.dumps({"validationCode": "twice"})),
        headers={"aeg-event-type": "SubscriptionValidation"},
    )
    assert encoded.json() == {"validationResponse": "twice"}
    no_code = served.client.post(
        WEBHOOK,
        params={"functionName": "recorder"},
        json=[grid_event(data={})],
        headers={"aeg-event-type": "SubscriptionValidation"},
    )
    assert no_code.status_code == 500


def test_admin_invoke_delivers_the_input_as_an_event(served: Served) -> None:
    event = cloud_event()
    response = served.client.post(
        "/admin/functions/recorder", json={"input": json.dumps(event)}, headers=AUTH
    )
    assert response.status_code == 202
    deadline = time.monotonic() + 5
    while not received(served, event["id"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    [got] = received(served, event["id"])
    assert got["class"] == "CloudEvent"


def test_admin_invoke_errors(served: Served) -> None:
    assert served.client.post("/admin/functions/recorder", json={"input": "{}"}).status_code == 401
    assert served.client.post("/admin/functions/nope", json={}, headers=AUTH).status_code == 404
    assert served.client.post("/admin/functions/hello", json={}, headers=AUTH).status_code == 400
    bad = served.client.post("/admin/functions/recorder", json={"input": "{no"}, headers=AUTH)
    assert bad.status_code == 400


def test_faults_fail_deliveries_without_invoking_then_heal(served: Served) -> None:
    set_fault = served.client.post(
        "/admin/devstack/faults",
        json={"functionName": "recorder", "failures": 2, "status": 503},
        headers=AUTH,
    )
    assert set_fault.status_code == 200
    assert set_fault.json()["faults"] == [
        {"functionName": "recorder", "failures": 2, "status": 503}
    ]
    before = served.client.get("/admin/devstack/invocations", headers=AUTH).json()["recorder"]
    event = grid_event()
    statuses = [
        served.client.post(
            WEBHOOK, params={"functionName": "recorder"}, json=[event], headers=NOTIFY
        ).status_code
        for _ in range(3)
    ]
    after = served.client.get("/admin/devstack/invocations", headers=AUTH).json()["recorder"]
    assert statuses == [503, 503, 202]
    assert len(received(served, event["id"])) == 1
    assert after["faulted"] == before["faulted"] + 2
    assert after["succeeded"] == before["succeeded"] + 1


def test_faults_until_cleared(served: Served) -> None:
    served.client.post(
        "/admin/devstack/faults", json={"functionName": "recorder", "failures": -1}, headers=AUTH
    )

    def deliver() -> int:
        return served.client.post(
            WEBHOOK, params={"functionName": "recorder"}, json=[grid_event()], headers=NOTIFY
        ).status_code

    assert [deliver() for _ in range(3)] == [500, 500, 500]
    assert served.client.delete("/admin/devstack/faults", headers=AUTH).status_code == 204
    assert deliver() == 202
    assert served.client.get("/admin/devstack/faults", headers=AUTH).json() == {"faults": []}


def test_faults_endpoint_validation_and_auth(served: Served) -> None:
    body = {"functionName": "recorder", "failures": 1}
    assert served.client.post("/admin/devstack/faults", json=body).status_code == 401
    unknown = body | {"functionName": "nope"}
    assert (
        served.client.post("/admin/devstack/faults", json=unknown, headers=AUTH).status_code == 404
    )
    bad = body | {"failures": "x"}
    assert served.client.post("/admin/devstack/faults", json=bad, headers=AUTH).status_code == 400
    assert served.client.get("/admin/devstack/invocations").status_code == 401


def test_random_faults_fail_before_or_after_invoking(served: Served) -> None:
    faults = "/admin/devstack/faults"

    def deliver(event: dict[str, Any]) -> int:
        return served.client.post(
            WEBHOOK, params={"functionName": "recorder"}, json=[event], headers=NOTIFY
        ).status_code

    try:
        body = {"functionName": "*", "rate": 1.0, "status": 503, "phase": "after", "seed": 7}
        response = served.client.post(faults, json=body, headers=AUTH)
        assert response.status_code == 200
        assert response.json()["faults"] == [body]
        # after: the function ran (its effects stand) but the delivery still fails.
        lost_ack = grid_event()
        assert deliver(lost_ack) == 503
        assert len(received(served, lost_ack["id"])) == 1

        before = body | {"functionName": "recorder", "phase": "before", "status": 500}
        assert served.client.post(faults, json=before, headers=AUTH).status_code == 200
        refused = grid_event()
        assert deliver(refused) == 500  # the named fault wins over "*"
        assert received(served, refused["id"]) == []

        half = body | {"functionName": "recorder", "rate": 0.5, "phase": "either"}
        assert served.client.post(faults, json=half, headers=AUTH).status_code == 200
        statuses = {deliver(grid_event()) for _ in range(30)}
        assert statuses == {202, 503}
    finally:
        assert served.client.delete(faults, headers=AUTH).status_code == 204
    assert deliver(grid_event()) == 202


@pytest.mark.parametrize(
    "body",
    [
        {"functionName": "recorder", "rate": 2},
        {"functionName": "recorder", "rate": 0.1, "phase": "during"},
        {"functionName": "recorder", "rate": 0.1, "seed": "x"},
        {"functionName": "recorder", "rate": 0.1, "failures": 1},
        {"functionName": "*", "failures": 1},
    ],
)
def test_bad_random_faults_are_refused(served: Served, body: dict[str, Any]) -> None:
    response = served.client.post("/admin/devstack/faults", json=body, headers=AUTH)
    assert response.status_code in (400, 404)
