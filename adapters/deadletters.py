"""``DeadLetterStore`` on Azure Blob storage: ``deadletter``, ``deadletter-archive``,
``deadletter-poison`` (adapters/storage_names.py), through the worker's one BlobServiceClient.

A claim is a blob lease (``lease_seconds``, 15-60; renewed while the reprocessor works), so two
workers never hold the same blob and a crashed one lets go on its own. Moving a blob uploads the
claimed body with the merged metadata to the target container under the same name (an ordinary
upload: it works with keys, SAS and managed identities alike, where a server-side copy would
need the source authorized separately) and deletes the original -- with the lease -- only after
that upload succeeded. Lease conflicts are ``ClaimLostError``; other storage errors propagate.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.storage.blob import BlobClient, BlobLeaseClient, BlobServiceClient, ContentSettings

from adapters.storage_names import (
    DEADLETTER_ARCHIVE_CONTAINER,
    DEADLETTER_CONTAINER,
    DEADLETTER_POISON_CONTAINER,
)
from handlers.dead_letters.metadata import merge_metadata
from handlers.ports import ClaimedDeadLetter, ClaimLostError, DeadLetter, DeadLetterState

JSON: ContentSettings = ContentSettings(content_type="application/json")


@contextmanager
def _lease_conflicts_as_lost(name: str) -> Iterator[None]:
    """409 (lease present/lost) and 412 (lease id mismatch) mean someone else has the blob."""
    try:
        yield
    except ResourceNotFoundError as exc:
        raise ClaimLostError(f"{name}: gone") from exc
    except HttpResponseError as exc:
        if exc.status_code in (409, 412):
            raise ClaimLostError(f"{name}: HTTP {exc.status_code} {exc.reason}") from exc
        raise


class BlobDeadLetterStore:
    """``DeadLetterStore`` on three blob containers (names overridable, e.g. for tests)."""

    def __init__(
        self,
        service: BlobServiceClient,
        *,
        pending: str = DEADLETTER_CONTAINER,
        archive: str = DEADLETTER_ARCHIVE_CONTAINER,
        poison: str = DEADLETTER_POISON_CONTAINER,
        lease_seconds: int = 60,
    ) -> None:
        if not 15 <= lease_seconds <= 60:
            raise ValueError("a blob lease lasts 15 to 60 seconds")
        self._service = service
        self._lease_seconds = lease_seconds
        self.containers: dict[DeadLetterState, str] = {
            DeadLetterState.PENDING: pending,
            DeadLetterState.ARCHIVED: archive,
            DeadLetterState.POISON: poison,
        }

    def _blob(self, state: DeadLetterState, name: str) -> BlobClient:
        return self._service.get_blob_client(self.containers[state], name)

    def letters(
        self, state: DeadLetterState, *, prefix: str = "", limit: int | None = None
    ) -> list[DeadLetter]:
        container = self._service.get_container_client(self.containers[state])
        found: list[DeadLetter] = []
        for props in container.list_blobs(name_starts_with=prefix or None, include=["metadata"]):
            if limit is not None and len(found) >= limit:
                break
            found.append(
                DeadLetter(
                    props.name,
                    dict(props.metadata or {}),
                    props.creation_time or props.last_modified,
                )
            )
        return found

    def read(self, state: DeadLetterState, name: str) -> bytes | None:
        try:
            return self._blob(state, name).download_blob().readall()
        except ResourceNotFoundError:
            return None

    def claim(self, name: str) -> ClaimedDeadLetter | None:
        blob = self._blob(DeadLetterState.PENDING, name)
        try:
            lease = blob.acquire_lease(lease_duration=self._lease_seconds)
        except ResourceNotFoundError:
            return None
        except HttpResponseError as exc:
            if exc.status_code == 409:  # LeaseAlreadyPresent: another run holds it
                return None
            raise
        try:
            props = blob.get_blob_properties(lease=lease)
            body = blob.download_blob(lease=lease).readall()
        except ResourceNotFoundError:
            return None
        except BaseException:
            lease.release()
            raise
        return ClaimedDeadLetter(
            name,
            body,
            dict(props.metadata or {}),
            props.creation_time or props.last_modified,
            lease.id,
        )

    def _lease(self, claim: ClaimedDeadLetter) -> BlobLeaseClient:
        return BlobLeaseClient(self._blob(DeadLetterState.PENDING, claim.name), claim.token)

    def renew(self, claim: ClaimedDeadLetter) -> None:
        with _lease_conflicts_as_lost(claim.name):
            self._lease(claim).renew()

    def annotate(self, claim: ClaimedDeadLetter, metadata: Mapping[str, str]) -> ClaimedDeadLetter:
        merged = merge_metadata(claim.metadata, metadata)
        with _lease_conflicts_as_lost(claim.name):
            # Setting metadata replaces all of it, so write the merged set; the lease stays ours.
            self._blob(DeadLetterState.PENDING, claim.name).set_blob_metadata(
                merged, lease=claim.token
            )
        return replace(claim, metadata=merged)

    def release(
        self, claim: ClaimedDeadLetter, *, metadata: Mapping[str, str] | None = None
    ) -> None:
        blob = self._blob(DeadLetterState.PENDING, claim.name)
        with _lease_conflicts_as_lost(claim.name):
            if metadata:
                blob.set_blob_metadata(merge_metadata(claim.metadata, metadata), lease=claim.token)
            self._lease(claim).release()

    def move(
        self, claim: ClaimedDeadLetter, state: DeadLetterState, metadata: Mapping[str, str]
    ) -> None:
        if state is DeadLetterState.PENDING:
            raise ValueError("move a claimed blob to the archive or to poison")
        self.renew(claim)  # still ours? (else ClaimLostError before anything is written)
        self._blob(state, claim.name).upload_blob(
            claim.body,
            overwrite=True,  # a crash between copy and delete: the next run copies again
            metadata=merge_metadata(claim.metadata, metadata),
            content_settings=JSON,
        )
        with _lease_conflicts_as_lost(claim.name):
            self._blob(DeadLetterState.PENDING, claim.name).delete_blob(lease=claim.token)

    def quarantine(self, name: str, body: bytes, metadata: Mapping[str, str]) -> None:
        self._blob(DeadLetterState.POISON, name).upload_blob(
            body, overwrite=False, metadata=merge_metadata({}, metadata), content_settings=JSON
        )

    def requeue(self, state: DeadLetterState, name: str, metadata: Mapping[str, str]) -> bool:
        if state is DeadLetterState.PENDING:
            raise ValueError("requeue an archived or poison blob")
        source = self._blob(state, name)
        try:
            download = source.download_blob()
            body = download.readall()
        except ResourceNotFoundError:
            return False
        with _lease_conflicts_as_lost(name):  # 412: a pending twin is leased by a replay
            self._blob(DeadLetterState.PENDING, name).upload_blob(
                body,
                overwrite=True,  # a twin left by a requeue that could not delete: same body
                metadata=merge_metadata(dict(download.properties.metadata or {}), metadata),
                content_settings=JSON,
            )
        with contextlib.suppress(ResourceNotFoundError):  # a concurrent requeue deleted it first
            source.delete_blob()
        return True
