"""The worker's one set of ports, built on first use and never at import.

Importing the entry points (the worker's indexing, tests, the Bicep consistency check) must have
no side effects, so the SDK clients and telemetry are set up by the first trigger that runs.
Triggers call ``wiring.ports()`` through the module, so a test replaces it in one place.
"""

from __future__ import annotations

import functools

from adapters.bootstrap import build_ports
from adapters.settings import Settings
from adapters.telemetry import configure_telemetry
from handlers.ports import DeadLetterStore, Ports


@functools.cache
def ports() -> Ports:
    """The worker's one set of SDK clients (and its telemetry), from the app settings."""
    settings = Settings.load()
    configure_telemetry(settings)
    return build_ports(settings)


def dead_letter_store() -> DeadLetterStore:
    store = ports().dead_letters
    if store is None:  # build_ports always wires it
        raise RuntimeError("no dead-letter store is configured")
    return store
