"""The domain is pure: it imports nothing from Azure, adapters, handlers or I/O modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "domain"

FORBIDDEN_ROOTS = frozenset(
    {
        "azure",
        "adapters",
        "handlers",
        "function_app",
        "devstack",
        "infra",
        # I/O
        "asyncio",
        "http",
        "httpx",
        "io",
        "os",
        "pathlib",
        "requests",
        "shutil",
        "socket",
        "sqlite3",
        "subprocess",
        "tempfile",
        "urllib",
        "opentelemetry",
    }
)


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in (
            "open",
            "__import__",
        ):
            roots.add(f"<{getattr(node.func, 'id', '')}()>")
    return roots


DOMAIN_FILES = sorted(DOMAIN.glob("**/*.py"))


def test_the_domain_has_modules() -> None:
    assert {p.name for p in DOMAIN_FILES} >= {"events.py", "reservation.py", "billing.py"}


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: p.name)
def test_domain_module_is_pure(path: Path) -> None:
    roots = imported_roots(path)
    assert not roots & FORBIDDEN_ROOTS, f"{path.name} imports {sorted(roots & FORBIDDEN_ROOTS)}"
    assert not {r for r in roots if r.startswith("<")}, f"{path.name} does I/O"


def test_the_rule_catches_offenders(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os.path\nfrom azure.data.tables import TableClient\nopen('x')\n")
    assert imported_roots(bad) >= {"os", "azure", "<open()>"}
