"""``TableStore`` in memory, with Azure Table storage's rules (for unit tests only).

The same adapters (adapters/tables.py) run on it as on Azure, so it must refuse what Azure
refuses, or a bug hides behind it: keys with forbidden characters, string properties over
64 KiB, entities over 1 MiB, transactions of over 100 operations, across partitions or touching
a row twice; and it must treat as conflicts what Azure does (create of an existing row, replace
with a stale etag, delete of a missing row), applying a transaction all or nothing.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from adapters.layout import checked_key
from adapters.limits import check_transaction_size, string_property
from adapters.table_store import Operation, RowQuery, StoredRow
from domain.errors import ConcurrencyError

MAX_ENTITY_BYTES: Final = 1024 * 1024

Key = tuple[str, str]


def _new_etag() -> str:
    return f'W/"{uuid.uuid4().hex}"'


def _checked_entity(entity: Mapping[str, Any]) -> dict[str, Any]:
    checked_key(str(entity["PartitionKey"]), "PartitionKey")
    checked_key(str(entity["RowKey"]), "RowKey")
    size = 0
    for name, value in entity.items():
        if isinstance(value, str):
            string_property(value, name)
            size += len(value.encode("utf-16-le"))
        else:
            size += 8
    if size > MAX_ENTITY_BYTES:
        raise ValueError("an entity is over the 1 MiB limit")
    return dict(entity)


def _key(entity: Mapping[str, Any]) -> Key:
    return (str(entity["PartitionKey"]), str(entity["RowKey"]))


def _projected(entity: dict[str, Any], etag: str, select: Sequence[str] | None) -> StoredRow:
    if select:
        wanted = {"PartitionKey", "RowKey", *select}
        entity = {name: value for name, value in entity.items() if name in wanted}
    return StoredRow(dict(entity), etag)


class MemoryTableStore:
    """Tables of rows in dictionaries; thread-safe (one lock), transactions atomic."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: dict[str, dict[Key, tuple[dict[str, Any], str]]] = {}

    def _rows(self, table: str) -> dict[Key, tuple[dict[str, Any], str]]:
        return self._tables.setdefault(table, {})

    def get(
        self, table: str, partition_key: str, row_key: str, *, select: Sequence[str] | None = None
    ) -> StoredRow | None:
        with self._lock:
            found = self._rows(table).get((partition_key, row_key))
        return None if found is None else _projected(found[0], found[1], select)

    def query(self, table: str, query: RowQuery) -> Iterator[StoredRow]:
        with self._lock:
            rows = sorted(self._rows(table).items())
        for (partition_key, row_key), (entity, etag) in rows:
            if query.matches(partition_key, row_key):
                yield _projected(entity, etag, query.select)

    def submit(self, table: str, operations: Sequence[Operation]) -> list[str]:
        check_transaction_size(len(operations))
        keys = [_key(operation.entity) for operation in operations]
        if len({partition for partition, _ in keys}) > 1:
            raise ValueError("a transaction must stay in one partition")
        if len(set(keys)) != len(keys):
            raise ValueError("a transaction cannot touch a row twice")
        entities = [
            dict(op.entity) if op.kind == "delete" else _checked_entity(op.entity)
            for op in operations
        ]
        with self._lock:
            rows = self._rows(table)
            for operation, key in zip(operations, keys, strict=True):
                current = rows.get(key)
                if operation.kind == "create" and current is not None:
                    raise ConcurrencyError(f"{table} {key}: the entity already exists")
                if operation.kind == "delete" and current is None:
                    raise ConcurrencyError(f"{table} {key}: the entity does not exist")
                stale = current is None or current[1] != operation.etag
                if operation.kind == "replace" and operation.etag is not None and stale:
                    raise ConcurrencyError(f"{table} {key}: the etag does not match")
            etags: list[str] = []
            for operation, key, entity in zip(operations, keys, entities, strict=True):
                if operation.kind == "delete":
                    del rows[key]
                    etags.append("")
                else:
                    etag = _new_etag()
                    rows[key] = (entity, etag)
                    etags.append(etag)
            return etags

    def insert(self, table: str, entity: Mapping[str, Any]) -> bool:
        checked = _checked_entity(entity)
        with self._lock:
            rows = self._rows(table)
            if _key(checked) in rows:
                return False
            rows[_key(checked)] = (checked, _new_etag())
            return True

    def upsert(self, table: str, entity: Mapping[str, Any]) -> None:
        checked = _checked_entity(entity)
        with self._lock:
            self._rows(table)[_key(checked)] = (checked, _new_etag())

    def merge(self, table: str, entity: Mapping[str, Any]) -> bool:
        checked = _checked_entity(entity)
        with self._lock:
            rows = self._rows(table)
            current = rows.get(_key(checked))
            if current is None:
                return False
            rows[_key(checked)] = (_checked_entity({**current[0], **checked}), _new_etag())
            return True

    def delete(self, table: str, partition_key: str, row_key: str) -> None:
        with self._lock:
            self._rows(table).pop((partition_key, row_key), None)
