"""azure.yaml's hooks and infra/deploy.sh, run for real against a fake `az` that records its
arguments (a subprocess, no network): what azd's environment makes the script do."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

import pytest
import yaml

from tests.unit.infra.bicep_doc import INFRA, REPO

FAKE_AZ: Final = '''#!{python}
"""A fake Azure CLI: appends its argv to AZ_LOG (one JSON line) and answers what deploy.sh asks."""
import json, os, sys, time
args = sys.argv[1:]
with open(os.environ["AZ_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(args) + "\\n")
words = " ".join(args)
if words.startswith("account show"):
    if os.environ.get("FAKE_LOGGED_OUT"):
        sys.exit(1)
    if "user.type" in words:
        print(os.environ.get("FAKE_LOGIN", "user"))
    elif "user.name" in words:
        print("ci-app-id")
    elif "--query" in words:
        print("Sub\\tsub-id")
elif words.startswith("provider show"):
    print(os.environ.get("FAKE_PROVIDER_STATE", "NotRegistered"))
elif words.startswith("ad signed-in-user show"):
    print("user-object-id")
elif words.startswith("ad sp show"):
    print("sp-object-id")
elif words.startswith("deployment group show"):
    print(args[args.index("--query") + 1].split(".")[2].lower().replace("_", "-"))
elif words.startswith("functionapp function list"):
    routing = json.load(open(os.environ["ROUTING_JSON"], encoding="utf-8"))
    for route in routing["subscriptions"]:
        print("app/" + route["functionName"])
elif words.startswith("functionapp deployment source config-zip"):
    marker = os.environ.get("FAKE_HANG_ONCE")
    if marker and not os.path.exists(marker):
        open(marker, "w").close()
        time.sleep(120)  # an unhealthy Flex host: config-zip never returns
'''
# What the script needs besides az; `zip` left out on purpose where a test says so.
TOOLS: Final = (
    "bash",
    "sh",
    "dirname",
    "tr",
    "sleep",
    "cat",
    "mktemp",
    "rm",
    "mkdir",
    "timeout",
    "python3",
)


def _hook(name: str) -> str:
    document = yaml.safe_load((REPO / "azure.yaml").read_text(encoding="utf-8"))
    command: str = document["hooks"][name]["run"]
    assert document["hooks"][name]["shell"] == "sh"
    return command


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    """A PATH directory with the fake az and the few tools the script uses (no zip)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, f"{tool} not installed"
        (bin_dir / tool).symlink_to(found)
    az = bin_dir / "az"
    az.write_text(FAKE_AZ.format(python=sys.executable), encoding="utf-8")
    az.chmod(0o755)
    return bin_dir


