from __future__ import annotations

from tests.unit.handlers.conftest import bus, clock, ports

__all__ = ["bus", "clock", "ports"]
