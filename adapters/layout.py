"""The storage layout shared by the Table adapters and the in-memory fakes: contexts and keys.

Partitions: Reservations and Billing by reservation id, Loyalty by guest id, Rooms by
``{hotelId}|{roomType}``. Row keys inside a partition:

- ``state`` (or ``alloc|{reservationId}`` in Rooms): the aggregate, JSON in ``State``.
- ``evt|{reservationId}|{version:06d}|{i:02d}``: outbox rows, keyed by the aggregate's NEW
  version (racing writers collide on insert) and grouped by reservation (one row-key range is a
  reservation's events even in a partition shared by many: Loyalty, Rooms).
- ``seen|{marker}``: the processed marker (an event id, or a reaction's own dedup key such as
  ``stay|{reservationId}`` in Loyalty), written with the effect; ``Events`` holds a copy of the
  CloudEvents that commit recorded, ``Republished`` whether a redelivery published them again.
- ``night|{yyyy-mm-dd}|{room}`` (Rooms): a held room-night; inserting it is the lock.
- ``ver|{key}|{version:06d}``: the version guard (see adapters/tables.py).
- ``secret`` (Reservations): the card token, written with the reservation's first save.

In a partition of one aggregate (Reservations, Billing) the markers sort just below ``state``
and nothing else lies between, so one row-key range reads a marker and the state together.

Two partitions of the Reservations table hold no reservation:

- ``outbox-pending``: the relay's index, one row per command commit not yet known to be
  published, keyed ``{createdAt}|{reservationId}|{version:06d}|{nonce}`` so it reads oldest
  first and two requests never share an intent;
- ``idempotency``: row ``secret``, the key under which an Idempotency-Key becomes a reservation
  id (adapters/table_secrets.py, ``TableIdempotencyKeys``). Rows ``idem|{sha256 of a key}`` are the
  records of keys used before ids were derived from keys; nothing reads them.

Frontdesk (the front desk's read model) is partitioned by hotel id, so a stay's rows and every
day sheet of its hotel share a partition: one transaction per event, one query per day.

- ``stay|{reservationId}``: the stay (domain/frontdesk.py), JSON in ``State``, with its guard;
- ``day|{yyyy-mm-dd}|{list}|{reservationId}``: one line of a day's sheet (``list`` is
  ``arrival``, ``departure`` or ``inHouse``), the guest's line as JSON in ``Guest``. A day's
  sheet is the row-key range ``day|{yyyy-mm-dd}|``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Final

RESERVATIONS: Final = "reservations"
ROOMS: Final = "rooms"
BILLING: Final = "billing"
LOYALTY: Final = "loyalty"
FRONTDESK: Final = "frontdesk"
CONTEXTS: Final[tuple[str, ...]] = (RESERVATIONS, ROOMS, BILLING, LOYALTY)

STATE_ROW: Final = "state"
SECRET_ROW: Final = "secret"
EVENT_PREFIX: Final = "evt|"
SEEN_PREFIX: Final = "seen|"
NIGHT_PREFIX: Final = "night|"
ALLOCATION_PREFIX: Final = "alloc|"
GUARD_PREFIX: Final = "ver|"
VAULT_REF_PREFIX: Final = "pm_"
PENDING_PARTITION: Final = "outbox-pending"
IDEMPOTENCY_PARTITION: Final = "idempotency"
IDEMPOTENCY_SECRET_ROW: Final = "secret"
STAY_PREFIX: Final = "stay|"
DAY_PREFIX: Final = "day|"

# Characters Azure Tables forbids in PartitionKey and RowKey (plus control characters).
_FORBIDDEN_KEY_CHARS: Final = frozenset("/\\#?")


def checked_key(value: str, what: str = "key") -> str:
    """``value`` if it can be part of a PartitionKey/RowKey, else ValueError."""
    if not value or any(
        c in _FORBIDDEN_KEY_CHARS or ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value
    ):
        raise ValueError(f"{what} {value!r} cannot be used in a table key")
    return value


def rooms_partition(hotel_id: str, room_type: str) -> str:
    return f"{checked_key(hotel_id, 'hotel id')}|{checked_key(room_type, 'room type')}"


def outbox_row_key(reservation_id: str, version: int, index: int) -> str:
    return f"{commit_events_prefix(reservation_id, version)}{index:02d}"


def reservation_events_prefix(reservation_id: str) -> str:
    return f"{EVENT_PREFIX}{reservation_id}|"


def seen_row_key(marker: str) -> str:
    return f"{SEEN_PREFIX}{checked_key(marker, 'marker')}"


def commit_events_prefix(reservation_id: str, version: int) -> str:
    """The row-key prefix of the outbox rows one commit (at ``version``) wrote."""
    return f"{EVENT_PREFIX}{reservation_id}|{version:06d}|"


def pending_cutoff(created_before: datetime) -> str:
    """The pending index's time prefix: ISO-8601 UTC with microseconds compares as text."""
    return created_before.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def pending_row_key(created_at: datetime, reservation_id: str, version: int, nonce: str) -> str:
    """Sorts oldest first (see ``pending_cutoff``); the nonce keeps two requests racing for one
    version (a retried booking) from sharing, and settling, one intent."""
    stamp = pending_cutoff(created_at)
    return f"{stamp}|{checked_key(reservation_id, 'reservation id')}|{version:06d}|{nonce}"


def night_row_key(night: date, room: str) -> str:
    return f"{NIGHT_PREFIX}{night.isoformat()}|{checked_key(room, 'room number')}"


def allocation_row_key(reservation_id: str) -> str:
    return f"{ALLOCATION_PREFIX}{reservation_id}"


def guard_row_key(key: str, version: int) -> str:
    return f"{GUARD_PREFIX}{key}|{version:06d}"


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string above every string starting with ``prefix`` (for ``lt`` filters)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def vault_ref(reservation_id: str) -> str:
    """The opaque payment-method reference of one reservation."""
    return f"{VAULT_REF_PREFIX}{checked_key(reservation_id, 'reservation id')}"


def reservation_id_of_ref(ref: str) -> str | None:
    if not ref.startswith(VAULT_REF_PREFIX) or len(ref) == len(VAULT_REF_PREFIX):
        return None
    return ref[len(VAULT_REF_PREFIX) :]


def stay_row_key(reservation_id: str) -> str:
    return f"{STAY_PREFIX}{checked_key(reservation_id, 'reservation id')}"


def day_prefix(day: date) -> str:
    """The row-key prefix of one day's sheet in a hotel's Frontdesk partition."""
    return f"{DAY_PREFIX}{day.isoformat()}|"


def listing_row_key(day: date, list_name: str, reservation_id: str) -> str:
    return f"{day_prefix(day)}{list_name}|{checked_key(reservation_id, 'reservation id')}"
