"""Shared, abstract test suites of the ports: every adapter of a port passes the same suite.

A concrete test module subclasses each ``*Contract`` class as ``Test...`` and provides a
``factory`` fixture returning a ``PortFactory`` (tests/unit/adapters/test_memory_ports.py for
the fakes, tests/integration/adapters/test_table_ports.py for Azure Tables on Azurite).
Tests isolate themselves by unique ids, so they can share one store for the whole session.
"""

from tests.port_suites.factory import PortFactory

__all__ = ["PortFactory"]
