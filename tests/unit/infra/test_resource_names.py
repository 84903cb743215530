"""Resource names from any environment name azd accepts (1-64 letters, digits, '-', '_', '.', '(',
')')
are valid Azure names: main.bicep's name expressions are evaluated here for such names."""

from __future__ import annotations

import re
from typing import Any, Final

import pytest

from tests.unit.infra.bicep_doc import MAIN, parse

# What uniqueString() returns: 13 lower-case letters and digits.
RESOURCE_TOKEN: Final = "abcdefgh12345"
# Azure's naming rules (Microsoft Learn, "Naming rules and restrictions for Azure resources").
RULES: Final = {
    ("monitoring", "logAnalyticsName"): r"[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]",
    ("monitoring", "appInsightsName"): r"[^%&\\?/]{1,259}[^%&\\?/. ]",
    ("storage", "storageAccountName"): r"[a-z0-9]{3,24}",
    ("functionApp", "planName"): r"[A-Za-z0-9-]{1,60}",
    ("functionApp", "functionAppName"): r"[A-Za-z0-9][A-Za-z0-9-]{0,58}[A-Za-z0-9]",
}


def _evaluate(node: Any, scope: dict[str, str]) -> Any:
    """The few Bicep functions the name expressions use, on concrete values."""
    if isinstance(node, str):
        if node in scope:
            return scope[node]
        return re.sub(r"\$\{(\w+)\}", lambda m: scope[m[1]], node)
    if isinstance(node, int):
        return node
    function = node["function"]
    args = [_evaluate(v, scope) for v in function["parameters"].values()]
    match function["type"]:
        case "to_lower":
            return args[0].lower()
        case "replace":
            return args[0].replace(args[1], args[2])
        case "take":
            return args[0][: args[1]]
    raise AssertionError(f"evaluate {function['type']} too")


def _names(environment_name: str) -> dict[tuple[str, str], str]:
    main = parse(MAIN)
    variables = main["variables"]
    scope = {"environmentName": environment_name, "resourceToken": RESOURCE_TOKEN}
    for name in ("envName", "shortName"):
        scope[name] = _evaluate(variables[name]["value"], scope)
    return {
        (module, param): _evaluate(main["modules"][module]["config"]["params"][param], scope)
        for module, param in RULES
    }


@pytest.mark.parametrize(
    "environment_name",
    ["demo", "Prod", "team_a.feature-x", "a" * 64, "x.y_z-" * 10 + "abcd", "a", "(x)", "-_.()"],
)
def test_every_resource_name_is_valid(environment_name: str) -> None:
    for where, name in _names(environment_name).items():
        assert re.fullmatch(RULES[where], name), f"{where}: {name!r}"


def test_names_are_sanitised_and_cut_to_twenty_characters() -> None:
    names = _names("Team_A.Feature-With-A-Long-Name")
    assert names["functionApp", "functionAppName"] == f"func-team-a-feature-with--{RESOURCE_TOKEN}"
    assert names["storage", "storageAccountName"] == f"stteamafea{RESOURCE_TOKEN}"


def test_the_parameter_takes_what_azd_allows() -> None:
    decorators = {
        d["type"]: d["argument"]
        for d in parse(MAIN)["parameters"]["environmentName"]["decorators"]
        if d["type"] in {"min_length", "max_length"}
    }
    assert decorators == {"min_length": 1, "max_length": 64}


def test_the_token_comes_from_the_whole_name() -> None:
    token = parse(MAIN)["variables"]["resourceToken"]["value"]["function"]["parameters"]
    unique = token["string_to_change"]["function"]
    assert unique["type"] == "unique_string"
    last = list(unique["parameters"].values())[-1]
    assert last == {
        "function": {"type": "to_lower", "parameters": {"string_to_change": "environmentName"}}
    }
