from __future__ import annotations

import pytest

from handlers.ports import Ports
from tests.unit.handlers.harness import Bus, Clock, make_ports


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ports(clock: Clock) -> Ports:
    return make_ports(clock)


@pytest.fixture
def bus(ports: Ports) -> Bus:
    return Bus(ports)
