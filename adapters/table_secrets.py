"""The storage adapters that keep secrets: the card token of each reservation, and the key that
turns an Idempotency-Key into a reservation id (the other storage ports are in
adapters/tables.py, on the same ``TableStore``)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import uuid
from typing import Final

from adapters.layout import (
    IDEMPOTENCY_PARTITION,
    IDEMPOTENCY_SECRET_ROW,
    SECRET_ROW,
    checked_key,
    reservation_id_of_ref,
    vault_ref,
)
from adapters.table_store import TableStore

# --- payment-method vault ------------------------------------------------------------------------

LEGACY_VAULT_ROW: Final = "token"


class TablePaymentMethodVault:
    """``PaymentMethodVault``: the token is the ``secret`` row of the reservation's partition,
    written by its first save (adapters/rows.py).

    Sandbox tokens only: a production vault is the payment provider's tokenization (or Key
    Vault); the row just keeps tokens out of events and logs. Tokens of reservations booked
    before they moved there are still read from the PaymentMethods table, so a booking in
    flight across the deploy is charged.
    """

    def __init__(self, store: TableStore, table: str, *, legacy_table: str | None = None) -> None:
        self._store = store
        self._table = table
        self._legacy_table = legacy_table

    def reference(self, reservation_id: str) -> str:
        return vault_ref(reservation_id)

    def resolve(self, ref: str) -> str | None:
        reservation_id = reservation_id_of_ref(ref)
        if reservation_id is None:
            return None
        try:
            checked_key(reservation_id)
        except ValueError:
            return None
        row = self._store.get(self._table, reservation_id, SECRET_ROW, select=["Secret"])
        if row is not None:
            return str(row["Secret"])
        if self._legacy_table is None:
            return None
        row = self._store.get(
            self._legacy_table, reservation_id, LEGACY_VAULT_ROW, select=["Token"]
        )
        return None if row is None else str(row["Token"])


# --- idempotency keys ----------------------------------------------------------------------------


class TableIdempotencyKeys:
    """``IdempotencyKeys``: HMAC-SHA256 of the client key under this deployment's secret.

    The secret is 256 random bits created on first use in the Reservations table (partition
    ``idempotency``, row ``secret``; inserting it is the lock, so racing workers agree on the
    first one) and read once per worker.
    """

    def __init__(self, store: TableStore, table: str) -> None:
        self._store = store
        self._table = table
        self._lock = threading.Lock()
        self._secret: bytes | None = None

    def _read_secret(self) -> bytes | None:
        row = self._store.get(
            self._table, IDEMPOTENCY_PARTITION, IDEMPOTENCY_SECRET_ROW, select=["Secret"]
        )
        return None if row is None else bytes.fromhex(str(row["Secret"]))

    def _key(self) -> bytes:
        with self._lock:
            if self._secret is None:
                secret = self._read_secret()
                if secret is None:
                    candidate = secrets.token_bytes(32)
                    row = {
                        "PartitionKey": IDEMPOTENCY_PARTITION,
                        "RowKey": IDEMPOTENCY_SECRET_ROW,
                        "Secret": candidate.hex(),
                    }
                    # Another worker may have created it meanwhile: then its secret stands.
                    secret = candidate if self._store.insert(self._table, row) else None
                    secret = secret or self._read_secret()
                if secret is None:  # the secret is never deleted
                    raise RuntimeError("the idempotency secret vanished")
                self._secret = secret
            return self._secret

    def reservation_id(self, key: str) -> str:
        digest = hmac.new(self._key(), key.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return str(uuid.UUID(bytes=digest.digest()[:16], version=4))
