"""Helpers for the infra tests: parse Bicep with pycep and read its JSON-like tree.

pycep checks syntax only (no Bicep compiler can run here), so the tests check consistency: the
values and references in the parsed tree, rendered back to compact Bicep-like strings.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Final

from pycep import BicepParser

REPO: Final = Path(__file__).resolve().parents[3]
INFRA: Final = REPO / "infra"
MAIN: Final = INFRA / "main.bicep"
SUBSCRIPTIONS: Final = INFRA / "subscriptions.bicep"
MODULES: Final = INFRA / "modules"


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


@functools.cache
def parse(path: Path) -> dict[str, Any]:
    """The pycep tree of one file (raises on a syntax error)."""
    tree: dict[str, Any] = dict(BicepParser().parse(file_path=path))
    return tree


def render(node: object) -> str:
    """A compact Bicep-like rendering of an expression: `topic.id`, `guid(a, b)`, `'text'`."""
    if isinstance(node, str):
        return node
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, int):
        return str(node)
    if isinstance(node, dict) and "operator" in node:
        operator = node["operator"]
        operands = operator["operands"]
        if operator["type"] == "property_accessor":
            return f"{render(operands['operand_1'])}.{render(operands['operand_2'])}"
        if operator["type"] == "index_accessor":
            return f"{render(operands['operand_1'])}[{render(operands['operand_2'])}]"
        return f"{operator['type']}({', '.join(render(v) for v in operands.values())})"
    if isinstance(node, dict) and node.get("type") == "lambda_expression":
        detail = node["detail"]
        return f"{detail['var_1']} => {render(detail['expression'])}"
    if isinstance(node, list):
        return f"[{', '.join(render(item) for item in node)}]"
    if isinstance(node, dict) and "function" in node:
        function = node["function"]
        args = [render(v) for v in function["parameters"].values() if v is not None]
        return f"{function['type']}({', '.join(args)})"
    return repr(node)


def resource_body(resource: dict[str, Any]) -> dict[str, Any]:
    """The object of a resource, looking through a `[for ...]` loop."""
    config: dict[str, Any] = resource["config"]
    if "loop_type" in config:
        inner: dict[str, Any] = config["config"]
        return inner
    return config


def resources(path: Path, resource_type: str | None = None) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = parse(path).get("resources", {})
    return {
        name: resource
        for name, resource in found.items()
        if resource_type is None or resource["type"].lower() == resource_type.lower()
    }


def one_resource(path: Path, resource_type: str) -> dict[str, Any]:
    matches = resources(path, resource_type)
    assert len(matches) == 1, f"{path.name}: expected one {resource_type}, found {list(matches)}"
    return next(iter(matches.values()))


def strip_comments(text: str) -> str:
    """Bicep text without // and /* */ comments (good enough for our files: no '//' in strings
    other than URLs, which the tests do not look for)."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    return re.sub(r"(?m)(?<!:)//.*$", "", text)
