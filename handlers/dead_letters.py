"""Dead letters: replay what Event Grid gave up on, quarantine poison, show the operator.

Event Grid writes an event it could not deliver to the blob container ``deadletter`` at
``{SUBSCRIPTION}/{yyyy}/{M}/{d}/{H}/{guid}.json`` (UTC, not zero-padded): a JSON array of one or
more events in the topic's schema (Event Grid or CloudEvents 1.0), each with the dead-letter
fields added (``deadLetterReason``, ``deliveryAttempts``, ... ; lowercase for CloudEvents).

``reprocess_dead_letters`` claims each pending blob (an exclusive, expiring claim: a blob lease),
runs each of its events through ``dispatch`` -- the same handler code and idempotency records as a
live delivery, so an event processed meanwhile is a no-op that counts as done -- and then:

- every event succeeded: the blob moves to ``deadletter-archive`` (same name, with metadata);
- an event can never succeed (unknown subscription, undecodable JSON, schema violation, unknown
  type, schemaVersion below 1): the blob moves to ``deadletter-poison`` at once, with the reason;
- otherwise it stays, with ``reprocessAttempts`` and ``nextAttemptAt`` (exponential back-off) in
  its metadata; after ``RetryPolicy.max_attempts`` failed runs it moves to poison.

Poison or transient is decided by the error hierarchy (domain/errors.py): an ``EventError`` can
never succeed; anything else -- a storage outage, or ``NewerSchemaVersionError`` (an event from a
newer publisher mid-deploy, fine once this worker is upgraded) -- is retried.

A blob is copied before the original is deleted; a crash mid-blob leaves it pending (its claim
expires) and replaying it again is harmless. A live delivery that can never succeed is
quarantined to ``deadletter-poison`` at the edge, in this format (entrypoints/eventgrid_edge.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from opentelemetry import metrics
from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.errors import EventError
from handlers.dispatch import HANDLERS, dispatch
from handlers.ports import (
    ClaimedDeadLetter,
    ClaimLostError,
    DeadLetter,
    DeadLetterState,
    DeadLetterStore,
    Ports,
)
from handlers.routing import SUBSCRIPTIONS

log = logging.getLogger(__name__)

Dispatcher = Callable[[str, str, object, Ports], None]
Trigger = Literal["timer", "operator"]

# Blob metadata the reprocessor writes (Azure metadata names are C# identifiers).
REPROCESSED_AT: Final = "reprocessedAt"
REPROCESS_ATTEMPTS: Final = "reprocessAttempts"
OUTCOME: Final = "outcome"
REASON: Final = "reason"
NEXT_ATTEMPT_AT: Final = "nextAttemptAt"
REPROCESSED_BY: Final = "reprocessedBy"
DEAD_LETTERED_AT: Final = "deadLetteredAt"
# The audit trail of an operator's requeue (the last ``reason`` is kept as it was).
REQUEUED_AT: Final = "requeuedAt"
REQUEUED_FROM: Final = "requeuedFrom"
REQUEUE_COUNT: Final = "requeueCount"

ARCHIVED: Final = "archived"
POISONED: Final = "poisoned"
RETRYING: Final = "retrying"
SKIPPED: Final = "skipped"
REQUEUED: Final = "requeued"

MAX_METADATA_VALUE: Final = 1024


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing blob is replayed: ``first_delay`` doubling up to ``max_delay``, and
    poison after ``max_attempts`` failed runs (the timer runs every 5 minutes)."""

    max_attempts: int = 5
    first_delay: timedelta = timedelta(minutes=5)
    max_delay: timedelta = timedelta(hours=1)

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed run (1-based)."""
        return min(self.first_delay * (1 << max(attempts - 1, 0)), self.max_delay)


DEFAULT_POLICY: Final = RetryPolicy()


# -- the blob format ------------------------------------------------------------------------


class UnreadableDeadLetterError(EventError):
    """A dead-letter blob that no code could ever replay (broken JSON, not events, ...)."""


@dataclass(frozen=True)
class LetteredEvent:
    """One event of a dead-letter blob, in either schema, with Event Grid's dead-letter fields."""

    schema: Literal["CloudEvents", "EventGrid"]
    event_id: str
    event_type: str
    subject: str
    data: object
    dead_letter_reason: str | None
    delivery_attempts: int | None
    last_delivery_outcome: str | None
    publish_time: str | None


