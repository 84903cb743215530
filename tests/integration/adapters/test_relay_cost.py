"""The relay's cost follows what is pending, never the history (on a real Azurite)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from azure.data.tables import TableServiceClient

from adapters.azure_tables import AzureTableStore, StorageTransactionCounter
from adapters.cloudevents import to_cloudevent
from adapters.layout import outbox_row_key
from adapters.tables import TableOutbox, TableRepository
from handlers.outbox import SETTLE_AFTER, relay_outbox
from tests.port_suites.support import Tally, unique
from tests.support.memory_ports import InMemoryPublisher, build_memory_ports

pytestmark = pytest.mark.integration

SETTLED = 10_000
PENDING = 3


@pytest.fixture
def reservations_table(
    storage_connection_string: str,
) -> Iterator[tuple[TableServiceClient, str]]:
    name = "Relay" + unique("t").replace("-", "")[:20]
    with TableServiceClient.from_connection_string(storage_connection_string) as service:
        service.create_table(name)
        yield service, name
        service.delete_table(name)


def test_a_relay_tick_reads_only_the_pending_rows_whatever_the_history(
    reservations_table: tuple[TableServiceClient, str],
) -> None:
    setup_counter = StorageTransactionCounter()
    service, table = reservations_table
    setup_store = AzureTableStore(service, counter=setup_counter)
    repo = TableRepository(setup_store, table, Tally, context="reservations")
    client = service.get_table_client(table)

    # The history: each settled reservation's state and its two published events, as a save
    # writes them. The relay must not care how much of it there is, nor how it is partitioned,
    # so the rows are written 100 to a transaction (50 reservations share a partition) to keep
    # this test fast; one partition per reservation would only make seeding slower.
    def settled_batch(first: int) -> None:
        partition = f"history-{first:05d}"
        operations: list[tuple[str, dict[str, object]]] = []
        for index in range(first, first + 50):
            key = f"settled-{index:05d}"
            tally = Tally(reservation_id=key)
            tally.bump()
            tally.bump()
            state = tally.model_copy(update={"version": 1}).model_dump_json()
            operations.append(
                ("create", {"PartitionKey": partition, "RowKey": key, "State": state})
            )
            for number, event in enumerate(tally.pending_events):
                cloudevent = json.dumps(to_cloudevent(event, context="reservations"))
                operations.append(
                    (
                        "create",
                        {
                            "PartitionKey": partition,
                            "RowKey": outbox_row_key(key, 1, number),
                            "CloudEvent": cloudevent,
                            "Context": "reservations",
                            "OccurredAt": event.occurred_at,
                        },
                    )
                )
        client.submit_transaction(operations[:100])
        if operations[100:]:
            client.submit_transaction(operations[100:])

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(settled_batch, range(0, SETTLED, 50)))
    stored = sum(1 for _ in client.query_entities("", select=["RowKey"]))
    assert stored == SETTLED * 3

    now = datetime.now(UTC)
    outbox = TableOutbox(setup_store, {"reservations": table}, clock=lambda: now)
    pending_ids = []
    for _ in range(PENDING):  # committed, but the process died before publishing
        key = unique("pending")
        outbox.intend(context="reservations", partition_key=key, reservation_id=key, version=1)
        tally = Tally(reservation_id=key)
        pending_ids.append(tally.bump())
        repo.save(key, tally)

    counter = StorageTransactionCounter()
    later = now + SETTLE_AFTER + timedelta(seconds=1)
    ports = dataclasses.replace(
        build_memory_ports(lambda: later),
        outbox=TableOutbox(
            AzureTableStore(service, counter=counter), {"reservations": table}, clock=lambda: later
        ),
        publisher=InMemoryPublisher(),
    )
    assert relay_outbox(ports) == PENDING
    assert isinstance(ports.publisher, InMemoryPublisher)
    assert sorted(ce["id"] for ce in ports.publisher.published) == sorted(pending_ids)
    # Read: the pending intents, and the one outbox row each of their commits wrote.
    assert counter.rows_read == PENDING + PENDING
    # Calls: one page of intents, then per intent one range query and one delete, then the
    # empty page that ends the tick.
    assert counter.count == 1 + PENDING * 2 + 1

    counter.reset()
    rows_before = counter.rows_read
    assert relay_outbox(ports) == 0  # nothing pending: one empty query
    assert (counter.count, counter.rows_read - rows_before) == (1, 0)
