"""Base class of aggregates: state plus the events it recorded since it was loaded."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from domain.events import DomainEvent


class Aggregate(BaseModel):
    """An aggregate records its own events; a repository saves state and events atomically.

    ``version`` counts saves (repositories key outbox rows by it, so two writers racing from the
    same version collide on insert even where a store ignores If-Match in batches).
    ``etag`` is an opaque concurrency token owned by the repository; the domain never reads it.
    """

    model_config = ConfigDict(validate_assignment=True, extra="forbid")

    version: int = 0
    etag: str | None = Field(default=None, exclude=True)
    _pending_events: list[DomainEvent] = PrivateAttr(default_factory=list)

    def record(self, event: DomainEvent) -> None:
        self._pending_events.append(event)

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        return tuple(self._pending_events)

    def clear_events(self) -> None:
        self._pending_events.clear()
