"""The reprocessor: replay what Event Grid gave up on; archive it, retry it later, or poison it.

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
expires) and replaying it again is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from domain.errors import EventError
from handlers.dead_letters.blob_format import (
    UnreadableDeadLetterError,
    folder_of,
    iso,
    meta,
    metadata_value,
    parse_dead_letter_blob,
    parse_time,
)
from handlers.dead_letters.metadata import (
    ARCHIVED,
    DEAD_LETTERED_AT,
    NEXT_ATTEMPT_AT,
    OUTCOME,
    POISONED,
    REASON,
    REPROCESS_ATTEMPTS,
    REPROCESSED_AT,
    REPROCESSED_BY,
    RETRYING,
    SKIPPED,
    reprocess_attempts,
    subscription_of,
    subscription_or_folder,
)
from handlers.dead_letters.report import BlobOutcome, ReprocessReport
from handlers.dispatch import Dispatcher, dispatch
from handlers.ports import (
    ClaimedDeadLetter,
    ClaimLostError,
    DeadLetter,
    DeadLetterState,
    DeadLetterStore,
    Ports,
)

log = logging.getLogger(__name__)

Trigger = Literal["timer", "operator"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing blob is replayed: ``first_delay`` doubling up to ``max_delay``, and
    poison after ``max_attempts`` failed runs (the timer runs every 5 minutes locally, hourly in
    Azure, where each wait is then a run)."""

    max_attempts: int = 5
    first_delay: timedelta = timedelta(minutes=5)
    max_delay: timedelta = timedelta(hours=1)

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed run (1-based)."""
        return min(self.first_delay * (1 << max(attempts - 1, 0)), self.max_delay)


DEFAULT_POLICY: Final = RetryPolicy()


def is_due(metadata: Mapping[str, str], now: datetime) -> bool:
    """Whether the back-off of a blob that failed before has run out."""
    next_attempt = parse_time(meta(metadata, NEXT_ATTEMPT_AT))
    return next_attempt is None or next_attempt <= now


def reprocess_dead_letters(
    store: DeadLetterStore,
    ports: Ports,
    *,
    trigger: Trigger = "timer",
    force: bool = False,
    policy: RetryPolicy = DEFAULT_POLICY,
    dispatcher: Dispatcher = dispatch,
) -> ReprocessReport:
    """One run over every pending dead-letter blob (see the module docstring); its counts go to
    the log and to ``ports.dead_letter_metrics``.

    ``force`` ignores the back-off (an operator who has just fixed the cause). Safe to run
    concurrently with itself: a blob is processed by whoever claims it; the others skip it.
    """
    report = ReprocessReport(trigger=trigger, started_at=ports.clock())
    for letter in store.letters(DeadLetterState.PENDING):
        report.blobs_found += 1
        report.blobs.append(_process(letter, store, ports, trigger, force, policy, dispatcher))
    counts = report.counts()
    if ports.dead_letter_metrics is not None:
        ports.dead_letter_metrics.record(trigger, counts)
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
    skipped = BlobOutcome(letter.name, subscription_or_folder(letter.name), SKIPPED)
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


def _poison(
    claim: ClaimedDeadLetter, store: DeadLetterStore, common: Mapping[str, str], reason: str
) -> None:
    store.move(
        claim,
        DeadLetterState.POISON,
        {**common, OUTCOME: POISONED, REASON: metadata_value(reason), NEXT_ATTEMPT_AT: ""},
    )
    log.warning("dead letters: %s poisoned: %s", claim.name, reason)


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
        _poison(claim, store, common, outcome.reason)
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
        _poison(claim, store, common, outcome.reason)
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
