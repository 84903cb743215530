"""The layers' import rules (README "How the saga works", docs/architecture.md).

- ``domain/`` is pure: it imports only itself, pydantic and the standard library, and no I/O;
- ``handlers/`` (the application layer) imports no adapter, no entry point and no Azure SDK,
  nor OpenTelemetry (spans belong to the entry points, counters to a port) or ``devstack/``;
- ``adapters/`` never imports ``entrypoints/``;
- of the deployed code, only ``entrypoints/`` and ``function_app.py`` import ``azure.functions``.

Imports are read from the source (``ast``), lazy ones inside functions included.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOMAIN = REPO / "domain"

FORBIDDEN_ROOTS = frozenset(
    {
        "azure",
        "adapters",
        "entrypoints",
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


# -- the other layers --------------------------------------------------------------------------


def imported_modules(path: Path, source: str | None = None) -> set[str]:
    """Every module ``path`` (or ``source``, as if at ``path``) imports, by its full dotted name,
    relative imports resolved against its package.

    ``from package import name`` counts as ``package`` and ``package.name`` (``name`` may be a
    module: ``from azure import functions``).
    """
    text = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(text, filename=str(path))
    package = list(path.relative_to(REPO).parent.parts) if path.is_relative_to(REPO) else []
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            modules.add(module)
            modules.update(f"{module}.{alias.name}" for alias in node.names)
    return modules


def within(module: str, prefixes: Iterable[str]) -> bool:
    """Whether ``module`` is one of ``prefixes`` or inside one of them."""
    return any(module == prefix or module.startswith(f"{prefix}.") for prefix in prefixes)


def offenders(path: Path, forbidden: Iterable[str]) -> list[str]:
    return sorted(m for m in imported_modules(path) if within(m, forbidden))


def python_files(*packages: str) -> list[Path]:
    return sorted(path for package in packages for path in (REPO / package).rglob("*.py"))


def label(path: Path) -> str:
    return str(path.relative_to(REPO))


DEPLOYED = [
    REPO / "function_app.py",
    *python_files("entrypoints", "handlers", "adapters", "domain"),
]
# Besides the standard library (minus the I/O modules above) and itself, the domain may use:
DOMAIN_MAY_IMPORT = ("domain", "pydantic")


def test_every_layer_has_modules() -> None:
    for package in ("entrypoints", "handlers", "adapters", "domain"):
        assert python_files(package), package


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=label)
def test_domain_imports_only_itself_pydantic_and_the_standard_library(path: Path) -> None:
    stdlib = set(sys.stdlib_module_names) - FORBIDDEN_ROOTS
    others = sorted(
        m
        for m in imported_modules(path)
        if not within(m, DOMAIN_MAY_IMPORT) and m.split(".")[0] not in stdlib
    )
    assert not others, f"{label(path)} imports {others}"


@pytest.mark.parametrize("path", python_files("handlers"), ids=label)
def test_handlers_import_no_adapter_entry_point_or_azure_sdk(path: Path) -> None:
    found = offenders(path, ("adapters", "entrypoints", "function_app", "azure"))
    assert not found, f"{label(path)} imports {found}: handlers work over handlers/ports.py"


@pytest.mark.parametrize("path", python_files("handlers"), ids=label)
def test_handlers_import_no_telemetry_sdk_or_local_platform(path: Path) -> None:
    found = offenders(path, ("opentelemetry", "devstack"))
    assert not found, (
        f"{label(path)} imports {found}: spans are opened by entrypoints/, counters go through "
        "the DeadLetterMetrics port, and devstack/ is never deployed"
    )


@pytest.mark.parametrize("path", python_files("adapters"), ids=label)
def test_adapters_never_import_entry_points(path: Path) -> None:
    found = offenders(path, ("entrypoints", "function_app"))
    assert not found, f"{label(path)} imports {found}"


@pytest.mark.parametrize(
    "path",
    [p for p in DEPLOYED if p.name != "function_app.py" and "entrypoints" not in p.parts],
    ids=label,
)
def test_only_entry_points_import_azure_functions(path: Path) -> None:
    found = offenders(path, ("azure.functions",))
    assert not found, f"{label(path)} imports {found}: Functions types belong in entrypoints/"


@pytest.mark.parametrize(
    "path",
    [*DEPLOYED, *python_files("devstack", "infra", "bench", "chaos")],
    ids=label,
)
def test_no_code_outside_the_tests_imports_a_test_fake(path: Path) -> None:
    found = offenders(path, ("tests",))
    assert not found, f"{label(path)} imports {found}: fakes live in tests/ and are not deployed"


def test_the_entry_points_are_where_azure_functions_is_used() -> None:
    users = {label(p) for p in DEPLOYED if offenders(p, ("azure.functions",))}
    assert "function_app.py" in users
    assert {user.split("/")[0] for user in users} == {"function_app.py", "entrypoints"}


def test_the_import_reader_sees_every_form(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import azure.functions as func\n"
        "from azure import functions\n"
        "from adapters.tables import TableStore\n"
        "def lazy() -> None:\n"
        "    from entrypoints import wiring\n",
        encoding="utf-8",
    )
    modules = imported_modules(bad)
    assert {"azure.functions", "adapters.tables", "entrypoints.wiring"} <= modules
    assert offenders(bad, ("azure.functions",)) == ["azure.functions"]
    assert offenders(bad, ("adapters", "entrypoints")) == [
        "adapters.tables",
        "adapters.tables.TableStore",
        "entrypoints",
        "entrypoints.wiring",
    ]
    assert not within("azure.functionsx", ("azure.functions",))


def test_relative_imports_are_resolved_against_the_package() -> None:
    probe = REPO / "handlers" / "probe.py"  # never written: only its place in the tree counts
    modules = imported_modules(probe, "from ..adapters import tables\nfrom . import ports\n")
    assert {"adapters.tables", "handlers.ports"} <= modules
