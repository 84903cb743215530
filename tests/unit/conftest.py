"""Fixtures of the application-layer stories: a settable clock, in-memory ports, a bus, and an
in-memory dead-letter store."""

from __future__ import annotations

import pytest

from handlers.ports import Ports
from tests.support.harness import Bus, Clock, make_ports
from tests.support.memory_deadletters import InMemoryDeadLetterStore


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ports(clock: Clock) -> Ports:
    return make_ports(clock)


@pytest.fixture
def bus(ports: Ports) -> Bus:
    return Bus(ports)


@pytest.fixture
def store(clock: Clock) -> InMemoryDeadLetterStore:
    return InMemoryDeadLetterStore(clock=clock)
