"""The stack's start-up report: one aligned line per component, printed as it happens."""

from __future__ import annotations

from collections.abc import Callable

Report = Callable[[str], None]


def print_line(line: str) -> None:
    """The default report: stdout, flushed at once so a slow start shows its progress."""
    print(line, flush=True)


def component_line(component: str, text: str) -> str:
    """``  azurite     <text>``: the component names line up in one column."""
    return f"  {component:<11} {text}"
