"""Session-wide fixtures: one real Azurite per test session, on free ports, in memory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.azurite import Azurite, AzuritePorts, ensure_resources


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    """A real Azurite with the app's tables and containers; started once per session."""
    server = Azurite(ports=AzuritePorts.free(), in_memory=True)
    server.start()
    try:
        ensure_resources(server.connection_string)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def storage_connection_string(azurite: Azurite) -> str:
    return azurite.connection_string
