"""``TableStore`` on Azure Table storage (azure-data-tables), and the storage-call counter.

Each SDK call, and each page of a query, counts one storage round trip on the
``StorageTransactionCounter`` (``make bench`` reports them per booking), and each entity a call
returns counts one row read.

Azurite ignores If-Match on batch updates (Azurite #1233), so the adapters never rely on it
alone: every save also creates a version-guard row (adapters/rows.py).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import TableClient, TableServiceClient, TableTransactionError, UpdateMode

from adapters.limits import check_transaction_size
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


class StorageTransactionCounter:
    """Counts storage round trips (one per SDK call, one per page of a query) and the entities
    those calls returned. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._rows = 0

    def add(self, n: int = 1) -> None:
        with self._lock:
            self._count += n

    def add_rows(self, n: int) -> None:
        with self._lock:
            self._rows += n

    @property
    def count(self) -> int:
        with self._lock:
            return self._count

    @property
    def rows_read(self) -> int:
        with self._lock:
            return self._rows

    def snapshot(self) -> dict[str, dict[str, int]]:
        """Calls by saga step and kind; this counter tells neither apart (step "", kind "call")."""
        with self._lock:
            return {"": {"call": self._count}} if self._count else {}

    def reset(self) -> int:
        """Zero the call count; returns the count it had."""
        with self._lock:
            count, self._count = self._count, 0
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

    def _client(self, table: str) -> TableClient:
        client = self._clients.get(table)
        if client is None:  # a race builds two equivalent clients; either will do
            client = self._clients.setdefault(table, self._service.get_table_client(table))
        return client

    def get(
        self, table: str, partition_key: str, row_key: str, *, select: Sequence[str] | None = None
    ) -> StoredRow | None:
        self.counter.add()
        client = self._client(table)
        try:
            entity = client.get_entity(
                partition_key, row_key, select=list(select) if select else None
            )
        except ResourceNotFoundError:
            return None
        self.counter.add_rows(1)
        return _row(entity)

    def query(self, table: str, query: RowQuery) -> Iterator[StoredRow]:
        client = self._client(table)
        query_filter, parameters = odata_filter(query)
        pages = client.query_entities(
            query_filter,
            parameters=parameters,
            select=list(query.select) if query.select else None,
            results_per_page=query.page_size,
        ).by_page()
        for page in pages:  # each page is one request; the end of paging is not
            self.counter.add()
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
        self.counter.add()
        client = self._client(table)
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
        self.counter.add()
        try:
            self._client(table).create_entity(dict(entity))
        except ResourceExistsError:
            return False
        return True

    def upsert(self, table: str, entity: Mapping[str, Any]) -> None:
        self.counter.add()
        client = self._client(table)
        client.upsert_entity(dict(entity), mode=UpdateMode.REPLACE)

    def merge(self, table: str, entity: Mapping[str, Any]) -> bool:
        self.counter.add()
        try:
            client = self._client(table)
            client.update_entity(dict(entity), mode=UpdateMode.MERGE)
        except ResourceNotFoundError:
            return False
        return True

    def delete(self, table: str, partition_key: str, row_key: str) -> None:
        self.counter.add()
        with contextlib.suppress(ResourceNotFoundError):
            self._client(table).delete_entity(partition_key, row_key)
