"""Dead letters: replay what Event Grid gave up on, quarantine poison, show the operator.

One concern per module:

- ``blob_format``: Azure's dead-letter blobs (names, body, dead-letter fields, metadata values);
- ``metadata``: what this app notes on a blob (metadata names, outcomes) and reads back;
- ``report``: what a reprocessing run did, and its JSON;
- ``reprocessor``: ``reprocess_dead_letters`` and its retry policy;
- ``requeue``: the operator's requeue from poison or the archive;
- ``overview``: the operator's view and the operator routes' query models.

The live path of every event, which quarantines poison at the edge, is the Event Grid entry
point's (entrypoints/eventgrid_edge.py).

The names callers use are re-exported here.
"""

from __future__ import annotations

from handlers.dead_letters.blob_format import (
    LetteredEvent,
    UnreadableDeadLetterError,
    dead_letter_name,
    iso,
    metadata_value,
    parse_dead_letter_blob,
    parse_time,
)
from handlers.dead_letters.metadata import subscription_of
from handlers.dead_letters.overview import (
    DeadLetterQuery,
    ReprocessOptions,
    RequeueOptions,
    dead_letter_overview,
)
from handlers.dead_letters.report import BlobOutcome, ReprocessReport
from handlers.dead_letters.reprocessor import (
    DEFAULT_POLICY,
    RetryPolicy,
    Trigger,
    is_due,
    reprocess_dead_letters,
)
from handlers.dead_letters.requeue import RequeueReport, requeue_dead_letters

__all__ = [
    "DEFAULT_POLICY",
    "BlobOutcome",
    "DeadLetterQuery",
    "LetteredEvent",
    "ReprocessOptions",
    "ReprocessReport",
    "RequeueOptions",
    "RequeueReport",
    "RetryPolicy",
    "Trigger",
    "UnreadableDeadLetterError",
    "dead_letter_name",
    "dead_letter_overview",
    "is_due",
    "iso",
    "metadata_value",
    "parse_dead_letter_blob",
    "parse_time",
    "reprocess_dead_letters",
    "requeue_dead_letters",
    "subscription_of",
]
