"""Private dead letter containers on the session Azurite, one set per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from azure.storage.blob import BlobServiceClient


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
