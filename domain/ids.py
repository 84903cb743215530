"""Identifiers users choose (guest ids, hotel ids): a safe alphabet.

They become Table storage keys and event subjects, which forbid ``/ \\ # ?`` and control
characters; restricting them at the edge means a booking can never be accepted and then fail
forever in a downstream handler.
"""

from __future__ import annotations

import re
from typing import Final

SAFE_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$"
_SAFE_ID = re.compile(SAFE_ID_PATTERN)


def is_safe_id(value: str) -> bool:
    return _SAFE_ID.fullmatch(value) is not None
