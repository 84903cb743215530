"""The whole local stack, once for the e2e tests: the session Azurite, the host, the emulator.

``stack`` is package-scoped: started at the first e2e test, stopped after the last one (for the
e2e tests that is the same as session scope). Its host runs ``E2E_HOST_WORKERS`` worker
processes (``tests/e2e/stack.py``); ``test_tracing.py`` overrides it with a stack whose host runs
in the test process, where its spans can be seen.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devstack.azurite import Azurite
from devstack.stack import LocalStack
from tests.e2e.stack import e2e_config, running_stack


@pytest.fixture(scope="package")
def stack(azurite: Azurite) -> Iterator[LocalStack]:
    """The started stack (reusing the session Azurite); see ``tests/e2e/stack.py`` constants."""
    with running_stack(e2e_config(azurite.connection_string)) as local:
        yield local


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
