"""Every port in memory, for unit tests: the production adapters over ``MemoryTableStore``,
plus a recording publisher and the sandbox payment gateway."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from adapters.bootstrap import build_table_ports
from adapters.cloudevents import to_cloudevent
from adapters.storage_names import CATALOG_TABLE
from adapters.table_catalog import TableCatalog
from domain.catalog import DEMO_CATALOG, Hotel
from handlers.ports import EventToCloudEvent, Ports
from tests.support.memory_tables import MemoryTableStore


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PublishFailedError(ConnectionError):
    """The (fake) topic refused the publish."""


class InMemoryPublisher:
    """``EventPublisher`` that records what it published; ``fail_next(n)`` makes it fail."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.published: list[dict[str, Any]] = []
        self._failures_left = 0
        self.always_fail = False

    def fail_next(self, times: int = 1) -> None:
        with self._lock:
            self._failures_left += times

    def publish(self, cloudevents: Sequence[dict[str, Any]]) -> None:
        with self._lock:
            if self.always_fail or self._failures_left > 0:
                self._failures_left = max(0, self._failures_left - 1)
                raise PublishFailedError("publish failed (simulated)")
            self.published.extend(cloudevents)

    @property
    def published_types(self) -> list[str]:
        with self._lock:
            return [str(ce["type"]) for ce in self.published]


def seeded_catalog(store: MemoryTableStore, hotels: Iterable[Hotel]) -> TableCatalog:
    catalog = TableCatalog(store, CATALOG_TABLE)
    catalog.seed_catalog(hotels)
    return catalog


def build_memory_ports(
    clock: Callable[[], datetime] = _utc_now,
    *,
    hotels: Iterable[Hotel] | None = None,
    to_cloudevent: EventToCloudEvent = to_cloudevent,
    store: MemoryTableStore | None = None,
) -> Ports:
    """Every port on one in-memory store; the catalog defaults to the demo catalog."""
    store = store or MemoryTableStore()
    seeded_catalog(store, DEMO_CATALOG if hotels is None else hotels)
    return build_table_ports(
        store, publisher=InMemoryPublisher(), clock=clock, to_cloudevent=to_cloudevent
    )
