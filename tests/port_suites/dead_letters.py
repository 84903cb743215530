"""The DeadLetterStore port: exclusive, expiring claims; copy before delete; metadata kept.

A concrete module subclasses ``DeadLetterStoreContract`` and provides a ``letters`` fixture
returning a ``DeadLetterHarness`` (tests/unit/adapters/test_memory_deadletters.py,
tests/integration/adapters/test_deadletters.py). Tests isolate themselves by a unique
subscription folder, so they can share containers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Protocol

import pytest

from handlers.ports import ClaimLostError, DeadLetterState, DeadLetterStore
from tests.port_suites.support import unique

PENDING = DeadLetterState.PENDING
ARCHIVED = DeadLetterState.ARCHIVED
POISON = DeadLetterState.POISON


class DeadLetterHarness(Protocol):
    @property
    def store(self) -> DeadLetterStore: ...

    def other(self) -> DeadLetterStore:
        """Another store over the same containers (another worker instance)."""
        ...

    def put(self, name: str, body: bytes, metadata: Mapping[str, str] | None = None) -> None:
        """Write a pending blob, as Event Grid does."""
        ...

    def expire(self, name: str) -> None:
        """Let the claim on a pending blob run out (its holder crashed)."""
        ...


def a_letter(folder: str | None = None) -> tuple[str, bytes]:
    name = f"{folder or unique('SUB').upper()}/2031/1/2/3/{unique('blob')}.json"
    body = json.dumps([{"specversion": "1.0", "id": unique("e"), "type": "T", "data": {}}])
    return name, body.encode()


def names(store: DeadLetterStore, state: DeadLetterState, name: str) -> list[str]:
    return [letter.name for letter in store.letters(state, prefix=name.split("/")[0] + "/")]


class DeadLetterStoreContract:
    def test_a_pending_blob_is_listed_with_its_metadata(self, letters: DeadLetterHarness) -> None:
        name, body = a_letter()
        letters.put(name, body, {"reprocessAttempts": "2"})
        (listed,) = letters.store.letters(PENDING, prefix=name.split("/")[0] + "/")
        assert listed.name == name
        assert listed.metadata.get("reprocessAttempts") == "2"
        assert listed.created_at.tzinfo is not None
        assert letters.store.read(PENDING, name) == body
        assert names(letters.store, ARCHIVED, name) == []
        assert letters.store.read(ARCHIVED, name) is None

    def test_listing_filters_by_prefix_and_honours_the_limit(
        self, letters: DeadLetterHarness
    ) -> None:
        folder = unique("SUB").upper()
        for _ in range(3):
            letters.put(*a_letter(folder))
        letters.put(*a_letter())
        assert len(letters.store.letters(PENDING, prefix=f"{folder}/")) == 3
        assert len(letters.store.letters(PENDING, prefix=f"{folder}/", limit=2)) == 2

    def test_a_claim_reads_the_blob_and_excludes_every_other_claim(
        self, letters: DeadLetterHarness
    ) -> None:
        name, body = a_letter()
        letters.put(name, body, {"reprocessAttempts": "1"})
        claim = letters.store.claim(name)
        assert claim is not None
        assert claim.body == body
        assert claim.metadata.get("reprocessAttempts") == "1"
        assert letters.store.claim(name) is None
        assert letters.other().claim(name) is None

    def test_a_missing_blob_cannot_be_claimed(self, letters: DeadLetterHarness) -> None:
        name, _ = a_letter()
        assert letters.store.claim(name) is None

    @pytest.mark.parametrize("state", [ARCHIVED, POISON])
    def test_moving_copies_the_blob_with_merged_metadata_then_removes_it(
        self, letters: DeadLetterHarness, state: DeadLetterState
    ) -> None:
        name, body = a_letter()
        letters.put(name, body, {"reprocessAttempts": "1", "nextAttemptAt": "2031-01-01T00:00Z"})
        claim = letters.store.claim(name)
        assert claim is not None
        letters.store.move(
            claim, state, {"reprocessAttempts": "2", "outcome": "x", "nextAttemptAt": ""}
        )
        assert names(letters.store, PENDING, name) == []
        assert letters.store.read(state, name) == body
        (moved,) = letters.store.letters(state, prefix=name.split("/")[0] + "/")
        assert moved.name == name
        assert {k: v for k, v in moved.metadata.items()} == {
            "reprocessAttempts": "2",
            "outcome": "x",
        }
        assert letters.other().claim(name) is None

    def test_releasing_with_metadata_keeps_the_blob_and_frees_it(
        self, letters: DeadLetterHarness
    ) -> None:
        name, body = a_letter()
        letters.put(name, body, {"deadLetteredAt": "2031-01-01T00:00:00Z"})
        claim = letters.store.claim(name)
        assert claim is not None
        letters.store.release(claim, metadata={"reprocessAttempts": "1"})
        again = letters.other().claim(name)
        assert again is not None
        assert again.body == body
        assert dict(again.metadata) == {
            "deadLetteredAt": "2031-01-01T00:00:00Z",
            "reprocessAttempts": "1",
        }
        letters.other().release(again)
        assert letters.store.claim(name) is not None

    def test_annotating_writes_metadata_under_the_claim_and_keeps_it(
        self, letters: DeadLetterHarness
    ) -> None:
        name, body = a_letter()
        letters.put(name, body, {"deadLetteredAt": "2031-01-01T00:00:00Z", "outcome": "retrying"})
        claim = letters.store.claim(name)
        assert claim is not None
        annotated = letters.store.annotate(claim, {"reprocessAttempts": "3", "outcome": ""})
        expected = {"deadLetteredAt": "2031-01-01T00:00:00Z", "reprocessAttempts": "3"}
        assert dict(annotated.metadata) == expected
        assert letters.other().claim(name) is None  # still held
        (listed,) = letters.store.letters(PENDING, prefix=name.split("/")[0] + "/")
        assert dict(listed.metadata) == expected  # written, even if the holder now crashes
        letters.store.move(annotated, ARCHIVED, {"outcome": "archived"})
        (moved,) = letters.store.letters(ARCHIVED, prefix=name.split("/")[0] + "/")
        assert dict(moved.metadata) == {**expected, "outcome": "archived"}

    def test_a_stale_claim_cannot_annotate(self, letters: DeadLetterHarness) -> None:
        name, body = a_letter()
        letters.put(name, body)
        stale = letters.store.claim(name)
        assert stale is not None
        letters.expire(name)
        fresh = letters.other().claim(name)
        assert fresh is not None
        with pytest.raises(ClaimLostError):
            letters.store.annotate(stale, {"reprocessAttempts": "1"})
        (listed,) = letters.store.letters(PENDING, prefix=name.split("/")[0] + "/")
        assert dict(listed.metadata) == {}

    def test_renewing_a_held_claim_keeps_it(self, letters: DeadLetterHarness) -> None:
        name, body = a_letter()
        letters.put(name, body)
        claim = letters.store.claim(name)
        assert claim is not None
        letters.store.renew(claim)
        assert letters.other().claim(name) is None

    def test_a_crashed_holder_leaves_the_blob_to_the_next_claim_and_cannot_touch_it(
        self, letters: DeadLetterHarness
    ) -> None:
        name, body = a_letter()
        letters.put(name, body)
        stale = letters.store.claim(name)
        assert stale is not None
        letters.expire(name)
        fresh = letters.other().claim(name)
        assert fresh is not None
        with pytest.raises(ClaimLostError):
            letters.store.renew(stale)
        with pytest.raises(ClaimLostError):
            letters.store.move(stale, ARCHIVED, {"outcome": "archived"})
        with pytest.raises(ClaimLostError):
            letters.store.release(stale, metadata={"outcome": "retrying"})
        assert letters.store.read(PENDING, name) == body  # nothing lost
        letters.other().move(fresh, ARCHIVED, {"outcome": "archived"})
        assert letters.store.read(ARCHIVED, name) == body

    def test_quarantine_writes_a_new_poison_blob_and_never_overwrites(
        self, letters: DeadLetterHarness
    ) -> None:
        name, body = a_letter()
        letters.store.quarantine(name, body, {"outcome": "poisoned", "reason": "bad"})
        assert letters.store.read(POISON, name) == body
        (poisoned,) = letters.store.letters(POISON, prefix=name.split("/")[0] + "/")
        assert poisoned.metadata.get("reason") == "bad"
        with pytest.raises(Exception):  # noqa: B017, PT011 -- adapter-specific "exists" error
            letters.store.quarantine(name, b"[]", {"reason": "other"})
        assert letters.store.read(POISON, name) == body

    @pytest.mark.parametrize("state", [POISON, ARCHIVED])
    def test_requeueing_moves_a_blob_back_to_pending_with_merged_metadata(
        self, letters: DeadLetterHarness, state: DeadLetterState
    ) -> None:
        name, body = a_letter()
        letters.put(name, body, {"deadLetteredAt": "2031-01-01T00:00:00Z"})
        claim = letters.store.claim(name)
        assert claim is not None
        letters.store.move(claim, state, {"reprocessAttempts": "5", "outcome": "x"})

        assert letters.store.requeue(state, name, {"reprocessAttempts": "0", "requeuedAt": "t"})

        assert names(letters.store, state, name) == []
        assert letters.store.read(state, name) is None
        (pending,) = letters.store.letters(PENDING, prefix=name.split("/")[0] + "/")
        assert dict(pending.metadata) == {
            "deadLetteredAt": "2031-01-01T00:00:00Z",
            "reprocessAttempts": "0",
            "outcome": "x",
            "requeuedAt": "t",
        }
        again = letters.other().claim(name)
        assert again is not None
        assert again.body == body

    def test_requeueing_a_missing_blob_says_so(self, letters: DeadLetterHarness) -> None:
        name, _ = a_letter()
        assert letters.store.requeue(POISON, name, {"requeuedAt": "t"}) is False

    def test_requeueing_over_a_pending_twin_being_replayed_is_refused(
        self, letters: DeadLetterHarness
    ) -> None:
        name, body = a_letter()
        letters.store.quarantine(name, body, {"outcome": "poisoned"})
        letters.put(name, body)
        held = letters.store.claim(name)
        assert held is not None
        with pytest.raises(ClaimLostError):
            letters.store.requeue(POISON, name, {"requeuedAt": "t"})
        assert letters.store.read(POISON, name) == body  # nothing lost
        letters.store.release(held)
        assert letters.store.requeue(POISON, name, {"requeuedAt": "t"})
        assert letters.store.read(POISON, name) is None
