from __future__ import annotations

import pytest

from adapters.memory_deadletters import InMemoryDeadLetterStore
from tests.unit.handlers.harness import Clock


@pytest.fixture
def store(clock: Clock) -> InMemoryDeadLetterStore:
    return InMemoryDeadLetterStore(clock=clock)
