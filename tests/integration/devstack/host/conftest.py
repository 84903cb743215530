"""A sample function app served by the devstack host over real HTTP on a free port."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from devstack.azurite import free_port
from devstack.host import FunctionsHost
from devstack.server import ServerThread
from tests.integration.devstack.host.support import (
    KEY,
    MASTER_KEY,
    SAMPLE_MODULE,
    SAMPLE_ROOT,
    Served,
)


@pytest.fixture(scope="package")
def served() -> Iterator[Served]:
    saved = dict(os.environ)
    host = FunctionsHost.load(
        SAMPLE_ROOT,
        module=SAMPLE_MODULE,
        settings={"HOST_SAMPLE_SETTING": "from-settings", "PYTHON_THREADPOOL_THREAD_COUNT": "4"},
        function_key=KEY,
        master_key=MASTER_KEY,
    )
    try:
        with (
            ServerThread(host.asgi, port=free_port(), name="functions-host") as server,
            httpx.Client(base_url=server.url, timeout=10.0) as client,
        ):
            yield Served(host, client, server.url)
    finally:
        os.environ.clear()
        os.environ.update(saved)
