"""The operator's view of the dead letters, and the query models of the operator's routes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from handlers.dead_letters.blob_format import (
    UnreadableDeadLetterError,
    iso,
    meta,
    parse_dead_letter_blob,
    parse_time,
)
from handlers.dead_letters.metadata import (
    DEAD_LETTERED_AT,
    NEXT_ATTEMPT_AT,
    OUTCOME,
    REASON,
    REPROCESSED_AT,
    reprocess_attempts,
    subscription_or_folder,
)
from handlers.ports import DeadLetter, DeadLetterState, DeadLetterStore, Ports

# Event Grid subscription names: 3-64 letters, digits and hyphens.
SUBSCRIPTION_PATTERN: Final = r"^[A-Za-z0-9-]{3,64}$"
# Blob names as Event Grid writes them: a subscription folder, then path segments (no "..").
BLOB_NAME_PATTERN: Final = r"^[A-Za-z0-9-]{3,64}(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}){1,8}$"


class DeadLetterQuery(BaseModel):
    """``GET /ops/dead-letters?state=poison&subscription=billing&limit=100``."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    state: DeadLetterState | None = None
    subscription: str | None = Field(default=None, pattern=SUBSCRIPTION_PATTERN)
    limit: int = Field(default=100, ge=1, le=1000)


class ReprocessOptions(BaseModel):
    """``POST /ops/dead-letters/reprocess?force=true`` ignores the back-off."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    force: bool = False


class RequeueOptions(BaseModel):
    """``POST /ops/dead-letters/requeue?state=poison&subscription=billing&name=...&limit=100``.

    A subscription or a blob name is required, so that "everything" is never one typo away.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    state: Literal[DeadLetterState.POISON, DeadLetterState.ARCHIVED] = DeadLetterState.POISON
    subscription: str | None = Field(default=None, pattern=SUBSCRIPTION_PATTERN)
    name: str | None = Field(default=None, max_length=1024, pattern=BLOB_NAME_PATTERN)
    limit: int = Field(default=100, ge=1, le=1000)

    @model_validator(mode="after")
    def _subscription_or_name(self) -> RequeueOptions:
        if self.subscription is None and self.name is None:
            raise ValueError("give a subscription or a blob name")
        return self


def dead_letter_overview(
    store: DeadLetterStore,
    ports: Ports,
    *,
    states: Sequence[DeadLetterState] = tuple(DeadLetterState),
    subscription: str | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """One row per dead-lettered event (or per unreadable blob), newest state first."""
    now = ports.clock()
    prefix = f"{subscription.upper()}/" if subscription else ""
    items: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for state in states:
        letters = store.letters(state, prefix=prefix, limit=limit)
        counts[state.value] = len(letters)
        for letter in letters:
            body = store.read(state, letter.name)
            items.extend(_rows(state, letter, body, now))
    return {"counts": counts, "items": items}


def _rows(
    state: DeadLetterState, letter: DeadLetter, body: bytes | None, now: datetime
) -> list[dict[str, Any]]:
    dead_lettered_at = parse_time(meta(letter.metadata, DEAD_LETTERED_AT)) or letter.created_at
    base: dict[str, Any] = {
        "state": state.value,
        "blob": letter.name,
        "subscription": subscription_or_folder(letter.name),
        "attempts": reprocess_attempts(letter.metadata),
        "outcome": meta(letter.metadata, OUTCOME),
        "deadLetteredAt": iso(dead_lettered_at),
        "ageSeconds": max(0, int((now - dead_lettered_at).total_seconds())),
        "reprocessedAt": meta(letter.metadata, REPROCESSED_AT),
        "nextAttemptAt": meta(letter.metadata, NEXT_ATTEMPT_AT) or None,
    }
    noted = meta(letter.metadata, REASON)
    try:
        events = parse_dead_letter_blob(body if body is not None else b"")
    except UnreadableDeadLetterError as exc:
        return [
            {
                **base,
                "eventId": None,
                "eventType": None,
                "subject": None,
                "reason": noted or str(exc),
                "deliveryAttempts": None,
            }
        ]
    return [
        {
            **base,
            "eventId": event.event_id,
            "eventType": event.event_type,
            "subject": event.subject,
            "reason": noted
            or " ".join(
                part for part in (event.dead_letter_reason, event.last_delivery_outcome) if part
            ),
            "deliveryAttempts": event.delivery_attempts,
        }
        for event in events
    ]
