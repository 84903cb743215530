"""Azure Table storage's limits, in one place: the Table adapters and the in-memory fakes both
enforce them, so a test on the fakes fails where Azure would."""

from __future__ import annotations

from typing import Final

MAX_TRANSACTION_OPERATIONS: Final = 100  # one entity-group transaction, one partition
MAX_STRING_PROPERTY_BYTES: Final = 64 * 1024  # a string property is UTF-16: 32 K characters


def string_property(value: str, name: str) -> str:
    """``value`` if it fits one string property, else ValueError naming the property."""
    if len(value.encode("utf-16-le")) > MAX_STRING_PROPERTY_BYTES:
        raise ValueError(f"{name} is over the 64 KiB limit of a table string property")
    return value


def check_transaction_size(operations: int) -> None:
    if operations > MAX_TRANSACTION_OPERATIONS:
        raise ValueError(
            f"a save needs {operations} operations; one transaction allows "
            f"{MAX_TRANSACTION_OPERATIONS}"
        )
