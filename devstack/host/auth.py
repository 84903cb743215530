"""Function keys, as the Functions host checks them.

``anonymous`` needs no key; ``function`` and ``admin`` need a key, sent as the header
``x-functions-key`` or the query parameter ``code``. As in Azure, a ``function``-level route
accepts a function key or the master key, while an ``admin``-level route and the host's own
``/admin/*`` API accept only the master key (Azure/azure-functions-host:
``Security/Authentication/Keys/AuthenticationLevelHandler.cs`` asks the secret manager for the
level a key grants, ``Admin`` for the master key and ``Function`` for a function key). With no
function key configured nothing is enforced, as with Core Tools (``func start``) locally.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

KEY_HEADER = "x-functions-key"
KEY_QUERY = "code"


class AuthLevel(StrEnum):
    ANONYMOUS = "anonymous"
    FUNCTION = "function"
    ADMIN = "admin"

    @classmethod
    def parse(cls, value: object) -> AuthLevel:
        """From a binding's ``authLevel`` (``"FUNCTION"``, ``"function"`` or an enum)."""
        text = str(getattr(value, "value", value)).lower()
        try:
            return cls(text)
        except ValueError:
            raise ValueError(f"unknown authLevel {value!r}") from None


class KeyConfigError(ValueError):
    """The keys cannot be used as configured; the message says which setting to fix."""


@dataclass(frozen=True)
class HostKeys:
    """The host's keys; ``HostKeys.none()`` (no function key) checks nothing."""

    function_key: str | None
    master_key: str | None

    def __post_init__(self) -> None:
        if not self.function_key:
            return
        if not self.master_key:
            raise KeyConfigError(
                "DEVSTACK_MASTER_KEY must be set when DEVSTACK_FUNCTION_KEY is: admin routes and "
                "/admin/* accept only the master key (empty DEVSTACK_FUNCTION_KEY = no key checks)"
            )
        if self.master_key == self.function_key:
            # One key for both would let a function key open admin routes here but not in Azure.
            raise KeyConfigError("DEVSTACK_MASTER_KEY must differ from DEVSTACK_FUNCTION_KEY")

    @classmethod
    def none(cls) -> HostKeys:
        return cls(None, None)

    @property
    def enforced(self) -> bool:
        return bool(self.function_key)

    def allows(self, level: AuthLevel, presented: str | None) -> bool:
        """Whether a request at ``level`` carrying the key ``presented`` may go through."""
        if level is AuthLevel.ANONYMOUS or not self.enforced:
            return True
        if presented is None:
            return False
        accepted = [self.master_key]
        if level is AuthLevel.FUNCTION:
            accepted.append(self.function_key)
        # Compare against every key (no early exit) so timing does not tell which one matched.
        matches = [hmac.compare_digest(presented.encode(), key.encode()) for key in accepted if key]
        return any(matches)


def presented_key(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The key a request carries: the header wins over ``?code=``."""
    for name, value in headers.items():
        if name.lower() == KEY_HEADER:
            return value
    return query.get(KEY_QUERY)
