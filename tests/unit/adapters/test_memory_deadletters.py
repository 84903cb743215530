"""The in-memory dead letter store passes the same port suite as the blob adapter."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from handlers.ports import DeadLetterStore
from tests.port_suites.dead_letters import DeadLetterHarness, DeadLetterStoreContract
from tests.support.memory_deadletters import InMemoryDeadLetterStore


class MemoryHarness:
    def __init__(self) -> None:
        self._store = InMemoryDeadLetterStore()

    @property
    def store(self) -> DeadLetterStore:
        return self._store

    def other(self) -> DeadLetterStore:
        return self._store  # one process: every "worker" shares the same memory

    def put(self, name: str, body: bytes, metadata: Mapping[str, str] | None = None) -> None:
        self._store.put(name, body, metadata=metadata)

    def expire(self, name: str) -> None:
        self._store.expire_claim(name)


@pytest.fixture
def letters() -> DeadLetterHarness:
    return MemoryHarness()


class TestMemoryDeadLetterStore(DeadLetterStoreContract):
    pass
