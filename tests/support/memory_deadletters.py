"""An in-memory ``DeadLetterStore``, with the semantics of the blob one (adapters/deadletters.py).

Three containers of named blobs; a claim is an expiring lease (``lease_seconds`` on ``clock``);
a stale claim cannot renew, release or move. Thread-safe, so concurrency tests mean something.
``put`` writes a pending blob as Event Grid (or the emulator) would.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from handlers.dead_letters.metadata import merge_metadata
from handlers.ports import ClaimedDeadLetter, ClaimLostError, DeadLetter, DeadLetterState


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Blob:
    body: bytes
    metadata: dict[str, str]
    created_at: datetime
    lease_id: str | None = None
    lease_until: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))


class InMemoryDeadLetterStore:
    """``DeadLetterStore`` in memory."""

    def __init__(
        self, *, clock: Callable[[], datetime] = _utc_now, lease_seconds: float = 60
    ) -> None:
        self._clock = clock
        self._lease = timedelta(seconds=lease_seconds)
        self._lock = threading.Lock()
        self._containers: dict[DeadLetterState, dict[str, _Blob]] = {
            state: {} for state in DeadLetterState
        }

    # -- test support (what Event Grid does) ----------------------------------------------------

    def put(
        self,
        name: str,
        body: bytes,
        *,
        state: DeadLetterState = DeadLetterState.PENDING,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        with self._lock:
            self._containers[state][name] = _Blob(body, dict(metadata or {}), self._clock())

    def expire_claim(self, name: str) -> None:
        """As if the claim's holder crashed and its lease ran out."""
        with self._lock:
            blob = self._containers[DeadLetterState.PENDING].get(name)
            if blob is not None:
                blob.lease_until = datetime.min.replace(tzinfo=UTC)

    def metadata(self, state: DeadLetterState, name: str) -> dict[str, str] | None:
        with self._lock:
            blob = self._containers[state].get(name)
            return None if blob is None else dict(blob.metadata)

    # -- the port -------------------------------------------------------------------------------

    def letters(
        self, state: DeadLetterState, *, prefix: str = "", limit: int | None = None
    ) -> list[DeadLetter]:
        with self._lock:
            found = [
                DeadLetter(name, dict(blob.metadata), blob.created_at)
                for name, blob in sorted(self._containers[state].items())
                if name.startswith(prefix)
            ]
        return found if limit is None else found[:limit]

    def read(self, state: DeadLetterState, name: str) -> bytes | None:
        with self._lock:
            blob = self._containers[state].get(name)
            return None if blob is None else blob.body

    def claim(self, name: str) -> ClaimedDeadLetter | None:
        now = self._clock()
        with self._lock:
            blob = self._containers[DeadLetterState.PENDING].get(name)
            if blob is None or (blob.lease_id is not None and blob.lease_until > now):
                return None
            blob.lease_id, blob.lease_until = uuid.uuid4().hex, now + self._lease
            return ClaimedDeadLetter(
                name, blob.body, dict(blob.metadata), blob.created_at, blob.lease_id
            )

    def _held(self, claim: ClaimedDeadLetter) -> _Blob:
        """The pending blob if ``claim`` still holds it (lock held); else ClaimLostError.

        As with blob leases, an expired lease is still good until someone else takes it.
        """
        blob = self._containers[DeadLetterState.PENDING].get(claim.name)
        if blob is None or blob.lease_id != claim.token:
            raise ClaimLostError(claim.name)
        return blob

    def renew(self, claim: ClaimedDeadLetter) -> None:
        with self._lock:
            self._held(claim).lease_until = self._clock() + self._lease

    def annotate(self, claim: ClaimedDeadLetter, metadata: Mapping[str, str]) -> ClaimedDeadLetter:
        with self._lock:
            blob = self._held(claim)
            blob.metadata = merge_metadata(blob.metadata, metadata)
            return replace(claim, metadata=dict(blob.metadata))

    def release(
        self, claim: ClaimedDeadLetter, *, metadata: Mapping[str, str] | None = None
    ) -> None:
        with self._lock:
            blob = self._held(claim)
            if metadata:
                blob.metadata = merge_metadata(blob.metadata, metadata)
            blob.lease_id = None

    def move(
        self, claim: ClaimedDeadLetter, state: DeadLetterState, metadata: Mapping[str, str]
    ) -> None:
        if state is DeadLetterState.PENDING:
            raise ValueError("move a claimed blob to the archive or to poison")
        with self._lock:
            blob = self._held(claim)
            self._containers[state][claim.name] = _Blob(
                blob.body, merge_metadata(blob.metadata, metadata), self._clock()
            )
            del self._containers[DeadLetterState.PENDING][claim.name]

    def quarantine(self, name: str, body: bytes, metadata: Mapping[str, str]) -> None:
        with self._lock:
            poison = self._containers[DeadLetterState.POISON]
            if name in poison:
                raise FileExistsError(f"poison blob {name} exists")
            poison[name] = _Blob(body, merge_metadata({}, metadata), self._clock())

    def requeue(self, state: DeadLetterState, name: str, metadata: Mapping[str, str]) -> bool:
        if state is DeadLetterState.PENDING:
            raise ValueError("requeue an archived or poison blob")
        now = self._clock()
        with self._lock:
            source = self._containers[state].get(name)
            if source is None:
                return False
            pending = self._containers[DeadLetterState.PENDING].get(name)
            if pending is not None and pending.lease_id is not None and pending.lease_until > now:
                raise ClaimLostError(f"{name}: being replayed")  # as an upload over a leased blob
            self._containers[DeadLetterState.PENDING][name] = _Blob(
                source.body, merge_metadata(source.metadata, metadata), now
            )
            del self._containers[state][name]
            return True
