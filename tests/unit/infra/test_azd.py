"""azure.yaml deploys the app as a Python function (Flex Consumption) from infra/, and deploys
the Event Grid subscriptions after the code (phase 2)."""

from __future__ import annotations

import re
from typing import Final

import yaml

from tests.unit.infra.bicep_doc import MAIN, MODULES, REPO, parse

AZURE_YAML: Final = REPO / "azure.yaml"


def _yaml() -> str:
    return AZURE_YAML.read_text(encoding="utf-8")


def test_service_api_is_a_python_function_built_from_the_repo_root() -> None:
    service = re.search(r"(?ms)^services:\n  api:\n((?:    .*\n)+)", _yaml())
    assert service, "service `api` not found"
    body = service.group(1)
    assert re.search(r"(?m)^    project: \.$", body)
    assert re.search(r"(?m)^    language: python$", body)
    assert re.search(r"(?m)^    host: function$", body)


def test_infra_is_the_bicep_in_infra() -> None:
    infra = re.search(r"(?ms)^infra:\n((?:  .*\n)+)", _yaml())
    assert infra
    assert "  provider: bicep\n" in infra.group(1)
    assert "  path: infra\n" in infra.group(1)
    assert (REPO / "infra" / "main.bicep").is_file()


def test_hooks_register_providers_first_and_deploy_the_subscriptions_last() -> None:
    hooks = yaml.safe_load(_yaml())["hooks"]
    assert hooks["preprovision"]["run"] == "bash infra/deploy.sh --providers-only"
    assert hooks["postdeploy"]["run"] == "bash infra/deploy.sh --subscriptions-only"
    for hook in hooks.values():
        assert hook["continueOnError"] is False


def test_azd_finds_the_function_app_and_the_hook_finds_its_outputs() -> None:
    assert "'azd-service-name': 'api'" in (MODULES / "functionapp.bicep").read_text()
    outputs = set(parse(MAIN)["outputs"])
    assert {"FUNCTION_APP_NAME", "EVENTGRID_TOPIC_NAME", "STORAGE_ACCOUNT_NAME"} <= outputs
    script = (REPO / "infra" / "deploy.sh").read_text(encoding="utf-8")
    for name in ("FUNCTION_APP_NAME", "EVENTGRID_TOPIC_NAME", "STORAGE_ACCOUNT_NAME"):
        assert "${" + name + ":-" in script, f"deploy.sh does not read {name} from azd"
