"""The storage layout shared by the Table adapters and the in-memory fakes: contexts and keys.

Partitions: Reservations and Billing by reservation id, Loyalty by guest id, Rooms by
``{hotelId}|{roomType}``. Row keys inside a partition:

- ``state`` (or ``alloc|{reservationId}`` in Rooms): the aggregate, JSON in ``State``.
- ``evt|{reservationId}|{version:06d}|{i:02d}``: outbox rows, keyed by the aggregate's NEW
  version (racing writers collide on insert) and grouped by reservation (one row-key range is a
  reservation's events even in a partition shared by many: Loyalty, Rooms).
- ``seen|{eventId}``: the processed-event marker, written with the effect.
- ``night|{yyyy-mm-dd}|{room}`` (Rooms): a held room-night; inserting it is the lock.
- ``ver|{key}|{version:06d}``: the version guard (see adapters/tables.py).
"""

from __future__ import annotations

from datetime import date
from typing import Final

RESERVATIONS: Final = "reservations"
ROOMS: Final = "rooms"
BILLING: Final = "billing"
LOYALTY: Final = "loyalty"
CONTEXTS: Final[tuple[str, ...]] = (RESERVATIONS, ROOMS, BILLING, LOYALTY)

STATE_ROW: Final = "state"
EVENT_PREFIX: Final = "evt|"
SEEN_PREFIX: Final = "seen|"
NIGHT_PREFIX: Final = "night|"
ALLOCATION_PREFIX: Final = "alloc|"
GUARD_PREFIX: Final = "ver|"
VAULT_REF_PREFIX: Final = "pm_"

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
    return f"{EVENT_PREFIX}{reservation_id}|{version:06d}|{index:02d}"


def reservation_events_prefix(reservation_id: str) -> str:
    return f"{EVENT_PREFIX}{reservation_id}|"


def seen_row_key(event_id: str) -> str:
    return f"{SEEN_PREFIX}{checked_key(event_id, 'event id')}"


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
