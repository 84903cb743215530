"""Wiring: the Azure adapters of every port, built once per worker from ``Settings``.

One ``TableServiceClient`` and one ``BlobServiceClient`` (the table clients are derived from the
service client and share its connection pool); one Event Grid publisher client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from azure.core.credentials import TokenCredential
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient

from adapters.azure_tables import AzureTableStore, StorageTransactionCounter
from adapters.cloudevents import to_cloudevent
from adapters.connection import expand_connection_string
from adapters.deadletters import BlobDeadLetterStore
from adapters.eventgrid import EventGridPublisher
from adapters.frontdesk import TableFrontdeskBoard
from adapters.layout import BILLING, FRONTDESK, LOYALTY, RESERVATIONS, ROOMS
from adapters.metrics import DeadLetterMeters
from adapters.payments import SandboxPaymentGateway
from adapters.settings import AppSettingsError, Settings
from adapters.storage_names import (
    BILLING_TABLE,
    CATALOG_TABLE,
    FRONTDESK_TABLE,
    LOYALTY_TABLE,
    PAYMENT_METHODS_TABLE,
    RESERVATIONS_TABLE,
    ROOMS_TABLE,
)
from adapters.table_catalog import TableCatalog
from adapters.table_secrets import TableIdempotencyKeys, TablePaymentMethodVault
from adapters.table_store import TableStore
from adapters.tables import (
    TableOutbox,
    TableRepository,
    TableRoomInventory,
)
from adapters.transport import client_options
from domain.aggregate import Aggregate
from domain.billing import Folio
from domain.catalog import DEMO_CATALOG, Hotel
from domain.loyalty import LoyaltyAccount
from domain.reservation import Reservation
from handlers.ports import (
    DeadLetterMetrics,
    DeadLetterStore,
    EventPublisher,
    EventToCloudEvent,
    Ports,
)

A = TypeVar("A", bound=Aggregate)

__all__ = [
    "CONTEXT_TABLES",
    "StorageClients",
    "StorageTransactionCounter",
    "build_ports",
    "build_storage_clients",
    "build_table_ports",
    "seed_catalog",
    "table_repository",
    "table_vault",
]

# The table holding each context's aggregates and outbox rows (the front desk's read model
# records no events: its table has no outbox rows).
CONTEXT_TABLES: dict[str, str] = {
    RESERVATIONS: RESERVATIONS_TABLE,
    ROOMS: ROOMS_TABLE,
    BILLING: BILLING_TABLE,
    LOYALTY: LOYALTY_TABLE,
    FRONTDESK: FRONTDESK_TABLE,
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class StorageClients:
    tables: TableServiceClient
    blobs: BlobServiceClient


def build_storage_clients(
    settings: Settings, *, credential: TokenCredential | None = None
) -> StorageClients:
    """Connection string (local, or Azure with keys) or endpoints with a managed identity."""
    if settings.storage_connection_string is not None:
        conn = settings.storage_connection_string
        return StorageClients(
            tables=TableServiceClient.from_connection_string(conn, **client_options()),
            blobs=BlobServiceClient.from_connection_string(conn, **client_options()),
        )
    if credential is None:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    if settings.table_endpoint is None or settings.blob_endpoint is None:  # Settings forbids it
        raise AppSettingsError("STORAGE_TABLE_ENDPOINT and STORAGE_BLOB_ENDPOINT are required")
    return StorageClients(
        tables=TableServiceClient(
            str(settings.table_endpoint), credential=credential, **client_options()
        ),
        blobs=BlobServiceClient(
            str(settings.blob_endpoint), credential=credential, **client_options()
        ),
    )


# Storage calls of every port this process built without its own counter, by saga step and
# kind: the local host serves them at /admin/devstack/storage-calls, which `make bench` reads.
PROCESS_STORAGE_COUNTER = StorageTransactionCounter()


def build_ports(
    settings: Settings,
    *,
    counter: StorageTransactionCounter | None = None,
    clock: Callable[[], datetime] = _utc_now,
    clients: StorageClients | None = None,
) -> Ports:
    """Every port on Azure; pass a ``counter`` to count storage round trips (``make bench``)."""
    counter = counter or PROCESS_STORAGE_COUNTER
    storage = clients or build_storage_clients(settings)
    return build_table_ports(
        AzureTableStore(storage.tables, counter=counter),
        publisher=EventGridPublisher(
            str(settings.eventgrid_topic_endpoint), key=settings.eventgrid_topic_key
        ),
        clock=clock,
        dead_letters=BlobDeadLetterStore(storage.blobs),
        dead_letter_metrics=DeadLetterMeters(),
    )


def table_repository(
    store: TableStore,
    cls: type[A],
    context: str,
    to_cloudevent: EventToCloudEvent = to_cloudevent,
) -> TableRepository[A]:
    """The repository of one context; a guest's partition gathers a marker per stay, so Loyalty
    reads marker and state apart (``TableRepository``)."""
    return TableRepository(
        store,
        CONTEXT_TABLES[context],
        cls,
        context=context,
        to_cloudevent=to_cloudevent,
        few_markers=context != LOYALTY,
    )


def table_vault(store: TableStore) -> TablePaymentMethodVault:
    """Tokens in the reservations' partitions, and the ones written before in PaymentMethods."""
    return TablePaymentMethodVault(store, RESERVATIONS_TABLE, legacy_table=PAYMENT_METHODS_TABLE)


def build_table_ports(
    store: TableStore,
    *,
    publisher: EventPublisher,
    clock: Callable[[], datetime],
    dead_letters: DeadLetterStore | None = None,
    dead_letter_metrics: DeadLetterMetrics | None = None,
    to_cloudevent: EventToCloudEvent = to_cloudevent,
) -> Ports:
    """Every storage port on one ``TableStore``: Azure's, or the tests' in-memory one."""
    return Ports(
        reservations=table_repository(store, Reservation, RESERVATIONS, to_cloudevent),
        folios=table_repository(store, Folio, BILLING, to_cloudevent),
        loyalty=table_repository(store, LoyaltyAccount, LOYALTY, to_cloudevent),
        frontdesk=TableFrontdeskBoard(store, FRONTDESK_TABLE),
        inventory=TableRoomInventory(store, ROOMS_TABLE, to_cloudevent=to_cloudevent),
        outbox=TableOutbox(store, CONTEXT_TABLES, clock=clock),
        publisher=publisher,
        catalog=TableCatalog(store, CATALOG_TABLE),
        vault=table_vault(store),
        idempotency=TableIdempotencyKeys(store, RESERVATIONS_TABLE),
        gateway=SandboxPaymentGateway(),
        clock=clock,
        dead_letters=dead_letters,
        dead_letter_metrics=dead_letter_metrics,
    )


def seed_catalog(connection_string: str, hotels: Iterable[Hotel] = DEMO_CATALOG) -> None:
    """Upsert the (demo) catalog into the Catalog table; idempotent. Creates the table if new."""
    conn = expand_connection_string(connection_string)
    with TableServiceClient.from_connection_string(conn) as service:
        service.create_table_if_not_exists(CATALOG_TABLE)
        store = AzureTableStore(service, counter=StorageTransactionCounter())
        TableCatalog(store, CATALOG_TABLE).seed_catalog(hotels)