def _field(event: Mapping[str, Any], name: str) -> Any:
    """A dead-letter field by its Event Grid name, or its lowercase CloudEvents twin."""
    return event.get(name, event.get(name.lower()))


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _optional_int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _cloudevent_data(event: Mapping[str, Any]) -> object:
    if "data_base64" not in event:
        return event.get("data")
    try:
        return json.loads(base64.b64decode(str(event["data_base64"]), validate=True))
    except (binascii.Error, ValueError) as exc:
        raise UnreadableDeadLetterError(f"data_base64 is not base64 JSON: {exc}") from exc


def parse_event(index: int, event: object) -> LetteredEvent:
    """One element of a dead-letter array; UnreadableDeadLetterError if it is not an event."""
    if not isinstance(event, dict):
        raise UnreadableDeadLetterError(f"event {index}: not a JSON object")
    if "specversion" in event:
        schema: Literal["CloudEvents", "EventGrid"] = "CloudEvents"
        event_type, data = event.get("type"), _cloudevent_data(event)
    elif "eventType" in event:
        schema = "EventGrid"
        event_type, data = event.get("eventType"), event.get("data")
    else:
        raise UnreadableDeadLetterError(
            f"event {index}: neither CloudEvents (specversion) nor Event Grid schema (eventType)"
        )
    if not isinstance(event_type, str) or not event_type:
        raise UnreadableDeadLetterError(f"event {index}: no event type")
    return LetteredEvent(
        schema=schema,
        event_id=str(event.get("id", "")),
        event_type=event_type,
        subject=str(event.get("subject", "")),
        data=data,
        dead_letter_reason=_optional_str(_field(event, "deadLetterReason")),
        delivery_attempts=_optional_int(_field(event, "deliveryAttempts")),
        last_delivery_outcome=_optional_str(_field(event, "lastDeliveryOutcome")),
        publish_time=_optional_str(_field(event, "publishTime")),
    )


def parse_dead_letter_blob(body: bytes) -> list[LetteredEvent]:
    """The events of one dead-letter blob (a JSON array; a lone object is taken as one event).

    Raises UnreadableDeadLetterError: such a blob can never be replayed.
    """
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UnreadableDeadLetterError(f"undecodable JSON: {exc}") from exc
    if isinstance(document, dict):
        document = [document]
    if not isinstance(document, list):
        raise UnreadableDeadLetterError("not a JSON array of events")
    if not document:
        raise UnreadableDeadLetterError("an empty array: no events")
    return [parse_event(index, event) for index, event in enumerate(document)]


def folder_of(name: str) -> str:
    """The blob's first path segment: the subscription name, upper-cased by Event Grid."""
    return name.split("/", 1)[0]


def subscription_of(name: str) -> str | None:
    """The subscription (as in handlers/routing.py) a blob belongs to; None if unknown."""
    folder = folder_of(name).lower()
    known = {s.name.lower(): s.name for s in SUBSCRIPTIONS if s.name in HANDLERS}
    return known.get(folder)


def dead_letter_name(subscription: str, when: datetime, blob_id: uuid.UUID | None = None) -> str:
    """``{SUBSCRIPTION}/{yyyy}/{M}/{d}/{H}/{guid}.json`` in UTC, not zero-padded (as Azure)."""
    when = when.astimezone(UTC)
    return (
        f"{subscription.upper()}/{when.year}/{when.month}/{when.day}/{when.hour}/"
        f"{blob_id or uuid.uuid4()}.json"
    )


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def metadata_value(text: str) -> str:
    """Blob metadata values are HTTP header values: printable ASCII, bounded."""
    clean = "".join(ch if " " <= ch <= "~" else "?" for ch in text).strip()
    return clean[: MAX_METADATA_VALUE - 3] + "..." if len(clean) > MAX_METADATA_VALUE else clean


