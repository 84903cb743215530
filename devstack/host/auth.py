"""Function keys, as the Functions host checks them.

``anonymous`` needs no key; ``function`` and ``admin`` need a key, sent as the header
``x-functions-key`` or the query parameter ``code``. The local host has one key that serves as
both the function key and the master key. With no key configured nothing is enforced, as with
Core Tools (``func start``) locally.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
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


def presented_key(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The key a request carries: the header wins over ``?code=``."""
    for name, value in headers.items():
        if name.lower() == KEY_HEADER:
            return value
    return query.get(KEY_QUERY)


def is_authorized(level: AuthLevel, configured_key: str | None, presented: str | None) -> bool:
    """Whether a request at ``level`` carrying ``presented`` may go through."""
    if level is AuthLevel.ANONYMOUS or configured_key is None:
        return True
    if presented is None:
        return False
    return hmac.compare_digest(presented.encode(), configured_key.encode())
