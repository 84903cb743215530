"""The storage adapters pass the port suites on the in-memory table store, as they do on Azurite
(tests/integration/adapters/test_table_ports.py): one implementation, two stores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import pytest

from adapters.bootstrap import CONTEXT_TABLES
from adapters.storage_names import PAYMENT_METHODS_TABLE, RESERVATIONS_TABLE, ROOMS_TABLE
from adapters.tables import (
    TableIdempotencyKeys,
    TableOutbox,
    TablePaymentMethodVault,
    TableRepository,
    TableRoomInventory,
)
from domain.aggregate import Aggregate
from domain.catalog import Hotel
from handlers.ports import (
    Catalog,
    IdempotencyKeys,
    Outbox,
    PaymentMethodVault,
    Repository,
    RoomInventory,
)
from tests.port_suites import PortFactory
from tests.port_suites.catalog import CatalogContract
from tests.port_suites.inventory import RoomInventoryContract
from tests.port_suites.outbox import IdempotencyKeysContract, OutboxContract
from tests.port_suites.repository import RepositoryContract
from tests.port_suites.vault import PaymentMethodVaultContract
from tests.support.memory_ports import seeded_catalog
from tests.support.memory_tables import MemoryTableStore

A = TypeVar("A", bound=Aggregate)


class MemoryFactory:
    def __init__(self) -> None:
        self.store = MemoryTableStore()

    def repository(self, aggregate_type: type[A], context: str) -> Repository[A]:
        return TableRepository(self.store, CONTEXT_TABLES[context], aggregate_type, context=context)

    def inventory(self) -> RoomInventory:
        return TableRoomInventory(self.store, ROOMS_TABLE)

    def outbox(self) -> Outbox:
        return TableOutbox(self.store, CONTEXT_TABLES)

    def vault(self) -> PaymentMethodVault:
        return TablePaymentMethodVault(self.store, PAYMENT_METHODS_TABLE)

    def idempotency(self) -> IdempotencyKeys:
        return TableIdempotencyKeys(self.store, RESERVATIONS_TABLE)

    def seeded_catalog(self, hotels: Sequence[Hotel]) -> Catalog:
        return seeded_catalog(self.store, hotels)


@pytest.fixture
def factory() -> PortFactory:
    return MemoryFactory()


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
