"""The sandbox payment gateway: deterministic, idempotent, and safe to run in Azure too.

It behaves like a real gateway's test mode: ``tok_declined`` is declined, any other non-empty
token is approved. Every call carries an idempotency key derived from the operation, and a key
has its effect once: a redelivered or concurrently duplicated saga step gets the first answer
back and never authorizes, captures or voids twice; reusing a key for a different operation is
refused, as real gateways do. The record is per process (a real gateway keeps it server-side),
which the domain does not depend on: it records captures and voids in its own aggregate.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from handlers.ports import AuthorizationResult

DECLINED_TOKEN: Final = "tok_declined"
_AUTH_NAMESPACE: Final = uuid.UUID("5b0c6f1e-8a51-4a52-9c1d-3a2e0f6b9d41")


def authorization_id_for(idempotency_key: str) -> str:
    """The deterministic authorization id of one idempotency key."""
    return f"auth_{uuid.uuid5(_AUTH_NAMESPACE, idempotency_key).hex}"


class IdempotencyKeyMismatchError(ValueError):
    """An idempotency key was reused for a different operation (a bug in the caller)."""


@dataclass
class SandboxAuthorization:
    authorization_id: str
    amount: Decimal
    currency: str
    captured: Decimal | None = None
    voided: bool = False
    captures: int = 0  # how many captures took effect (at most one per idempotency key)
    voids: int = 0


@dataclass
class SandboxPaymentGateway:
    """``PaymentGateway`` in sandbox mode. Thread-safe."""

    authorizations: dict[str, SandboxAuthorization] = field(default_factory=dict)
    # idempotency key -> the operation it was first used for
    operations: dict[str, tuple[str, str, Decimal | None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _first_use(self, key: str, operation: tuple[str, str, Decimal | None]) -> bool:
        """True if ``key`` is new (record it); False for a repeat of the same operation."""
        seen = self.operations.setdefault(key, operation)
        if seen != operation:
            raise IdempotencyKeyMismatchError(
                f"idempotency key {key!r} was used for {seen[0]} of {seen[1]}"
            )
        return seen is operation

    def authorize(
        self, *, idempotency_key: str, token: str, amount: Decimal, currency: str
    ) -> AuthorizationResult:
        if not token.strip():
            return AuthorizationResult(
                approved=False, authorization_id=None, reason="invalid_token"
            )
        if token == DECLINED_TOKEN:
            return AuthorizationResult(
                approved=False, authorization_id=None, reason="payment_declined"
            )
        authorization_id = authorization_id_for(idempotency_key)
        with self._lock:
            self.authorizations.setdefault(
                authorization_id, SandboxAuthorization(authorization_id, amount, currency)
            )
        return AuthorizationResult(approved=True, authorization_id=authorization_id)

    def capture(self, *, idempotency_key: str, authorization_id: str, amount: Decimal) -> None:
        """Capture ``amount``; a repeated key is a no-op."""
        with self._lock:
            if not self._first_use(idempotency_key, ("capture", authorization_id, amount)):
                return
            auth = self._known(authorization_id)
            auth.captured = (auth.captured or Decimal("0")) + amount
            auth.captures += 1

    def void(self, *, idempotency_key: str, authorization_id: str) -> None:
        """Void the (rest of the) authorization; a repeated key is a no-op."""
        with self._lock:
            if not self._first_use(idempotency_key, ("void", authorization_id, None)):
                return
            auth = self._known(authorization_id)
            auth.voided = True
            auth.voids += 1

    def _known(self, authorization_id: str) -> SandboxAuthorization:
        # Another worker may have authorized it: the id is all a sandbox needs to go on.
        return self.authorizations.setdefault(
            authorization_id, SandboxAuthorization(authorization_id, Decimal("0"), "")
        )
