"""The error ``python -m devstack up`` turns into one ``error: ...`` line."""

from __future__ import annotations


class StackError(RuntimeError):
    """The stack cannot start; the message is one line saying what to do."""
