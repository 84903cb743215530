"""Seeding the demo catalog once the stack's storage is ready (``LocalStack``'s
``on_storage_ready`` hook, as ``devstack up``, ``bench`` and the e2e tests use it)."""

from __future__ import annotations

from adapters.bootstrap import seed_catalog
from devstack.report import Report, component_line, print_line
from devstack.stack import StorageHook


def app_seed_hook(report: Report = print_line) -> StorageHook:
    """The hook ``devstack up`` passes as ``on_storage_ready``: seeds the demo catalog."""

    def hook(connection_string: str) -> None:
        seed_catalog(connection_string)
        report(component_line("seed", "done (adapters.bootstrap.seed_catalog)"))

    return hook