def meta(metadata: Mapping[str, str], name: str) -> str | None:
    """A metadata value by name, ignoring case (Azure metadata names are case-insensitive)."""
    lowered = name.lower()
    for key, value in metadata.items():
        if key.lower() == lowered:
            return value
    return None


def reprocess_attempts(metadata: Mapping[str, str]) -> int:
    return _optional_int(meta(metadata, REPROCESS_ATTEMPTS)) or 0


def is_due(metadata: Mapping[str, str], now: datetime) -> bool:
    """Whether the back-off of a blob that failed before has run out."""
    next_attempt = parse_time(meta(metadata, NEXT_ATTEMPT_AT))
    return next_attempt is None or next_attempt <= now


# -- the report -----------------------------------------------------------------------------


@dataclass
class BlobOutcome:
    """What one run did with one blob."""

    name: str
    subscription: str
    outcome: str  # archived | poisoned | retrying | skipped
    events: int = 0
    replayed: int = 0
    failed: int = 0
    poisoned: int = 0
    attempts: int = 0
    reason: str = ""
    # The events that can never succeed: index in the blob, id, type and error.
    poison_events: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "blob": self.name,
            "subscription": self.subscription,
            "outcome": self.outcome,
            "events": self.events,
            "replayed": self.replayed,
            "failed": self.failed,
            "poisoned": self.poisoned,
            "attempts": self.attempts,
            "reason": self.reason,
            "poisonEvents": self.poison_events,
        }


@dataclass
class ReprocessReport:
    """What one run found and did; ``as_json`` is the operator endpoint's answer."""

    trigger: str
    started_at: datetime
    blobs: list[BlobOutcome] = field(default_factory=list)
    blobs_found: int = 0

    def _count(self, outcome: str) -> int:
        return sum(1 for blob in self.blobs if blob.outcome == outcome)

    @property
    def blobs_archived(self) -> int:
        return self._count(ARCHIVED)

    @property
    def blobs_poisoned(self) -> int:
        return self._count(POISONED)

    @property
    def blobs_retrying(self) -> int:
        return self._count(RETRYING)

    @property
    def blobs_skipped(self) -> int:
        return self._count(SKIPPED)

    @property
    def events_found(self) -> int:
        return sum(blob.events for blob in self.blobs)

    @property
    def events_replayed(self) -> int:
        return sum(blob.replayed for blob in self.blobs)

    @property
    def events_failed(self) -> int:
        return sum(blob.failed for blob in self.blobs)

    @property
    def events_poisoned(self) -> int:
        return sum(blob.poisoned for blob in self.blobs)

    @property
    def events_archived(self) -> int:
        return sum(blob.events for blob in self.blobs if blob.outcome == ARCHIVED)

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            "blobs": {
                "found": self.blobs_found,
                "archived": self.blobs_archived,
                "poisoned": self.blobs_poisoned,
                "retrying": self.blobs_retrying,
                "skipped": self.blobs_skipped,
            },
            "events": {
                "found": self.events_found,
                "replayed": self.events_replayed,
                "archived": self.events_archived,
                "failed": self.events_failed,
                "poisoned": self.events_poisoned,
            },
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "startedAt": iso(self.started_at),
            **self.counts(),
            "items": [blob.as_json() for blob in self.blobs if blob.outcome != SKIPPED],
            "skipped": [
                {"blob": blob.name, "reason": blob.reason}
                for blob in self.blobs
                if blob.outcome == SKIPPED
            ],
        }


class _Telemetry:
    """OpenTelemetry counters (no-ops until a MeterProvider is configured, e.g. in Azure)."""

    def __init__(self, meter: metrics.Meter | None) -> None:
        meter = meter or metrics.get_meter("hotel.dead_letters")
        self.blobs = meter.create_counter(
            "hotel.dead_letters.blobs", unit="{blob}", description="dead-letter blobs by outcome"
        )
        self.events = meter.create_counter(
            "hotel.dead_letters.events",
            unit="{event}",
            description="dead-lettered events by outcome",
        )

    def record(self, report: ReprocessReport) -> None:
        counts = report.counts()
        for outcome, value in counts["blobs"].items():
            self.blobs.add(value, {"outcome": outcome, "trigger": report.trigger})
        for outcome, value in counts["events"].items():
            self.events.add(value, {"outcome": outcome, "trigger": report.trigger})


