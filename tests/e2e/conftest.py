"""The whole local stack, once for the e2e tests: the session Azurite, the host, the emulator.

``stack`` is package-scoped: started at the first e2e test, stopped after the last one (for the
e2e tests that is the same as session scope). Loading the app applies its settings to
``os.environ`` (as the Functions worker would); the environment is restored when the stack stops,
so later tests do not see the e2e stack's settings.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from devstack.azurite import PROJECT_ROOT, Azurite, free_port
from devstack.seed import app_seed_hook
from devstack.settings import SAMPLE_FILE, StackConfig, read_values
from devstack.stack import LocalStack
from tests.e2e.stack import (
    E2E_DELIVERY_MULTIPLIER,
    E2E_FUNCTION_KEY,
    E2E_MASTER_KEY,
    E2E_RETRY_DELAYS_SECONDS,
    E2E_TOPIC_KEY,
)


def e2e_config(storage: str) -> StackConfig:
    """The sample's settings (never the developer's local.settings.json), on free ports."""
    values = read_values(PROJECT_ROOT / SAMPLE_FILE)
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
    )


@pytest.fixture(scope="package")
def stack(azurite: Azurite) -> Iterator[LocalStack]:
    """The started stack (reusing the session Azurite); see ``tests/e2e/stack.py`` constants."""
    saved = dict(os.environ)
    lines: list[str] = []
    local = LocalStack(
        e2e_config(azurite.connection_string),
        on_storage_ready=app_seed_hook(lines.append),
        report=lines.append,
    )
    local.start()
    try:
        yield local
    finally:
        local.stop()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def api(stack: LocalStack) -> Iterator[httpx.Client]:
    """An HTTP client for ``{host}/api`` that sends the function key."""
    headers = {"x-functions-key": stack.function_key or ""}
    with httpx.Client(
        base_url=f"{stack.host_url}/api", headers=headers, timeout=10, trust_env=False
    ) as client:
        yield client


@pytest.fixture
def ops(stack: LocalStack) -> Iterator[httpx.Client]:
    """An HTTP client for ``{host}/api`` that sends the master key (admin-level ``/ops/*``)."""
    headers = {"x-functions-key": stack.master_key or ""}
    with httpx.Client(
        base_url=f"{stack.host_url}/api", headers=headers, timeout=10, trust_env=False
    ) as client:
        yield client


@pytest.fixture
def admin(stack: LocalStack) -> Iterator[httpx.Client]:
    """A client for the host's own routes (``/admin/...``) with the master key; clears injected
    faults afterwards so one test's failing subscriber never leaks into the next."""
    headers = {"x-functions-key": stack.master_key or ""}
    with httpx.Client(base_url=stack.host_url, headers=headers, timeout=30, trust_env=False) as c:
        yield c
        c.delete("/admin/devstack/faults")
