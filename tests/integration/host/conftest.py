"""A sample function app served by the devstack host over real HTTP on a free port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devstack.azurite import free_port
from devstack.host import FunctionsHost
from devstack.server import ServerThread

SAMPLE_ROOT = Path(__file__).parent / "sample_app"
SAMPLE_MODULE = "host_sample_app"
KEY = "sample-key"


@dataclass
class Served:
    host: FunctionsHost
    client: httpx.Client
    url: str


@pytest.fixture(scope="package")
def served() -> Iterator[Served]:
    saved = dict(os.environ)
    host = FunctionsHost.load(
        SAMPLE_ROOT,
        module=SAMPLE_MODULE,
        settings={"HOST_SAMPLE_SETTING": "from-settings", "PYTHON_THREADPOOL_THREAD_COUNT": "4"},
        function_key=KEY,
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