# -- the reprocessor ------------------------------------------------------------------------


def reprocess_dead_letters(
    store: DeadLetterStore,
    ports: Ports,
    *,
    trigger: Trigger = "timer",
    force: bool = False,
    policy: RetryPolicy = DEFAULT_POLICY,
    dispatcher: Dispatcher = dispatch,
    meter: metrics.Meter | None = None,
) -> ReprocessReport:
    """One run over every pending dead-letter blob (see the module docstring).

    ``force`` ignores the back-off (an operator who has just fixed the cause). Safe to run
    concurrently with itself: a blob is processed by whoever claims it; the others skip it.
    """
    report = ReprocessReport(trigger=trigger, started_at=ports.clock())
    for letter in store.letters(DeadLetterState.PENDING):
        report.blobs_found += 1
        report.blobs.append(_process(letter, store, ports, trigger, force, policy, dispatcher))
    _Telemetry(meter).record(report)
    counts = report.counts()
    log.log(
        logging.WARNING if report.blobs_poisoned or report.blobs_retrying else logging.INFO,
        "dead letters (%s): blobs %s; events %s",
        trigger,
        counts["blobs"],
        counts["events"],
        extra={"deadLetters": counts, "trigger": trigger},
    )
    return report


def _process(
    letter: DeadLetter,
    store: DeadLetterStore,
    ports: Ports,
    trigger: Trigger,
    force: bool,
    policy: RetryPolicy,
    dispatcher: Dispatcher,
) -> BlobOutcome:
    subscription = subscription_of(letter.name) or folder_of(letter.name)
    skipped = BlobOutcome(letter.name, subscription, SKIPPED)
    if not force and not is_due(letter.metadata, ports.clock()):
        skipped.reason = f"backing off until {meta(letter.metadata, NEXT_ATTEMPT_AT)}"
        return skipped
    claim = store.claim(letter.name)
    if claim is None:
        skipped.reason = "claimed by another run, or gone"
        return skipped
    try:
        if not force and not is_due(claim.metadata, ports.clock()):  # deferred meanwhile
            store.release(claim)
            skipped.reason = f"backing off until {meta(claim.metadata, NEXT_ATTEMPT_AT)}"
            return skipped
        return _replay(claim, store, ports, trigger, policy, dispatcher)
    except ClaimLostError:
        log.warning("dead letters: lost the claim on %s; another run has it", letter.name)
        skipped.reason = "claim lost (took too long); another run has it"
        return skipped
    except Exception as exc:  # the store failed: the claim expires, the blob stays pending
        log.exception("dead letters: %s stays pending after a storage error", letter.name)
        skipped.reason = f"storage error: {type(exc).__name__}: {exc}"
        return skipped


