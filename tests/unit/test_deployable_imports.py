"""What Azure deploys (function_app.py, entrypoints/, domain/, handlers/, adapters/) imports only
what Azure installs: the standard library, its own packages and requirements.txt. devstack/ and
tests/ are excluded by .funcignore and their dependencies live in requirements-dev.txt."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"adapters", "domain", "entrypoints", "handlers", "function_app"}
# Top-level import names of requirements.txt's packages.
RUNTIME = {"azure", "pydantic", "pydantic_settings", "opentelemetry"}


def deployed_files() -> list[Path]:
    files = [REPO / "function_app.py"]
    for package in ("entrypoints", "domain", "handlers", "adapters"):
        files += sorted((REPO / package).rglob("*.py"))
    return files


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", deployed_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_deployed_code_imports_only_what_azure_installs(path: Path) -> None:
    allowed = set(sys.stdlib_module_names) | FIRST_PARTY | RUNTIME
    assert imported_roots(path) <= allowed, imported_roots(path) - allowed


def test_requirements_txt_pins_every_runtime_root() -> None:
    pins = (REPO / "requirements.txt").read_text(encoding="utf-8")
    for name in ("azure-functions", "pydantic==", "pydantic-settings==", "opentelemetry-api=="):
        assert name in pins
    assert all("==" in line for line in pins.splitlines() if line and not line.startswith("#"))
