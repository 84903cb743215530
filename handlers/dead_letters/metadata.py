"""What this app notes on a dead-letter blob, and what it reads back from its name and metadata.

The reprocessor, the operator's requeue and the live edge write these metadata names; the
operator's view reads them. Azure metadata names are C# identifiers and case-insensitive
(``blob_format.meta`` reads them so).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from handlers.dead_letters.blob_format import folder_of, meta, optional_int
from handlers.dispatch import HANDLERS
from handlers.routing import SUBSCRIPTIONS

REPROCESSED_AT: Final = "reprocessedAt"
REPROCESS_ATTEMPTS: Final = "reprocessAttempts"
OUTCOME: Final = "outcome"
REASON: Final = "reason"
NEXT_ATTEMPT_AT: Final = "nextAttemptAt"
REPROCESSED_BY: Final = "reprocessedBy"
DEAD_LETTERED_AT: Final = "deadLetteredAt"
QUARANTINED_AT: Final = "quarantinedAt"
# The audit trail of an operator's requeue (the last ``reason`` is kept as it was).
REQUEUED_AT: Final = "requeuedAt"
REQUEUED_FROM: Final = "requeuedFrom"
REQUEUE_COUNT: Final = "requeueCount"

# The values of ``outcome`` (and of a report's per-blob outcome).
ARCHIVED: Final = "archived"
POISONED: Final = "poisoned"
RETRYING: Final = "retrying"
SKIPPED: Final = "skipped"
REQUEUED: Final = "requeued"


def reprocess_attempts(metadata: Mapping[str, str]) -> int:
    """How many reprocessing runs have started on the blob (0 if none, or requeued since)."""
    return optional_int(meta(metadata, REPROCESS_ATTEMPTS)) or 0


def subscription_of(name: str) -> str | None:
    """The subscription (as in handlers/routing.py) a blob belongs to; None if unknown."""
    folder = folder_of(name).lower()
    known = {s.name.lower(): s.name for s in SUBSCRIPTIONS if s.name in HANDLERS}
    return known.get(folder)


def subscription_or_folder(name: str) -> str:
    """The blob's subscription, or its folder as written when no subscription has that name."""
    return subscription_of(name) or folder_of(name)


def merge_metadata(own: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """``own`` updated with ``extra`` (names compared ignoring case, as Azure's metadata names
    are); an empty value removes that name. The rule of ``DeadLetterStore.release``/``move``."""
    merged = {k: v for k, v in own.items() if k.lower() not in {e.lower() for e in extra}}
    merged.update({k: v for k, v in extra.items() if v != ""})
    return merged