def _replay(
    claim: ClaimedDeadLetter,
    store: DeadLetterStore,
    ports: Ports,
    trigger: Trigger,
    policy: RetryPolicy,
    dispatcher: Dispatcher,
) -> BlobOutcome:
    previous = reprocess_attempts(claim.metadata)
    subscription = subscription_of(claim.name)
    outcome = BlobOutcome(claim.name, subscription or folder_of(claim.name), "", attempts=previous)
    started = ports.clock()
    common = {
        REPROCESSED_AT: iso(started),
        REPROCESSED_BY: trigger,
        DEAD_LETTERED_AT: meta(claim.metadata, DEAD_LETTERED_AT) or iso(claim.created_at),
    }
    if previous >= policy.max_attempts:
        # Every attempt was used by runs that never finished (crashed, timed out, could not
        # move the blob): replaying once more would only repeat that.
        outcome.outcome = POISONED
        outcome.reason = (
            f"{previous} reprocessing runs did not finish; "
            f"last noted: {meta(claim.metadata, REASON) or 'nothing'}"
        )
        store.move(
            claim,
            DeadLetterState.POISON,
            {
                **common,
                OUTCOME: POISONED,
                REASON: metadata_value(outcome.reason),
                NEXT_ATTEMPT_AT: "",
            },
        )
        log.warning("dead letters: %s poisoned: %s", claim.name, outcome.reason)
        return outcome
    # Count this attempt (and its back-off) before running anything: a run that crashes, times
    # out or cannot move the blob afterwards has still used it up, so a blob that always kills
    # its run reaches poison after max_attempts instead of being replayed forever.
    attempts = outcome.attempts = previous + 1
    common[REPROCESS_ATTEMPTS] = str(attempts)
    claim = store.annotate(
        claim, {**common, NEXT_ATTEMPT_AT: iso(started + policy.delay(attempts))}
    )
    never: list[str] = []
    failures: list[str] = []
    try:
        events = parse_dead_letter_blob(claim.body)
    except UnreadableDeadLetterError as exc:
        never.append(str(exc))
        events = []
    outcome.events = len(events)
    if subscription is None:
        never.insert(0, f"unknown subscription {folder_of(claim.name)!r}")
    else:
        for index, event in enumerate(events):
            store.renew(claim)
            try:
                dispatcher(subscription, event.event_type, event.data, ports)
            except EventError as exc:
                outcome.poisoned += 1
                never.append(f"event {index} ({event.event_id}): {type(exc).__name__}: {exc}")
                outcome.poison_events.append(
                    {
                        "index": index,
                        "eventId": event.event_id,
                        "eventType": event.event_type,
                        "error": f"{type(exc).__name__}: {exc}",
                    }
                )
            except Exception as exc:  # transient: a later run tries again
                outcome.failed += 1
                failures.append(f"event {index} ({event.event_id}): {type(exc).__name__}: {exc}")
                log.warning(
                    "dead letters: %s event %s failed again",
                    claim.name,
                    event.event_id,
                    exc_info=True,
                )
            else:
                outcome.replayed += 1
    now = ports.clock()
    if never or (failures and attempts >= policy.max_attempts):
        if never:
            # A blob mixing poison and failing events goes to poison whole; say which is which.
            outcome.reason = "poison: " + "; ".join(never)
            if failures:
                outcome.reason += "; also failed (transient): " + "; ".join(failures)
        else:
            outcome.reason = f"failed {attempts} reprocessing runs; last: {'; '.join(failures)}"
        outcome.outcome = POISONED
        store.move(
            claim,
            DeadLetterState.POISON,
            {
                **common,
                OUTCOME: POISONED,
                REASON: metadata_value(outcome.reason),
                NEXT_ATTEMPT_AT: "",
            },
        )
        log.warning("dead letters: %s poisoned: %s", claim.name, outcome.reason)
    elif failures:
        next_attempt = now + policy.delay(attempts)
        outcome.outcome, outcome.reason = RETRYING, "; ".join(failures)
        store.release(
            claim,
            metadata={
                **common,
                OUTCOME: RETRYING,
                REASON: metadata_value(outcome.reason),
                NEXT_ATTEMPT_AT: iso(next_attempt),
            },
        )
    else:
        outcome.outcome = ARCHIVED
        outcome.reason = f"replayed {outcome.replayed} event(s)"
        store.move(
            claim,
            DeadLetterState.ARCHIVED,
            {**common, OUTCOME: ARCHIVED, REASON: outcome.reason, NEXT_ATTEMPT_AT: ""},
        )
    return outcome


# -- the operator's view --------------------------------------------------------------------


class DeadLetterQuery(BaseModel):
    """``GET /ops/dead-letters?state=poison&subscription=billing&limit=100``."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    state: DeadLetterState | None = None
    # Event Grid subscription names: 3-64 letters, digits and hyphens.
    subscription: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]{3,64}$")
    limit: int = Field(default=100, ge=1, le=1000)


class ReprocessOptions(BaseModel):
    """``POST /ops/dead-letters/reprocess?force=true`` ignores the back-off."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    force: bool = False


# Blob names as Event Grid writes them: a subscription folder, then path segments (no "..").
BLOB_NAME_PATTERN: Final = r"^[A-Za-z0-9-]{3,64}(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}){1,8}$"


