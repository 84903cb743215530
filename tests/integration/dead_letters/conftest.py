"""Dead letter stores on the session Azurite: the real containers, or private ones per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from azure.storage.blob import BlobServiceClient

from adapters.deadletters import BlobDeadLetterStore


@pytest.fixture(scope="session")
def blob_service(storage_connection_string: str) -> Iterator[BlobServiceClient]:
    with BlobServiceClient.from_connection_string(storage_connection_string) as service:
        yield service


@pytest.fixture
def private_containers(blob_service: BlobServiceClient) -> Iterator[dict[str, str]]:
    """Three fresh containers (pending, archive, poison), so a run sees only this test's blobs."""
    stem = f"dl-{uuid.uuid4().hex[:12]}"
    containers = {"pending": stem, "archive": f"{stem}-archive", "poison": f"{stem}-poison"}
    for name in containers.values():
        blob_service.create_container(name)
    yield containers
    for name in containers.values():
        blob_service.delete_container(name)


def private_store(service: BlobServiceClient, containers: dict[str, str]) -> BlobDeadLetterStore:
    return BlobDeadLetterStore(
        service,
        pending=containers["pending"],
        archive=containers["archive"],
        poison=containers["poison"],
    )
