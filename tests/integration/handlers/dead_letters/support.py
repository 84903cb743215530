"""Helpers for the dead letter stories on Azurite."""

from __future__ import annotations

from azure.storage.blob import BlobServiceClient

from adapters.deadletters import BlobDeadLetterStore


def private_store(service: BlobServiceClient, containers: dict[str, str]) -> BlobDeadLetterStore:
    """A blob store over a test's ``private_containers`` (see ``conftest.py``) instead of the
    app's real ones, on a client of the caller's choosing (each worker may bring its own)."""
    return BlobDeadLetterStore(
        service,
        pending=containers["pending"],
        archive=containers["archive"],
        poison=containers["poison"],
    )
