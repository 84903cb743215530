"""Errors the local Functions host raises."""

from __future__ import annotations


class HostStartError(RuntimeError):
    """The host refuses to start: the app could not be imported or indexed, or is invalid."""
