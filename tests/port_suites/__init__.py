"""Shared, abstract test suites of the ports: every adapter of a port passes the same suite.

A concrete test module subclasses each ``*Contract`` class as ``Test...`` and provides a
``factory`` fixture returning a ``PortFactory``: a ``TableStoreFactory`` on the in-memory store
(tests/unit/adapters/test_memory_ports.py) or on Azurite (tests/integration/adapters/
test_table_ports.py), or the dead-letter stores' own harness.
Tests isolate themselves by unique ids, so they can share one store for the whole session.
"""

from tests.port_suites.factory import PortFactory

__all__ = ["PortFactory"]
