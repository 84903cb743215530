from __future__ import annotations

import pytest
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient

from adapters.storage_names import CONTAINERS, TABLES
from devstack.azurite import Azurite, AzuriteError, AzuritePorts

pytestmark = pytest.mark.integration


def test_session_azurite_has_the_app_tables_and_containers(storage_connection_string: str) -> None:
    with TableServiceClient.from_connection_string(storage_connection_string) as tables:
        names = {t.name for t in tables.list_tables()}
    with BlobServiceClient.from_connection_string(storage_connection_string) as blobs:
        containers = {c.name for c in blobs.list_containers()}
    assert set(TABLES) <= names
    assert set(CONTAINERS) <= containers


def test_a_port_in_use_is_a_clear_error(azurite: Azurite) -> None:
    clash = Azurite(ports=AzuritePorts(azurite.ports.blob, 1, 2), in_memory=True)
    with pytest.raises(AzuriteError, match=f"port {azurite.ports.blob} .*already in use"):
        clash.start()
