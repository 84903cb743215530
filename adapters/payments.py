"""The sandbox payment gateway: deterministic, idempotent, and safe to run in Azure too.

It behaves like a real gateway's test mode: ``tok_declined`` is declined, any other non-empty
token is approved. Authorization ids derive from the idempotency key (the reservation id), so a
redelivered saga step gets the same authorization back and never authorizes twice. Capture and
void are idempotent; their record is per process (a real gateway keeps it server-side), which the
domain does not depend on: it records captures and voids in its own aggregate.
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


@dataclass
class SandboxAuthorization:
    authorization_id: str
    amount: Decimal
    currency: str
    captured: Decimal | None = None
    voided: bool = False


@dataclass
class SandboxPaymentGateway:
    """``PaymentGateway`` in sandbox mode. Thread-safe."""

    authorizations: dict[str, SandboxAuthorization] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

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

    def capture(self, *, authorization_id: str, amount: Decimal) -> None:
        """Capture once; a repeated capture is a no-op (the first amount stands)."""
        with self._lock:
            auth = self._known(authorization_id)
            if auth.captured is None:
                auth.captured = amount

    def void(self, *, authorization_id: str) -> None:
        """Void the (rest of the) authorization; idempotent."""
        with self._lock:
            self._known(authorization_id).voided = True

    def _known(self, authorization_id: str) -> SandboxAuthorization:
        # Another worker may have authorized it: the id is all a sandbox needs to go on.
        return self.authorizations.setdefault(
            authorization_id, SandboxAuthorization(authorization_id, Decimal("0"), "")
        )
