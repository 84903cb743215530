from __future__ import annotations

import time

import pytest

from tests.integration.devstack.host.support import MASTER_KEY, Served

pytestmark = pytest.mark.integration

AUTH = {"x-functions-key": MASTER_KEY}


def wait_for(predicate: object, timeout: float = 5.0) -> bool:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def test_a_timer_every_second_fires_with_a_timer_request(served: Served) -> None:
    ticks = served.host.module.TICKS
    start = len(ticks)
    assert wait_for(lambda: len(ticks) >= start + 2, timeout=4.0)
    assert all(tick["class"] == "TimerRequest" for tick in ticks)
    assert not any(tick["past_due"] for tick in ticks)


def test_run_on_startup_runs_once_at_start(served: Served) -> None:
    assert wait_for(lambda: served.client.get("/api/state").json()["startups"] == 1)


def test_admin_invoke_runs_a_timer(served: Served) -> None:
    before = served.client.get("/admin/devstack/invocations", headers=AUTH).json()["on_startup"]
    response = served.client.post("/admin/functions/on_startup", json={"input": ""}, headers=AUTH)
    assert response.status_code == 202
    assert wait_for(
        lambda: served.client.get("/api/state").json()["startups"] == before["succeeded"] + 1
    )
