"""docs/api.md describes every route of openapi.yaml, and no other, so the two cannot drift."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import yaml

REPO: Final = Path(__file__).resolve().parents[2]
HTTP_METHODS: Final = {"get", "post", "put", "patch", "delete"}
# Each route is one heading: ### `POST /reservations/{id}/cancel`
ROUTE_HEADING: Final = re.compile(r"^### `([A-Z]+) (/\S*)`$", re.MULTILINE)


def _openapi_routes() -> set[str]:
    spec = yaml.safe_load((REPO / "openapi.yaml").read_text(encoding="utf-8"))
    return {
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def _documented_routes() -> list[str]:
    text = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    return [f"{method} {path}" for method, path in ROUTE_HEADING.findall(text)]


def test_every_openapi_route_has_its_section_in_the_api_doc() -> None:
    assert _openapi_routes() - set(_documented_routes()) == set()


def test_the_api_doc_describes_no_route_openapi_lacks_and_none_twice() -> None:
    documented = _documented_routes()
    assert set(documented) - _openapi_routes() == set()
    assert len(documented) == len(set(documented))
