"""The Azure Table adapters pass the port suites, on a real Azurite (one per session)."""

from __future__ import annotations

import concurrent.futures
import json
from collections.abc import Iterator
from typing import Any

import pytest
from azure.data.tables import TableServiceClient

from adapters.azure_tables import AzureTableStore, StorageTransactionCounter
from adapters.bootstrap import CONTEXT_TABLES, build_ports, seed_catalog
from adapters.settings import Settings
from adapters.storage_names import CATALOG_TABLE
from adapters.table_catalog import TableCatalog
from domain.catalog import DEMO_CATALOG
from domain.frontdesk import FrontdeskStay
from tests.port_suites import PortFactory
from tests.port_suites.catalog import CatalogContract
from tests.port_suites.factory import TableStoreFactory
from tests.port_suites.frontdesk import CHECK_IN, FrontdeskBoardContract, facts
from tests.port_suites.inventory import RoomInventoryContract
from tests.port_suites.outbox import IdempotencyKeysContract, OutboxContract
from tests.port_suites.repository import RepositoryContract
from tests.port_suites.support import Tally, unique
from tests.port_suites.vault import PaymentMethodVaultContract

pytestmark = pytest.mark.integration


def table_factory(
    service: TableServiceClient, counter: StorageTransactionCounter
) -> TableStoreFactory:
    return TableStoreFactory(AzureTableStore(service, counter=counter))


@pytest.fixture(scope="session")
def table_service(storage_connection_string: str) -> Iterator[TableServiceClient]:
    with TableServiceClient.from_connection_string(storage_connection_string) as service:
        yield service


@pytest.fixture
def factory(table_service: TableServiceClient) -> PortFactory:
    return table_factory(table_service, StorageTransactionCounter())


class TestTableRepository(RepositoryContract):
    pass


class TestTableRoomInventory(RoomInventoryContract):
    pass


class TestTableOutbox(OutboxContract):
    pass


class TestTableIdempotencyKeys(IdempotencyKeysContract):
    pass


class TestTableVault(PaymentMethodVaultContract):
    pass


class TestTableCatalog(CatalogContract):
    pass


class TestTableFrontdeskBoard(FrontdeskBoardContract):
    pass


def test_a_save_is_one_storage_transaction(table_service: TableServiceClient) -> None:
    counter = StorageTransactionCounter()
    repo = table_factory(table_service, counter).repository(Tally, "reservations")
    key = unique("r")
    tally = Tally(reservation_id=key)
    tally.bump()
    tally.bump()
    repo.save(key, tally, marker=unique("evt"))
    assert counter.count == 1
    repo.get(key)
    assert counter.reset() == 2


def test_the_catalog_is_read_once_then_cached(
    storage_connection_string: str, table_service: TableServiceClient
) -> None:
    seed_catalog(storage_connection_string)
    seed_catalog(storage_connection_string)
    counter = StorageTransactionCounter()
    catalog = TableCatalog(AzureTableStore(table_service, counter=counter), CATALOG_TABLE)
    for hotel in DEMO_CATALOG:
        assert catalog.get(hotel.hotel_id) == hotel
    catalog.hotels()
    assert counter.count == 1


def test_outbox_rows_are_stored_as_documented(table_service: TableServiceClient) -> None:
    repo = table_factory(table_service, StorageTransactionCounter()).repository(Tally, "billing")
    key = unique("r")
    tally = Tally(reservation_id=key)
    tally.bump()
    (entry,) = repo.save(key, tally, marker="evt-1")
    table = table_service.get_table_client(CONTEXT_TABLES["billing"])
    rows = {
        e["RowKey"]: e for e in table.query_entities("PartitionKey eq @pk", parameters={"pk": key})
    }
    assert set(rows) == {"state", f"evt|{key}|000001|00", "seen|evt-1", "ver|state|000001"}
    assert entry.row_key == f"evt|{key}|000001|00"
    outbox_row = rows[entry.row_key]
    assert outbox_row["Context"] == "billing"
    assert "Published" not in outbox_row  # the relay reads the pending index, never this
    assert json.loads(rows["seen|evt-1"]["Events"]) == [entry.cloudevent]
    assert rows["seen|evt-1"]["Republished"] is False
    assert rows["state"]["Version"] == 1


def test_a_frontdesk_change_is_one_read_and_one_transaction_and_a_day_one_query(
    table_service: TableServiceClient,
) -> None:
    counter = StorageTransactionCounter()
    board = table_factory(table_service, counter).frontdesk()
    hotel, rid = unique("h"), unique("r")
    stay = FrontdeskStay(reservation_id=rid, hotel_id=hotel)
    stay.apply(facts(stay, "Confirmed"))
    board.save(stay)
    assert counter.reset() == 1
    loaded = board.get(hotel, rid)
    assert loaded is not None
    loaded.apply(facts(stay, "CheckedIn"))
    board.save(loaded)
    assert counter.reset() == 2
    assert len(board.day(hotel, CHECK_IN)["inHouse"]) == 1
    assert counter.reset() == 1
    table = table_service.get_table_client(CONTEXT_TABLES["frontdesk"])
    rows = {
        e["RowKey"] for e in table.query_entities("PartitionKey eq @pk", parameters={"pk": hotel})
    }
    assert rows == {
        f"stay|{rid}",
        f"ver|{rid}|000002",
        f"day|2031-05-01|inHouse|{rid}",
        f"day|2031-05-02|inHouse|{rid}",
        f"day|2031-05-03|inHouse|{rid}",
        f"day|2031-05-04|departure|{rid}",
    }


def test_build_ports_wires_every_port_on_azurite(storage_connection_string: str) -> None:
    settings = Settings.load(
        {
            "AzureWebJobsStorage": storage_connection_string,
            "EVENTGRID_TOPIC_ENDPOINT": "http://127.0.0.1:9/api/events",
            "EVENTGRID_TOPIC_KEY": "unused",
        }
    )
    counter = StorageTransactionCounter()
    seed_catalog(storage_connection_string)
    ports = build_ports(settings, counter=counter)
    assert ports.reservations.get(unique("r")) is None
    assert ports.catalog.get("grand-lisbon") == DEMO_CATALOG[0]
    # an unknown token: one read where tokens are, one where they were before
    assert ports.vault.resolve(ports.vault.reference(unique("r"))) is None
    assert counter.count == 4


def test_a_transaction_prepares_its_parts_without_thread_pools(
    table_service: TableServiceClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """azure-core prepares a batch's parts in a new thread pool per multipart request (the batch
    and its changeset) and parses the answer's parts in a third; the store's clients do both in
    turn (adapters/table_batch.py)."""
    pools: list[object] = []

    class CountingPool(concurrent.futures.ThreadPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pools.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ThreadPoolExecutor", CountingPool)
    store = AzureTableStore(table_service, counter=StorageTransactionCounter())
    repo = TableStoreFactory(store).repository(Tally, "reservations")
    key = unique("r")
    tally = Tally(reservation_id=key)
    tally.bump()
    repo.save(key, tally, marker=unique("evt"))  # state, guard, outbox row, marker
    assert repo.get(key) is not None
    assert pools == []
    table = table_service.get_table_client(CONTEXT_TABLES["reservations"])
    table.submit_transaction([("create", {"PartitionKey": unique("p"), "RowKey": "r"})])
    assert len(pools) == 3  # the SDK's own client: batch, changeset, answer
