"""Which saga step a storage call belongs to: the name of the function being invoked.

The entry points run every invocation inside ``saga_step(function_name)``; the storage adapters
read ``current_step()`` when they count a call (adapters/azure_tables.py), so the counter can say
what each step of a booking costs. A context variable, because the host runs invocations in a
thread pool and an Event Grid batch (or a test) may nest one step inside another.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final

NO_STEP: Final = ""  # a call made outside any function (start-up, seeding, a tool)

_STEP: ContextVar[str] = ContextVar("saga_step", default=NO_STEP)


def current_step() -> str:
    return _STEP.get()


@contextmanager
def saga_step(function_name: str) -> Iterator[None]:
    """Count the storage calls made inside as ``function_name``'s."""
    token = _STEP.set(function_name)
    try:
        yield
    finally:
        _STEP.reset(token)
