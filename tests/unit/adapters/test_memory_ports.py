"""The storage adapters pass the port suites on the in-memory table store, as they do on Azurite
(tests/integration/adapters/test_table_ports.py): one implementation, two stores."""

from __future__ import annotations

import pytest

from tests.port_suites import PortFactory
from tests.port_suites.catalog import CatalogContract
from tests.port_suites.factory import TableStoreFactory
from tests.port_suites.frontdesk import FrontdeskBoardContract
from tests.port_suites.inventory import RoomInventoryContract
from tests.port_suites.outbox import IdempotencyKeysContract, OutboxContract
from tests.port_suites.repository import RepositoryContract
from tests.port_suites.vault import PaymentMethodVaultContract
from tests.support.memory_tables import MemoryTableStore


@pytest.fixture
def factory() -> PortFactory:
    return TableStoreFactory(MemoryTableStore())


class TestMemoryRepository(RepositoryContract):
    pass


class TestMemoryRoomInventory(RoomInventoryContract):
    pass


class TestMemoryOutbox(OutboxContract):
    pass


class TestMemoryIdempotencyKeys(IdempotencyKeysContract):
    pass


class TestMemoryVault(PaymentMethodVaultContract):
    pass


class TestMemoryCatalog(CatalogContract):
    pass


class TestMemoryFrontdeskBoard(FrontdeskBoardContract):
    pass
