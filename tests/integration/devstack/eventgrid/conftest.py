from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.azurite import free_port
from devstack.server import ServerThread
from tests.integration.devstack.eventgrid.support import Subscriber


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    """A webhook subscriber on a free port; subscription endpoints are ``{url}/{route}``."""
    recorder = Subscriber()
    with ServerThread(recorder.asgi, port=free_port(), name="subscriber") as server:
        recorder.url = server.url
        yield recorder
