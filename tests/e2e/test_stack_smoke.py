"""The local stack's wiring, without relying on the app's business logic.

Health over the real host; the four routing-table subscriptions validated against the host; a
CloudEvent published with the unmodified SDK reaches the topic; and a delivery that the host
answers with 400 (an injected fault, so no app code runs) is dead-lettered to Azurite under the
subscription's name -- which proves endpoint, filter, retry policy and dead letter wiring.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError
from azure.core.messaging import CloudEvent
from azure.eventgrid import EventGridPublisherClient
from azure.storage.blob import ContainerClient

from devstack.stack import LocalStack
from handlers.routing import SUBSCRIPTIONS
from tests.e2e.stack import E2E_DELIVERY_MULTIPLIER, wait_for

pytestmark = pytest.mark.e2e


def publisher(stack: LocalStack, key: str | None = None) -> EventGridPublisherClient:
    credential = AzureKeyCredential(key or stack.topic_key)
    return EventGridPublisherClient(stack.topic_endpoint, credential)


def test_health_answers_without_a_key(stack: LocalStack) -> None:
    response = httpx.get(f"{stack.host_url}/api/health", timeout=10, trust_env=False)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_host_api_demands_the_configured_master_key(stack: LocalStack) -> None:
    status = f"{stack.host_url}/admin/host/status"
    assert httpx.get(status, timeout=10, trust_env=False).status_code == 401
    function_key = {"x-functions-key": stack.function_key or ""}
    assert httpx.get(status, headers=function_key, timeout=10, trust_env=False).status_code == 401
    headers = {"x-functions-key": stack.master_key or ""}
    response = httpx.get(status, headers=headers, timeout=10, trust_env=False)
    assert response.status_code == 200
    assert response.json()["state"] == "Running"
    functions = httpx.get(
        f"{stack.host_url}/admin/functions", headers=headers, timeout=10, trust_env=False
    )
    names = {entry["name"] for entry in functions.json()}
    assert {sub.function_name for sub in SUBSCRIPTIONS} <= names


def test_the_session_azurite_is_reused_not_restarted(stack: LocalStack) -> None:
    assert stack.reused_azurite
    assert stack.azurite is None


def test_every_routed_subscription_is_validated_against_the_host(stack: LocalStack) -> None:
    def validated() -> dict[str, Any] | None:
        subscriptions: dict[str, Any] = stack.stats()["subscriptions"]
        return subscriptions if all(s["validated"] for s in subscriptions.values()) else None

    subscriptions = wait_for(validated, timeout=10, message="every subscription validated")
    assert sorted(subscriptions) == sorted(sub.name for sub in SUBSCRIPTIONS)
    assert len(subscriptions) == 5  # reservations, rooms, billing, loyalty, frontdesk


def test_a_published_cloudevent_reaches_the_topic(stack: LocalStack) -> None:
    before = stack.wait_idle(timeout=30)
    with publisher(stack) as client:
        client.send(CloudEvent(source="/devstack/smoke", type="Devstack.Smoke", data={"n": 1}))
    after = stack.wait_idle(timeout=10)
    assert after["published"] == before["published"] + 1
    for name, sub in after["subscriptions"].items():  # no subscription takes this type
        assert sub["matched"] == before["subscriptions"][name]["matched"], name


def test_publishing_with_a_wrong_key_is_rejected(stack: LocalStack) -> None:
    with publisher(stack, key="not-the-key") as client, pytest.raises(HttpResponseError) as err:
        client.send(CloudEvent(source="/devstack/smoke", type="Devstack.Smoke", data={}))
    assert err.value.status_code == 401


def test_an_undeliverable_event_is_dead_lettered_under_its_subscription(
    stack: LocalStack,
) -> None:
    loyalty = next(sub for sub in SUBSCRIPTIONS if sub.name == "loyalty")
    event_type = loyalty.included_event_types[0]
    admin = httpx.Client(
        base_url=stack.host_url,
        headers={"x-functions-key": stack.master_key or ""},
        timeout=10,
        trust_env=False,
    )
    before = stack.wait_idle(timeout=30)["subscriptions"]["loyalty"]
    fault = {"functionName": loyalty.function_name, "failures": E2E_DELIVERY_MULTIPLIER}
    with admin:
        assert admin.post("/admin/devstack/faults", json={**fault, "status": 400}).is_success
        try:
            event = CloudEvent(
                source="/devstack/smoke",
                type=event_type,
                subject=f"/hotels/smoke/reservations/{uuid.uuid4()}",
                data={"smoke": True},
            )
            with publisher(stack) as client:
                client.send(event)
            after = stack.wait_idle(timeout=15)["subscriptions"]["loyalty"]
        finally:
            admin.delete("/admin/devstack/faults")
    assert after["matched"] == before["matched"] + 1
    assert after["deadLettered"] == before["deadLettered"] + E2E_DELIVERY_MULTIPLIER
    assert after["delivered"] == before["delivered"]

    container = ContainerClient.from_connection_string(
        stack.connection_string, loyalty.deadletter_container
    )
    with container:
        letters = [
            json.loads(container.download_blob(blob.name).readall())
            for blob in container.list_blobs(name_starts_with=f"{loyalty.name.upper()}/")
        ]
    ours = [e for letter in letters for e in letter if e.get("id") == event.id]
    assert len(ours) == E2E_DELIVERY_MULTIPLIER
    assert {e["deadletterreason"] for e in ours} == {"UndeliverableDueToHttpBadRequest"}
