"""The blob dead letter store passes the port suite on a real Azurite (the real containers)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest
from azure.storage.blob import BlobLeaseClient, BlobServiceClient, ContentSettings

from adapters.deadletters import BlobDeadLetterStore
from adapters.storage_names import DEADLETTER_CONTAINER
from handlers.ports import DeadLetterStore
from tests.port_suites.dead_letters import DeadLetterHarness, DeadLetterStoreContract

pytestmark = pytest.mark.integration


class BlobHarness:
    def __init__(self, service: BlobServiceClient, connection_string: str) -> None:
        self._service = service
        self._connection_string = connection_string
        self._store = BlobDeadLetterStore(service)
        self._others: list[BlobServiceClient] = []

    def close(self) -> None:
        for client in self._others:
            client.close()

    @property
    def store(self) -> DeadLetterStore:
        return self._store

    def other(self) -> DeadLetterStore:
        # Another worker: its own client, its own connections.
        client = BlobServiceClient.from_connection_string(self._connection_string)
        self._others.append(client)
        return BlobDeadLetterStore(client)

    def put(self, name: str, body: bytes, metadata: Mapping[str, str] | None = None) -> None:
        self._service.get_blob_client(DEADLETTER_CONTAINER, name).upload_blob(
            body,
            metadata=dict(metadata or {}),
            content_settings=ContentSettings(content_type="application/json"),
        )

    def expire(self, name: str) -> None:
        blob = self._service.get_blob_client(DEADLETTER_CONTAINER, name)
        BlobLeaseClient(blob).break_lease(lease_break_period=0)


@pytest.fixture
def letters(
    blob_service: BlobServiceClient, storage_connection_string: str
) -> Iterator[DeadLetterHarness]:
    harness = BlobHarness(blob_service, storage_connection_string)
    yield harness
    harness.close()


class TestBlobDeadLetterStore(DeadLetterStoreContract):
    pass


def test_a_lease_shorter_than_15_or_longer_than_60_seconds_is_refused(
    blob_service: BlobServiceClient,
) -> None:
    with pytest.raises(ValueError, match="15 to 60"):
        BlobDeadLetterStore(blob_service, lease_seconds=5)
