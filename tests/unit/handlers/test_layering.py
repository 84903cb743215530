"""The application layer talks to the outside world only through its ports (handlers/ports.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.test_architecture import imported_roots

HANDLERS = Path(__file__).resolve().parents[3] / "handlers"
# Adapters implement the ports; SDKs and telemetry live behind them.
FORBIDDEN_ROOTS = frozenset({"adapters", "azure", "opentelemetry", "function_app", "devstack"})


@pytest.mark.parametrize(
    "path", sorted(HANDLERS.glob("**/*.py")), ids=lambda p: str(p.relative_to(HANDLERS))
)
def test_handler_module_imports_no_adapter_sdk_or_telemetry(path: Path) -> None:
    roots = imported_roots(path)
    assert not roots & FORBIDDEN_ROOTS, f"{path.name} imports {sorted(roots & FORBIDDEN_ROOTS)}"
