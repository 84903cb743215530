"""What a port suite needs from the adapters under test."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from adapters.bootstrap import CONTEXT_TABLES, table_repository, table_vault
from adapters.frontdesk import TableFrontdeskBoard
from adapters.storage_names import (
    CATALOG_TABLE,
    FRONTDESK_TABLE,
    RESERVATIONS_TABLE,
    ROOMS_TABLE,
)
from adapters.table_catalog import TableCatalog
from adapters.table_secrets import TableIdempotencyKeys
from adapters.table_store import TableStore
from adapters.tables import (
    TableOutbox,
    TableRoomInventory,
)
from domain.aggregate import Aggregate
from domain.catalog import Hotel
from handlers.ports import (
    Catalog,
    FrontdeskBoard,
    IdempotencyKeys,
    Outbox,
    PaymentMethodVault,
    Repository,
    RoomInventory,
)

A = TypeVar("A", bound=Aggregate)


class PortFactory(Protocol):
    """Adapters sharing one store: what one writes, the outbox of the same factory reads."""

    def repository(self, aggregate_type: type[A], context: str) -> Repository[A]:
        """A repository of ``context`` (reservations, billing, loyalty)."""
        ...

    def inventory(self) -> RoomInventory: ...

    def outbox(self) -> Outbox: ...

    def frontdesk(self) -> FrontdeskBoard: ...

    def vault(self) -> PaymentMethodVault: ...

    def idempotency(self) -> IdempotencyKeys: ...

    def seeded_catalog(self, hotels: Sequence[Hotel]) -> Catalog:
        """Seed ``hotels`` (idempotently) and return a fresh catalog reader."""
        ...


class TableStoreFactory:
    """The storage adapters (adapters/tables.py) on one ``TableStore``: the in-memory one in the
    unit tests, Azure's on Azurite in the integration tests."""

    def __init__(self, store: TableStore) -> None:
        self.store = store

    def repository(self, aggregate_type: type[A], context: str) -> Repository[A]:
        return table_repository(self.store, aggregate_type, context)

    def inventory(self) -> RoomInventory:
        return TableRoomInventory(self.store, ROOMS_TABLE)

    def outbox(self) -> Outbox:
        return TableOutbox(self.store, CONTEXT_TABLES)

    def frontdesk(self) -> FrontdeskBoard:
        return TableFrontdeskBoard(self.store, FRONTDESK_TABLE)

    def vault(self) -> PaymentMethodVault:
        return table_vault(self.store)

    def idempotency(self) -> IdempotencyKeys:
        return TableIdempotencyKeys(self.store, RESERVATIONS_TABLE)

    def seeded_catalog(self, hotels: Sequence[Hotel]) -> Catalog:
        TableCatalog(self.store, CATALOG_TABLE).seed_catalog(hotels)
        return TableCatalog(self.store, CATALOG_TABLE)