def _run(
    command: str, fake_bin: Path, tmp_path: Path, env: dict[str, str], *, with_zip: bool = False
) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    log = tmp_path / "az.log"
    log.write_text("", encoding="utf-8")
    path = str(fake_bin)
    if with_zip:
        zip_tool = shutil.which("zip")
        assert zip_tool
        path += os.pathsep + str(Path(zip_tool).parent)
    result = subprocess.run(
        ["sh", "-c", command],
        cwd=REPO,
        env={
            "PATH": path,
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
            "AZ_LOG": str(log),
            "ROUTING_JSON": str(INFRA / "routing.json"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return result, calls


def _index(calls: list[list[str]], *prefix: str) -> int:
    for index, call in enumerate(calls):
        if call[: len(prefix)] == list(prefix):
            return index
    raise AssertionError(f"az {' '.join(prefix)} was not called: {calls}")


AZD_ENV: Final = {
    "AZURE_ENV_NAME": "ci_run.2031-with-a-long-name",
    "AZURE_RESOURCE_GROUP": "rg-azd",
    "AZURE_SUBSCRIPTION_ID": "11111111-2222-3333-4444-555555555555",
    "FUNCTION_APP_NAME": "func-app",
    "EVENTGRID_TOPIC_NAME": "hotel-events-abc",
    "STORAGE_ACCOUNT_NAME": "stabc",
}


def test_postdeploy_selects_azds_subscription_before_anything_else_and_needs_no_zip(
    fake_bin: Path, tmp_path: Path
) -> None:
    assert shutil.which("zip", path=str(fake_bin)) is None
    result, calls = _run(_hook("postdeploy"), fake_bin, tmp_path, AZD_ENV)
    assert result.returncode == 0, result.stderr
    selected = _index(calls, "account", "set", "--subscription", AZD_ENV["AZURE_SUBSCRIPTION_ID"])
    listed = _index(calls, "functionapp", "function", "list")
    deployed = _index(calls, "deployment", "group", "create")
    assert selected < listed < deployed
    create = calls[deployed]
    assert create[create.index("--resource-group") + 1] == "rg-azd"
    assert create[create.index("--template-file") + 1] == "infra/subscriptions.bicep"
    assert "functionAppName=func-app" in create
    assert "topicName=hotel-events-abc" in create
    assert "storageAccountName=stabc" in create
    assert len(create[create.index("--name") + 1]) <= 64, "an ARM deployment name limit"
    assert not [c for c in calls if c[:2] == ["deployment", "group"] and "show" in c], (
        "azd exported the outputs: nothing to look up"
    )


def test_without_a_subscription_id_the_cli_default_stays(fake_bin: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in AZD_ENV.items() if k != "AZURE_SUBSCRIPTION_ID"}
    result, calls = _run(_hook("postdeploy"), fake_bin, tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert not [c for c in calls if c[:2] == ["account", "set"]]


def test_after_only_azd_auth_login_the_hook_says_to_run_az_login(
    fake_bin: Path, tmp_path: Path
) -> None:
    result, calls = _run(
        _hook("postdeploy"), fake_bin, tmp_path, {**AZD_ENV, "FAKE_LOGGED_OUT": "1"}
    )
    assert result.returncode != 0
    assert "run 'az login'" in result.stderr
    assert "'azd auth login' alone is not enough" in result.stderr
    assert calls == [["account", "show", "--output", "none"]]


@pytest.mark.parametrize(("state", "registers"), [("NotRegistered", True), ("Registered", False)])
def test_preprovision_registers_microsoft_app_when_needed(
    fake_bin: Path, tmp_path: Path, state: str, registers: bool
) -> None:
    env = {
        "AZURE_ENV_NAME": "demo",
        "AZURE_SUBSCRIPTION_ID": AZD_ENV["AZURE_SUBSCRIPTION_ID"],
        "FAKE_PROVIDER_STATE": state,
    }
    # azd runs preprovision before it has a resource group: the hook must not need one.
    result, calls = _run(_hook("preprovision"), fake_bin, tmp_path, env)
    assert result.returncode == 0, result.stderr
    selected = _index(calls, "account", "set", "--subscription", env["AZURE_SUBSCRIPTION_ID"])
    shown = _index(calls, "provider", "show", "--namespace", "Microsoft.App")
    assert selected < shown
    register = ["provider", "register", "--namespace", "Microsoft.App", "--wait"]
    assert (register in calls) is registers
    assert not [c for c in calls if c[0] in {"deployment", "group", "functionapp"}]


def test_a_ci_login_deploys_as_service_principal_and_a_hung_zip_deploy_is_retried(
    fake_bin: Path, tmp_path: Path
) -> None:
    env = {
        **AZD_ENV,
        "FAKE_LOGIN": "servicePrincipal",
        "FAKE_HANG_ONCE": str(tmp_path / "hung-once"),
        "DEPLOY_TIMEOUT_SECONDS": "2",
        "DEPLOY_RETRY_DELAY_SECONDS": "0",
    }
    started = time.monotonic()
    result, calls = _run("bash infra/deploy.sh", fake_bin, tmp_path, env, with_zip=True)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 60, "the hung attempt was cut at its bound"
    create = calls[_index(calls, "deployment", "group", "create")]
    assert create[create.index("--template-file") + 1] == "infra/main.bicep"
    assert "operatorPrincipalType=ServicePrincipal" in create
    assert "operatorPrincipalId=sp-object-id" in create
    assert f"environmentName={AZD_ENV['AZURE_ENV_NAME']}" in create
    zip_deploys = [
        c for c in calls if c[:4] == ["functionapp", "deployment", "source", "config-zip"]
    ]
    assert len(zip_deploys) == 2, "the first attempt hung, was stopped, and the retry ran"
    assert "took over 2s" in result.stderr
    assert _index(calls, "provider", "show") < _index(calls, "deployment", "group", "create")


def test_azd_principal_type_reaches_the_bicep_parameter() -> None:
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))
    assert parameters["parameters"]["operatorPrincipalType"] == {
        "value": "${AZURE_PRINCIPAL_TYPE=User}"
    }
    assert parameters["parameters"]["operatorPrincipalId"] == {"value": "${AZURE_PRINCIPAL_ID=}"}
