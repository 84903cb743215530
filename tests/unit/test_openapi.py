"""openapi.yaml describes exactly the HTTP routes and methods that function_app.py serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.support.functions import FUNCTION_APP, indexed_functions

REPO = Path(__file__).resolve().parents[2]
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def _spec() -> dict[str, Any]:
    loaded = yaml.safe_load((REPO / "openapi.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _openapi_path(route: str) -> str:
    """A Functions route as OpenAPI writes it: OpenAPI has no catch-all parameter, so
    ``{*path}`` is written ``{path}``."""
    return "/" + route.replace("{*", "{")


def _served_operations() -> set[tuple[str, str]]:
    operations = set()
    for function in indexed_functions(FUNCTION_APP):
        trigger = function.get_trigger()
        if trigger is None or trigger.get_binding_name() != "httpTrigger":
            continue
        binding = trigger.get_dict_repr()
        route = _openapi_path(str(binding["route"]))
        for method in binding["methods"]:
            operations.add((str(method).lower(), route))
    return operations


def test_openapi_paths_match_the_function_app_routes() -> None:
    documented = {
        (method, path)
        for path, item in _spec()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    assert documented == _served_operations()


# The routes anyone may call: the health probe and the web console's static files (which hold
# no key; the page sends the user's key to the other routes).
ANONYMOUS = frozenset({"/health", "/console/{path}"})


def test_every_operation_but_the_anonymous_ones_requires_a_function_key() -> None:
    spec = _spec()
    assert spec["security"], "the API must declare function-key security by default"
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            assert ("security" in operation and operation["security"] == []) == (
                path in ANONYMOUS
            ), f"{method.upper()} {path}"
            assert "401" in operation["responses"] or path in ANONYMOUS


def test_the_anonymous_routes_are_the_anonymous_functions() -> None:
    anonymous = set()
    for function in indexed_functions(FUNCTION_APP):
        trigger = function.get_trigger()
        if trigger is None or trigger.get_binding_name() != "httpTrigger":
            continue
        binding = trigger.get_dict_repr()
        if str(binding.get("authLevel", "")).lower().endswith("anonymous"):
            anonymous.add(_openapi_path(str(binding["route"])))
    assert anonymous == ANONYMOUS
