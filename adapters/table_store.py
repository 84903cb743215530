"""What the storage adapters need from a table service: rows in partitions, and one atomic write
per partition. Azure Table storage implements it (adapters/azure_tables.py); the unit tests' fake
implements it on dictionaries with the same rules (tests/support/memory_tables.py), so the
adapters of the ports (adapters/tables.py) are written once and tested on both.

The rules both keep: a row is identified by (PartitionKey, RowKey); a transaction holds at most
100 operations on distinct rows of ONE partition and applies all or nothing; ``create`` of an
existing row, ``replace`` with a stale etag and ``delete`` of a missing row are conflicts, which
abort the transaction with ConcurrencyError. Queries return rows in (PartitionKey, RowKey) order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

OperationKind = Literal["create", "replace", "delete"]


@dataclass(frozen=True)
class Operation:
    """One write of a transaction. ``replace`` with an ``etag`` is conditional (If-Match)."""

    kind: OperationKind
    entity: Mapping[str, Any]  # PartitionKey, RowKey and, except for delete, the properties
    etag: str | None = None


@dataclass(frozen=True)
class StoredRow:
    """A row as read: its properties (with PartitionKey and RowKey) and its etag."""

    entity: Mapping[str, Any]
    etag: str = ""

    def __getitem__(self, name: str) -> Any:
        return self.entity[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.entity.get(name, default)


@dataclass(frozen=True)
class RowQuery:
    """Rows of one table: of one partition (or all), with a RowKey in a range, or equal to one.

    ``row_key_from`` and ``row_key_through`` are inclusive, ``row_key_after`` and
    ``row_key_before`` exclusive.
    """

    partition_key: str | None = None
    row_key: str | None = None
    row_key_from: str | None = None
    row_key_after: str | None = None
    row_key_before: str | None = None
    row_key_through: str | None = None
    select: Sequence[str] | None = None
    page_size: int | None = None

    def matches(self, partition_key: str, row_key: str) -> bool:
        """The filter, as a predicate (for stores that scan rather than query)."""
        return (
            (self.partition_key is None or partition_key == self.partition_key)
            and (self.row_key is None or row_key == self.row_key)
            and (self.row_key_from is None or row_key >= self.row_key_from)
            and (self.row_key_after is None or row_key > self.row_key_after)
            and (self.row_key_before is None or row_key < self.row_key_before)
            and (self.row_key_through is None or row_key <= self.row_key_through)
        )


class TableStore(Protocol):
    def get(
        self, table: str, partition_key: str, row_key: str, *, select: Sequence[str] | None = None
    ) -> StoredRow | None: ...

    def query(self, table: str, query: RowQuery) -> Iterator[StoredRow]:
        """Matching rows in key order, fetched lazily page by page."""
        ...

    def submit(self, table: str, operations: Sequence[Operation]) -> list[str]:
        """Apply every operation atomically (one partition); the new etag of each.

        Raises ConcurrencyError on a conflict (nothing applied) and ValueError for a batch that
        breaks the rules (over 100 operations, two partitions, a row twice).
        """
        ...

    def insert(self, table: str, entity: Mapping[str, Any]) -> bool:
        """Create one row; False (and nothing written) if it exists."""
        ...

    def upsert(self, table: str, entity: Mapping[str, Any]) -> None:
        """Create or replace one row."""
        ...

    def merge(self, table: str, entity: Mapping[str, Any]) -> bool:
        """Merge properties into one row; False if it does not exist."""
        ...

    def delete(self, table: str, partition_key: str, row_key: str) -> None:
        """Delete one row if it exists."""
        ...
