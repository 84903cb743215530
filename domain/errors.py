"""The domain's error hierarchy, translated once at the edge (problem+json, dead letter reason)."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""


class ValidationError(DomainError):
    """Input breaks a business rule (bad dates, too many guests, unknown hotel...).

    ``errors`` maps a field path (e.g. ``checkOut``) to a human message.
    """

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class HotelNotFoundError(DomainError):
    """The hotel is not in the catalog (HTTP 404 on routes under /hotels/{hotelId})."""


class ReservationNotFoundError(DomainError):
    """No reservation has this id (HTTP 404)."""


class InvalidTransitionError(DomainError):
    """The aggregate's state does not allow this change (HTTP 409 for a command)."""


class IdempotencyKeyReusedError(DomainError):
    """The same Idempotency-Key was sent with a different body (HTTP 409)."""


class ConcurrencyError(DomainError):
    """Someone else changed the aggregate first; reload and retry the command."""


class CatalogMissError(DomainError):
    """An event names a hotel or room type this worker's catalog does not have (yet): transient,
    since booking validated it (a catalog read before seeding, a deployment in progress)."""


class EventError(DomainError):
    """An event that can never be processed: quarantine it instead of retrying."""


class UnknownEventTypeError(EventError):
    pass


class EventSchemaError(EventError):
    pass


class NewerSchemaVersionError(DomainError):
    """An event whose ``schemaVersion`` is newer than this worker knows.

    Deliberately not an EventError (poison): during a rolling deploy a newer publisher's events
    reach an older subscriber, and the same event succeeds once the new version is deployed. So
    it is transient: the live delivery fails (Event Grid retries, then dead-letters it) and the
    reprocessor keeps the blob pending with back-off instead of quarantining it.
    """
