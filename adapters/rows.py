"""The one writer of a save, and the readers of the rows it writes (layout: adapters/layout.py).

Every ``save`` is ONE transaction in one partition holding:

1. the aggregate's state: a create (new aggregate, etag None) or a replace with If-Match;
2. the version guard: create ``ver|{key}|{new version}`` and delete ``ver|{key}|{old version}``;
3. a create per recorded event (outbox row ``evt|{reservationId}|{new version}|{i}``);
4. a create for the processed marker ``seen|{marker}`` when given, holding a copy of the events;
5. (Rooms) creates for held room-nights, deletes for released ones;
6. (a new reservation) a create for its ``secret`` row, the card token.

If-Match alone would be enough in Azure. The guard rows make the version check independent of
it, because Azurite ignores If-Match on batch updates (Azurite #1233): two writers racing from
the same version both create the same guard row, so one transaction fails on insert wherever it
runs. The rows are plain data: any ``TableStore`` applies them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from adapters.layout import SECRET_ROW, checked_key, guard_row_key, outbox_row_key, seen_row_key
from adapters.limits import check_transaction_size, string_property
from adapters.table_store import Operation, StoredRow
from domain.aggregate import Aggregate
from handlers.ports import EventToCloudEvent, OutboxEntry, PendingPublish, ProcessedRecord

A = TypeVar("A", bound=Aggregate)


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def save_operations(
    *,
    context: str,
    partition_key: str,
    state_row_key: str,
    guard_key: str,
    aggregate: Aggregate,
    marker: str | None,
    to_cloudevent: EventToCloudEvent,
    extra: Sequence[Operation] = (),
    secret: str | None = None,
) -> tuple[list[Operation], list[OutboxEntry]]:
    """The operations of one save and the outbox entries they record (see the module docs)."""
    pk = checked_key(partition_key, "partition key")
    old_version = aggregate.version
    version = old_version + 1
    state_json = aggregate.model_copy(update={"version": version}).model_dump_json(by_alias=True)
    state = {
        "PartitionKey": pk,
        "RowKey": state_row_key,
        "State": string_property(state_json, "State"),
        "Version": version,
    }
    operations: list[Operation] = []
    if aggregate.etag is None:
        operations.append(Operation("create", state))
    else:
        operations.append(Operation("replace", state, aggregate.etag))
        guard = {"PartitionKey": pk, "RowKey": guard_row_key(guard_key, old_version)}
        operations.append(Operation("delete", guard))
    guard = {"PartitionKey": pk, "RowKey": guard_row_key(guard_key, version)}
    operations.append(Operation("create", guard))
    entries: list[OutboxEntry] = []
    for index, event in enumerate(aggregate.pending_events):
        cloudevent = to_cloudevent(event, context=context)
        row_key = outbox_row_key(checked_key(event.reservation_id), version, index)
        row = {
            "PartitionKey": pk,
            "RowKey": row_key,
            "CloudEvent": string_property(compact_json(cloudevent), "CloudEvent"),
            "Context": context,
            "EventType": cloudevent.get("type", ""),
            "OccurredAt": event.occurred_at.astimezone(UTC),
        }
        operations.append(Operation("create", row))
        entries.append(OutboxEntry(context, pk, row_key, cloudevent))
    if marker is not None:
        recorded = compact_json([entry.cloudevent for entry in entries])
        row = {
            "PartitionKey": pk,
            "RowKey": seen_row_key(marker),
            "Events": string_property(recorded, "Events"),
            "Republished": False,
        }
        operations.append(Operation("create", row))
    if secret is not None:
        row = {
            "PartitionKey": pk,
            "RowKey": SECRET_ROW,
            "Secret": string_property(secret, "Secret"),
        }
        operations.append(Operation("create", row))
    operations.extend(extra)
    check_transaction_size(len(operations))
    return operations, entries


def committed(aggregate: Aggregate, etag: str) -> None:
    """What a successful save does to the aggregate in memory."""
    aggregate.version += 1
    aggregate.etag = etag
    aggregate.clear_events()


def aggregate_of(cls: type[A], row: StoredRow) -> A:
    aggregate = cls.model_validate_json(row["State"])
    aggregate.etag = row.etag
    return aggregate


def processed_record_of(row: StoredRow) -> ProcessedRecord:
    events = json.loads(row.get("Events") or "[]")
    return ProcessedRecord(tuple(events), bool(row.get("Republished", False)))


def _datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def outbox_entry_of(row: StoredRow) -> tuple[datetime, OutboxEntry]:
    entry = OutboxEntry(
        context=str(row["Context"]),
        partition_key=str(row["PartitionKey"]),
        row_key=str(row["RowKey"]),
        cloudevent=json.loads(row["CloudEvent"]),
    )
    return _datetime(row["OccurredAt"]), entry


def oldest_first(rows: Sequence[tuple[datetime, OutboxEntry]]) -> list[OutboxEntry]:
    ordered = sorted(
        rows, key=lambda row: (row[0], row[1].context, row[1].partition_key, row[1].row_key)
    )
    return [entry for _, entry in ordered]


OUTBOX_SELECT: tuple[str, ...] = ("PartitionKey", "RowKey", "CloudEvent", "Context", "OccurredAt")


def intent_row(partition: str, intent: PendingPublish) -> dict[str, Any]:
    return {
        "PartitionKey": partition,
        "RowKey": intent.row_key,
        "Context": intent.context,
        "TargetPartition": intent.partition_key,
        "ReservationId": intent.reservation_id,
        "Version": intent.version,
        "CreatedAt": intent.created_at.astimezone(UTC),
    }


def intent_of(row: StoredRow) -> PendingPublish:
    return PendingPublish(
        row_key=str(row["RowKey"]),
        context=str(row["Context"]),
        partition_key=str(row["TargetPartition"]),
        reservation_id=str(row["ReservationId"]),
        version=int(row["Version"]),
        created_at=_datetime(row["CreatedAt"]),
    )
