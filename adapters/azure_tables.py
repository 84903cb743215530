"""``TableStore`` on Azure Table storage (azure-data-tables), and the storage-call counter.

Each SDK call, and each page of a query, counts one storage round trip on the
``StorageTransactionCounter``, by kind and by the saga step making it (``make bench`` and
``GET /admin/devstack/storage-calls`` report them), and each entity a call returns counts one row
read.

Azurite ignores If-Match on batch updates (Azurite #1233), so the adapters never rely on it
alone: every save also creates a version-guard row (adapters/rows.py).

The app's table clients encode and decode transactions with adapters/table_batch.py (the same
bytes as azure-core, without its thread pools and the ``email`` package).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final, Literal, get_args

from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import TableClient, TableServiceClient, TableTransactionError, UpdateMode

from adapters.accounting import current_step
from adapters.limits import check_transaction_size
from adapters.table_batch import fast_batches
from adapters.table_store import Operation, RowQuery, StoredRow
from domain.errors import ConcurrencyError

_CONFLICT_CODES: Final = frozenset(
    {
        "EntityAlreadyExists",
        "UpdateConditionNotSatisfied",
        "ResourceNotFound",
        "EntityNotFound",
        "ConditionNotMet",
    }
)
_CONFLICT_STATUSES: Final = frozenset({404, 409, 412})


StorageCallKind = Literal[
    "transaction", "read", "query", "insert", "upsert", "update", "delete", "create-table"
]
STORAGE_CALL_KINDS: Final[tuple[StorageCallKind, ...]] = get_args(StorageCallKind)


class StorageTransactionCounter:
    """Counts storage round trips by saga step and kind, and the entities they returned.

    A round trip is one SDK call: an entity-group ``transaction``, a point ``read``, one page of
    a ``query``, an ``insert``, ``upsert``, ``update`` (merge) or ``delete`` of one entity, a
    ``create-table``. The step is the function being invoked (``adapters.accounting``), ``""``
    outside any. Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, dict[str, int]] = {}
        self._rows = 0

    def add(self, kind: StorageCallKind, n: int = 1) -> None:
        step = current_step()
        with self._lock:
            kinds = self._calls.setdefault(step, {})
            kinds[kind] = kinds.get(kind, 0) + n

    def add_rows(self, n: int) -> None:
        with self._lock:
            self._rows += n

    def snapshot(self) -> dict[str, dict[str, int]]:
        """step -> kind -> calls, a copy."""
        with self._lock:
            return {step: dict(kinds) for step, kinds in self._calls.items()}

    @property
    def count(self) -> int:
        """Every call of every step."""
        with self._lock:
            return sum(sum(kinds.values()) for kinds in self._calls.values())

    @property
    def rows_read(self) -> int:
        with self._lock:
            return self._rows

    def reset(self) -> int:
        """Forget the calls counted so far; returns how many there were."""
        with self._lock:
            count = sum(sum(kinds.values()) for kinds in self._calls.values())
            self._calls = {}
            return count


def _is_conflict(error: HttpResponseError) -> bool:
    error_code = getattr(error, "error_code", None)
    code = str(error_code) if error_code is not None else ""
    if code in ("TableNotFound", "TableBeingDeleted"):
        return False  # misconfiguration, not a race: retrying would never succeed
    return code in _CONFLICT_CODES or error.status_code in _CONFLICT_STATUSES


def odata_filter(query: RowQuery) -> tuple[str, dict[str, Any]]:
    """The OData filter and parameters of a ``RowQuery``."""
    clauses: list[str] = []
    parameters: dict[str, Any] = {}
    for name, value, clause in (
        ("pk", query.partition_key, "PartitionKey eq @pk"),
        ("rk", query.row_key, "RowKey eq @rk"),
        ("lo", query.row_key_from, "RowKey ge @lo"),
        ("after", query.row_key_after, "RowKey gt @after"),
        ("hi", query.row_key_before, "RowKey lt @hi"),
        ("through", query.row_key_through, "RowKey le @through"),
    ):
        if value is not None:
            clauses.append(clause)
            parameters[name] = value
    return " and ".join(clauses), parameters


