"""The result of one invariant check: how much it examined and its violations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_SHOWN = 200  # violation lines kept per check (the count is always exact)


@dataclass
class Check:
    name: str
    description: str
    checked: int = 0
    violations: list[str] = field(default_factory=list)
    total_violations: int = 0

    @property
    def passed(self) -> bool:
        return self.total_violations == 0

    def fail(self, line: str) -> None:
        self.total_violations += 1
        if len(self.violations) < MAX_SHOWN:
            self.violations.append(line)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "passed": self.passed,
            "checked": self.checked,
            "violations": self.total_violations,
            "details": self.violations,
        }
