"""The in-memory fakes pass the same port suites as the Table adapters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import pytest

from adapters.memory import (
    InMemoryCatalog,
    InMemoryIdempotencyKeys,
    InMemoryOutbox,
    InMemoryPaymentMethodVault,
    InMemoryRepository,
    InMemoryRoomInventory,
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

A = TypeVar("A", bound=Aggregate)


class MemoryFactory:
    def __init__(self) -> None:
        self._outbox = InMemoryOutbox()
        self._repositories: dict[str, object] = {}
        self._inventory = InMemoryRoomInventory(outbox=self._outbox)
        self._vault = InMemoryPaymentMethodVault()
        self._idempotency = InMemoryIdempotencyKeys()

    def repository(self, aggregate_type: type[A], context: str) -> Repository[A]:
        # One store per context, as the app has (repositories share the outbox).
        existing = self._repositories.get(context)
        if isinstance(existing, InMemoryRepository) and existing.aggregate_type is aggregate_type:
            return existing
        repo = InMemoryRepository(aggregate_type, context=context, outbox=self._outbox)
        self._repositories[context] = repo
        return repo

    def inventory(self) -> RoomInventory:
        return self._inventory

    def outbox(self) -> Outbox:
        return self._outbox

    def vault(self) -> PaymentMethodVault:
        return self._vault

    def idempotency(self) -> IdempotencyKeys:
        return self._idempotency

    def seeded_catalog(self, hotels: Sequence[Hotel]) -> Catalog:
        return InMemoryCatalog(hotels)


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