class RequeueOptions(BaseModel):
    """``POST /ops/dead-letters/requeue?state=poison&subscription=billing&name=...&limit=100``.

    A subscription or a blob name is required, so that "everything" is never one typo away.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    state: Literal[DeadLetterState.POISON, DeadLetterState.ARCHIVED] = DeadLetterState.POISON
    subscription: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]{3,64}$")
    name: str | None = Field(default=None, max_length=1024, pattern=BLOB_NAME_PATTERN)
    limit: int = Field(default=100, ge=1, le=1000)

    @model_validator(mode="after")
    def _subscription_or_name(self) -> RequeueOptions:
        if self.subscription is None and self.name is None:
            raise ValueError("give a subscription or a blob name")
        return self


@dataclass
class RequeueReport:
    """What an operator's requeue did; ``as_json`` is the endpoint's answer."""

    source: DeadLetterState
    requeued_at: datetime
    items: list[dict[str, Any]] = field(default_factory=list)

    def _count(self, outcome: str) -> int:
        return sum(1 for item in self.items if item["outcome"] == outcome)

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.source.value,
            "requeuedAt": iso(self.requeued_at),
            "counts": {
                "found": len(self.items),
                "requeued": self._count(REQUEUED),
                "skipped": self._count(SKIPPED),
            },
            "items": self.items,
        }


def requeue_dead_letters(
    store: DeadLetterStore,
    ports: Ports,
    *,
    source: DeadLetterState = DeadLetterState.POISON,
    subscription: str | None = None,
    name: str | None = None,
    limit: int = 100,
) -> RequeueReport:
    """Move poison (or archived) blobs back to ``deadletter`` for the reprocessor: one blob by
    ``name``, or up to ``limit`` under the ``subscription`` folder (both: that blob, if it is in
    that folder). The attempt count restarts at 0 and the back-off is cleared, so the next run
    replays it; ``requeuedAt``/``requeuedFrom``/``requeueCount`` and the last ``reason`` stay on
    the blob as its audit trail. For after the cause is fixed: a blob still poison goes back.
    """
    if source is DeadLetterState.PENDING:
        raise ValueError("requeue from the archive or from poison")
    now = ports.clock()
    report = RequeueReport(source=source, requeued_at=now)
    folder = f"{subscription.upper()}/" if subscription else ""
    if name is not None:
        # Listing by the exact name as prefix: the metadata comes with it, in one call.
        chosen = [
            letter
            for letter in store.letters(source, prefix=name)
            if letter.name == name and letter.name.upper().startswith(folder)
        ]
    else:
        chosen = store.letters(source, prefix=folder, limit=limit)
    for letter in chosen:
        item: dict[str, Any] = {
            "blob": letter.name,
            "subscription": subscription_of(letter.name) or folder_of(letter.name),
            "outcome": REQUEUED,
            "attempts": reprocess_attempts(letter.metadata),
            "reason": meta(letter.metadata, REASON) or "",
        }
        requeues = _optional_int(meta(letter.metadata, REQUEUE_COUNT)) or 0
        try:
            moved = store.requeue(
                source,
                letter.name,
                {
                    REPROCESS_ATTEMPTS: "0",
                    NEXT_ATTEMPT_AT: "",
                    OUTCOME: REQUEUED,
                    REQUEUED_AT: iso(now),
                    REQUEUED_FROM: source.value,
                    REQUEUE_COUNT: str(requeues + 1),
                },
            )
        except ClaimLostError:
            item["outcome"], item["reason"] = SKIPPED, "a pending copy is being replayed now"
        else:
            if not moved:
                item["outcome"], item["reason"] = SKIPPED, "gone (requeued meanwhile?)"
        report.items.append(item)
    counts = report.as_json()["counts"]
    log.warning(
        "dead letters: requeued %d of %d blob(s) from %s (subscription %s, name %s)",
        counts["requeued"],
        counts["found"],
        source.value,
        subscription,
        name,
        extra={"deadLetterRequeue": counts},
    )
    return report


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
        "subscription": subscription_of(letter.name) or folder_of(letter.name),
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
