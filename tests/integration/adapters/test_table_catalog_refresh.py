"""The table catalog on a real Azurite picks up a catalog seeded after a worker first read it.

Each test has its own Catalog table, so "before the seed" really is an empty table.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from azure.data.tables import TableServiceClient

from adapters.azure_tables import AzureTableStore, StorageTransactionCounter
from adapters.table_catalog import TableCatalog
from domain.catalog import Hotel, RoomType

pytestmark = pytest.mark.integration


def a_hotel(hotel_id: str) -> Hotel:
    std = RoomType("STD", 2, Decimal("99.50"), ("101", "102"))
    return Hotel(hotel_id, "Late Hotel", "EUR", {"STD": std})


@dataclass(frozen=True)
class Table:
    service: TableServiceClient
    name: str

    def catalog(self, counter: StorageTransactionCounter, **options: Any) -> TableCatalog:
        return TableCatalog(AzureTableStore(self.service, counter=counter), self.name, **options)


@pytest.fixture
def table(storage_connection_string: str) -> Iterator[Table]:
    with TableServiceClient.from_connection_string(storage_connection_string) as service:
        name = f"catalog{uuid.uuid4().hex[:12]}"
        service.create_table(name)
        yield Table(service, name)
        service.delete_table(name)


def seed(table: Table, *hotels: Hotel) -> None:
    """As the seed script does: through its own catalog instance (another process)."""
    table.catalog(StorageTransactionCounter()).seed_catalog(hotels)


def test_a_read_before_the_seed_is_not_kept(table: Table) -> None:
    counter = StorageTransactionCounter()
    worker = table.catalog(counter)
    assert worker.get("late-hotel") is None
    assert worker.hotels() == []

    seed(table, a_hotel("late-hotel"))

    assert worker.get("late-hotel") == a_hotel("late-hotel")
    reads = counter.count
    assert worker.get("late-hotel") == a_hotel("late-hotel")
    assert worker.hotels() == [a_hotel("late-hotel")]
    assert counter.count == reads  # cached once there is something to cache


def test_a_hotel_seeded_later_is_found_after_the_refresh_interval(table: Table) -> None:
    seed(table, a_hotel("first"))
    counter = StorageTransactionCounter()
    patient = table.catalog(counter)  # the default interval: 30 s
    eager = table.catalog(StorageTransactionCounter(), refresh_after=timedelta(0))
    assert patient.get("first") == a_hotel("first")
    assert eager.get("first") == a_hotel("first")

    seed(table, a_hotel("second"))

    reads = counter.count
    for _ in range(3):  # unknown-hotel lookups within the interval do not re-read
        assert patient.get("second") is None
    assert counter.count == reads
    assert eager.get("second") == a_hotel("second")  # the interval has passed: re-read
    assert eager.get("first") == a_hotel("first")
