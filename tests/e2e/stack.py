"""Helpers for end-to-end tests against the whole local stack (see ``tests/e2e/conftest.py``)."""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Literal, TypeVar

import httpx

from devstack.azurite import PROJECT_ROOT, free_port
from devstack.seed import app_seed_hook
from devstack.settings import SAMPLE_FILE, StackConfig, read_values
from devstack.stack import LocalStack

T = TypeVar("T")

# What the e2e session stack runs with (tests/e2e/conftest.py).
E2E_FUNCTION_KEY: Final = "e2e-function-key"
E2E_MASTER_KEY: Final = "e2e-master-key"  # admin-level routes (/api/ops/*) and /admin/*
E2E_TOPIC_KEY: Final = "e2e-topic-key"
# Azure's schedule shrunk to seconds; the last delay repeats (up to maxDeliveryAttempts, 30).
E2E_RETRY_DELAYS_SECONDS: Final[tuple[float, ...]] = (0.2, 0.5, 1.0)
# Every matched event is delivered this many times, independently: consumers must be idempotent.
E2E_DELIVERY_MULTIPLIER: Final = 2
# Several host worker processes, as `make run` on a machine with several cores: a request, an
# admin call and an event delivery may each reach a different worker.
E2E_HOST_WORKERS: Final = 2


def e2e_config(storage: str, **overrides: Any) -> StackConfig:
    """The sample's settings (never the developer's local.settings.json), on free ports."""
    values = read_values(PROJECT_ROOT / SAMPLE_FILE)
    values["FUNCTIONS_WORKER_PROCESS_COUNT"] = str(E2E_HOST_WORKERS)
    return StackConfig.from_values(
        values,
        storage=storage,
        host_port=free_port(),
        eventgrid_port=free_port(),
        function_key=E2E_FUNCTION_KEY,
        master_key=E2E_MASTER_KEY,
        topic_key=E2E_TOPIC_KEY,
        retry_delays_seconds=E2E_RETRY_DELAYS_SECONDS,
        delivery_multiplier=E2E_DELIVERY_MULTIPLIER,
        **overrides,
    )


@contextlib.contextmanager
def running_stack(config: StackConfig) -> Iterator[LocalStack]:
    """A started stack on ``config``, seeded; stopped afterwards. Starting it applies the app's
    settings to ``os.environ`` (as the Functions worker would); they are restored on the way
    out, so later tests do not see this stack's settings."""
    saved = dict(os.environ)
    lines: list[str] = []
    local = LocalStack(config, on_storage_ready=app_seed_hook(lines.append), report=lines.append)
    local.start()
    try:
        yield local
    finally:
        local.stop()
        os.environ.clear()
        os.environ.update(saved)


def wait_for(
    predicate: Callable[[], T | Literal[False] | None],
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "",
) -> T:
    """Call ``predicate`` until it returns something truthy, and return that.

    Raises ``AssertionError`` after ``timeout`` seconds, with ``message`` and the last value. An
    exception from the predicate propagates at once (a failing check is not "not yet").
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            what = message or getattr(predicate, "__name__", "the condition")
            raise AssertionError(
                f"timed out after {timeout:g}s waiting for {what} (last value: {value!r})"
            )
        time.sleep(interval)


def future_date(days: int) -> date:
    """The UTC date ``days`` from today."""
    return datetime.now(UTC).date() + timedelta(days=days)


def booking(
    *,
    hotel: str = "grand-lisbon",
    room_type: str = "STD",
    check_in: date | None = None,
    nights: int = 3,
    guests: int = 2,
    guest_id: str | None = None,
    token: str = "tok_visa",
) -> dict[str, Any]:
    """A valid POST /reservations body; by default for a random far-future date, so tests
    running on one stack do not compete for rooms unless they mean to."""
    start = check_in or future_date(400 + uuid.uuid4().int % 2000)
    return {
        "hotelId": hotel,
        "roomType": room_type,
        "checkIn": start.isoformat(),
        "checkOut": (start + timedelta(days=nights)).isoformat(),
        "guests": guests,
        "guest": {
            "id": guest_id or f"g-{uuid.uuid4().hex[:8]}",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
        },
        "paymentToken": token,
    }


# Where a booking's saga comes to rest: ``settle`` waits for one of these by default.
TERMINAL: Final = frozenset({"Confirmed", "Rejected", "Cancelled"})


def book(api: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    """POST ``body`` to /reservations and check the 202 Accepted answer: Pending, with its URL."""
    response = api.post("/reservations", json=body)
    assert response.status_code == 202, response.text
    created: dict[str, Any] = response.json()
    assert created["status"] == "Pending"
    assert response.headers["Location"] == f"/api/reservations/{created['reservationId']}"
    return created


def settle(
    api: httpx.Client, reservation_id: str, statuses: AbstractSet[str] = TERMINAL
) -> dict[str, Any]:
    """The reservation once its status is one of ``statuses`` (the saga has run its course)."""

    def current() -> dict[str, Any] | None:
        body: dict[str, Any] = api.get(f"/reservations/{reservation_id}").json()
        return body if body["status"] in statuses else None

    return wait_for(current, timeout=30, message=f"{reservation_id} to reach {statuses}")


def event_types(api: httpx.Client, reservation_id: str) -> list[str]:
    """The reservation's event types in order, without the ``Hotel.`` prefix."""
    response = api.get(f"/reservations/{reservation_id}/events")
    assert response.status_code == 200
    return [e["type"].removeprefix("Hotel.") for e in response.json()["events"]]
