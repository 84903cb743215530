"""Fixtures shared by the integration packages on the session Azurite (``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from azure.storage.blob import BlobServiceClient


@pytest.fixture(scope="session")
def blob_service(storage_connection_string: str) -> Iterator[BlobServiceClient]:
    """One blob client for the session: the dead letter store's tests and stories share it."""
    with BlobServiceClient.from_connection_string(storage_connection_string) as service:
        yield service
