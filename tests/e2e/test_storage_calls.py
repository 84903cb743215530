"""``/admin/devstack/storage-calls`` on the real app, its host running several workers: a
booking's storage calls, wherever its steps ran, are in one answer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from devstack.stack import LocalStack
from tests.e2e.stack import book, booking, settle

pytestmark = pytest.mark.e2e

ROUTE = "/admin/devstack/storage-calls"


def calls(admin: httpx.Client) -> dict[str, Any]:
    response = admin.get(ROUTE)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert set(body) == {"total", "bySteps"}
    return body


def test_a_bookings_storage_calls_are_counted_over_every_worker(
    api: httpx.Client, admin: httpx.Client
) -> None:
    assert admin.delete(ROUTE).status_code == 204
    created = book(api, booking(hotel="harbor-porto", guests=1, nights=2))
    assert settle(api, created["reservationId"])["status"] == "Confirmed"

    body = calls(admin)
    steps = body["bySteps"]
    total = sum(body["total"].values())
    # A booking is a request and three reactions, each with reads and a transaction at least.
    assert total >= 4, body
    assert total == sum(sum(kinds.values()) for kinds in steps.values())

    assert admin.delete(ROUTE).status_code == 204
    # Zeroed in every worker: what is left is what a timer did since (the relay runs every 30 s).
    assert sum(calls(admin)["total"].values()) < total


def test_the_counts_need_the_key(stack: LocalStack) -> None:
    assert httpx.get(f"{stack.host_url}{ROUTE}", trust_env=False).status_code == 401
