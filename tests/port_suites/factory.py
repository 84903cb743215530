"""What a port suite needs from the adapters under test."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

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

A = TypeVar("A", bound=Aggregate)


class PortFactory(Protocol):
    """Adapters sharing one store: what one writes, the outbox of the same factory reads."""

    def repository(self, aggregate_type: type[A], context: str) -> Repository[A]:
        """A repository of ``context`` (reservations, billing, loyalty)."""
        ...

    def inventory(self) -> RoomInventory: ...

    def outbox(self) -> Outbox: ...

    def vault(self) -> PaymentMethodVault: ...

    def idempotency(self) -> IdempotencyKeys: ...

    def seeded_catalog(self, hotels: Sequence[Hotel]) -> Catalog:
        """Seed ``hotels`` (idempotently) and return a fresh catalog reader."""
        ...