def _row(entity: Any) -> StoredRow:
    etag = entity.metadata.get("etag", "") if hasattr(entity, "metadata") else ""
    return StoredRow(dict(entity), str(etag or ""))


class AzureTableStore:
    """``TableStore`` on one storage account's Table service."""

    def __init__(self, service: TableServiceClient, *, counter: StorageTransactionCounter) -> None:
        self._service = service
        self.counter = counter
        # One client per table, built on first use: they share the service's pipeline, and
        # building one per call would be wasted work on every storage round trip.
        self._clients: dict[str, TableClient] = {}

    def client(self, table: str) -> TableClient:
        client = self._clients.get(table)
        if client is None:  # a race builds two equivalent clients; either will do
            built = fast_batches(self._service.get_table_client(table))
            client = self._clients.setdefault(table, built)
        return client

    def get(
        self, table: str, partition_key: str, row_key: str, *, select: Sequence[str] | None = None
    ) -> StoredRow | None:
        self.counter.add("read")
        client = self.client(table)
        try:
            entity = client.get_entity(
                partition_key, row_key, select=list(select) if select else None
            )
        except ResourceNotFoundError:
            return None
        self.counter.add_rows(1)
        return _row(entity)

    def query(self, table: str, query: RowQuery) -> Iterator[StoredRow]:
        client = self.client(table)
        query_filter, parameters = odata_filter(query)
        pages = client.query_entities(
            query_filter,
            parameters=parameters,
            select=list(query.select) if query.select else None,
            results_per_page=query.page_size,
        ).by_page()
        for page in pages:  # each page is one request; the end of paging is not
            self.counter.add("query")
            rows = [_row(entity) for entity in page]
            self.counter.add_rows(len(rows))
            yield from rows

    def submit(self, table: str, operations: Sequence[Operation]) -> list[str]:
        check_transaction_size(len(operations))
        batch: list[Any] = []
        for operation in operations:
            entity = dict(operation.entity)
            if operation.kind == "create":
                batch.append(("create", entity))
            elif operation.kind == "delete":
                batch.append(("delete", entity))
            elif operation.etag is None:
                batch.append(("update", entity, {"mode": UpdateMode.REPLACE}))
            else:
                options = {
                    "mode": UpdateMode.REPLACE,
                    "etag": operation.etag,
                    "match_condition": MatchConditions.IfNotModified,
                }
                batch.append(("update", entity, options))
        self.counter.add("transaction")
        client = self.client(table)
        try:
            results = client.submit_transaction(batch)
        except (TableTransactionError, ResourceExistsError, ResourceModifiedError) as exc:
            if _is_conflict(exc):
                raise ConcurrencyError(f"{table}: {exc.message}") from exc
            raise
        except ResourceNotFoundError as exc:
            raise ConcurrencyError(f"{table}: {exc.message}") from exc
        return [str(result.get("etag", "")) for result in results]

    def insert(self, table: str, entity: Mapping[str, Any]) -> bool:
        self.counter.add("insert")
        try:
            self.client(table).create_entity(dict(entity))
        except ResourceExistsError:
            return False
        return True

    def upsert(self, table: str, entity: Mapping[str, Any]) -> None:
        self.counter.add("upsert")
        client = self.client(table)
        client.upsert_entity(dict(entity), mode=UpdateMode.REPLACE)

    def merge(self, table: str, entity: Mapping[str, Any]) -> bool:
        self.counter.add("update")
        try:
            client = self.client(table)
            client.update_entity(dict(entity), mode=UpdateMode.MERGE)
        except ResourceNotFoundError:
            return False
        return True

    def delete(self, table: str, partition_key: str, row_key: str) -> None:
        self.counter.add("delete")
        with contextlib.suppress(ResourceNotFoundError):
            self.client(table).delete_entity(partition_key, row_key)
