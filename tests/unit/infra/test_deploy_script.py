"""infra/deploy.sh is shellcheck-clean, and a dry run prints both deployment phases and the code
deployment without calling az (it works where az is not even installed)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Final

import pytest

from tests.unit.infra.bicep_doc import INFRA, MAIN, REPO, parse

DEPLOY_SH: Final = INFRA / "deploy.sh"
SHELLCHECK: Final = Path(sys.executable).parent / "shellcheck"
DRY_RUN_ARGS: Final = ("--dry-run", "-g", "rg", "-l", "westeurope", "-n", "demo")


def _path_without_az() -> str:
    """PATH minus every directory that holds an `az`."""
    dirs = [*os.environ.get("PATH", "").split(os.pathsep), "/usr/bin", "/bin"]
    kept = [d for d in dict.fromkeys(dirs) if d and not (Path(d) / "az").exists()]
    return os.pathsep.join(kept)


def _run(*args: str, path: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {"PATH": path, "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    return subprocess.run(
        ["bash", str(DEPLOY_SH), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def dry_run() -> subprocess.CompletedProcess[str]:
    result = _run(*DRY_RUN_ARGS, path=_path_without_az())
    assert result.returncode == 0, result.stderr
    return result


def _commands(output: str) -> list[str]:
    return [line[2:] for line in output.splitlines() if line.startswith("+ ")]


def test_deploy_script_passes_shellcheck() -> None:
    assert SHELLCHECK.exists(), f"{SHELLCHECK} missing: install requirements-dev.txt"
    result = subprocess.run(
        [str(SHELLCHECK), "--shell=bash", "--severity=style", str(DEPLOY_SH)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_script_is_strict_bash() -> None:
    text = DEPLOY_SH.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in text


def test_dry_run_prints_both_phases_and_the_code_deployment(
    dry_run: subprocess.CompletedProcess[str],
) -> None:
    commands = _commands(dry_run.stdout)
    phase1 = [c for c in commands if c.startswith("az deployment group create")]
    assert len(phase1) == 2, commands
    assert "--template-file infra/main.bicep" in phase1[0]
    assert "--resource-group rg" in phase1[0]
    assert "--template-file infra/subscriptions.bicep" in phase1[1]
    assert any(c.startswith("az group create --name rg --location westeurope") for c in commands)
    zip_deploy = [c for c in commands if "az functionapp deployment source config-zip" in c]
    assert len(zip_deploy) == 1, commands
    assert "--build-remote true" in zip_deploy[0]
    assert any(c.startswith("zip ") for c in commands)
    order = [commands.index(c) for c in (phase1[0], zip_deploy[0], phase1[1])]
    assert order == sorted(order), "infrastructure, then code, then subscriptions"


def test_dry_run_checks_the_login_and_explains_how_to_get_a_key(
    dry_run: subprocess.CompletedProcess[str],
) -> None:
    assert "az account show --output none" in _commands(dry_run.stdout)
    assert "az functionapp keys list" in dry_run.stdout
    assert "x-functions-key" in dry_run.stdout


def test_dry_run_overrides_every_azd_placeholder_of_the_parameters_file(
    dry_run: subprocess.CompletedProcess[str],
) -> None:
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))
    placeholders = {
        name
        for name, entry in parameters["parameters"].items()
        if isinstance(entry["value"], str) and "${" in entry["value"]
    }
    phase1 = next(c for c in _commands(dry_run.stdout) if "infra/main.bicep" in c)
    assert "--parameters @infra/main.parameters.json" in phase1
    for name in placeholders:
        assert re.search(rf"(^| |')({name})=", phase1), f"{name} is not overridden"


def test_parameters_file_sets_only_parameters_main_bicep_declares() -> None:
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))
    assert set(parameters["parameters"]) <= set(parse(MAIN)["parameters"])


def test_dry_run_never_calls_az_even_when_it_is_installed(tmp_path: Path) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    called = tmp_path / "az-was-called"
    fake_az = fake_bin / "az"
    fake_az.write_text(f'#!/bin/sh\ntouch "{called}"\nexit 97\n', encoding="utf-8")
    fake_az.chmod(0o755)
    result = _run(*DRY_RUN_ARGS, path=os.pathsep.join([str(fake_bin), _path_without_az()]))
    assert result.returncode == 0, result.stderr
    assert not called.exists()


def test_missing_resource_group_is_a_clear_error() -> None:
    result = _run("--dry-run", "-n", "demo", path=_path_without_az())
    assert result.returncode != 0
    assert "missing --resource-group" in result.stderr


def test_a_real_run_without_az_stops_with_an_install_hint() -> None:
    result = _run("-g", "rg", "-n", "demo", path=_path_without_az())
    assert result.returncode != 0
    assert "'az' is not installed" in result.stderr
    assert "install-azure-cli" in result.stderr


@pytest.mark.skipif(shutil.which("zip") is None, reason="zip is not installed")
def test_package_respects_funcignore(tmp_path: Path) -> None:
    archive = tmp_path / "out" / "app.zip"
    result = _run("--package-only", str(archive), path=_path_without_az())
    assert result.returncode == 0, result.stderr
    names = zipfile.ZipFile(archive).namelist()
    assert {"function_app.py", "host.json", "requirements.txt"} <= set(names)
    # Every package function_app.py imports, directly or not, is shipped.
    for package in ("entrypoints", "handlers", "adapters", "domain"):
        assert f"{package}/__init__.py" in names, package
    top_level = {name.split("/", 1)[0] for name in names}
    for ignored in ("infra", "tests", "devstack", ".venv", "node_modules", "local.settings.json"):
        assert ignored not in top_level, ignored
    assert not [n for n in names if "__pycache__" in n or n.endswith(".md")]


def _dry_run(*args: str, env: dict[str, str] | None = None) -> list[str]:
    result = subprocess.run(
        ["bash", str(DEPLOY_SH), "--dry-run", *args],
        cwd=REPO,
        env={"PATH": _path_without_az(), "HOME": os.environ.get("HOME", "/tmp"), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return _commands(result.stdout)


def test_dry_run_selects_the_subscription_first() -> None:
    commands = _dry_run("-g", "rg", "-s", "sub-1")
    assert commands[1] == "az account set --subscription sub-1"
    assert commands == _dry_run("-g", "rg", env={"AZURE_SUBSCRIPTION_ID": "sub-1"})


def test_dry_run_registers_microsoft_app_before_provisioning() -> None:
    commands = _dry_run("-g", "rg")
    register = commands.index("az provider register --namespace Microsoft.App --wait")
    phase1 = next(i for i, c in enumerate(commands) if "infra/main.bicep" in c)
    assert register < phase1
    assert _dry_run("--providers-only") == [
        "az account show --output none",
        "az provider show --namespace Microsoft.App --query registrationState --output tsv",
        "az provider register --namespace Microsoft.App --wait",
    ]


@pytest.mark.parametrize(
    ("env", "expected"),
    [({}, "User"), ({"AZURE_PRINCIPAL_TYPE": "ServicePrincipal"}, "ServicePrincipal")],
)
def test_dry_run_passes_the_principal_type(env: dict[str, str], expected: str) -> None:
    phase1 = next(c for c in _dry_run("-g", "rg", env=env) if "infra/main.bicep" in c)
    assert f" operatorPrincipalType={expected} " in phase1


def test_dry_run_bounds_the_zip_deployment() -> None:
    zip_deploy = next(c for c in _dry_run("-g", "rg") if "config-zip" in c)
    assert zip_deploy.startswith("timeout --kill-after=30 900 az functionapp deployment source")


def test_azd_environment_names_are_accepted_and_deployment_names_fit() -> None:
    name = "team_a.(feature)-" + "x" * 47  # 64 characters, as azd allows
    commands = _dry_run("-g", "rg", "-n", name)
    deployments = [
        shlex.split(c)[shlex.split(c).index("--name") + 1]
        for c in commands
        if "deployment group" in c
    ]
    assert deployments, commands
    assert all(len(d) <= 64 for d in deployments), deployments
    phase1 = next(c for c in commands if "infra/main.bicep" in c)
    assert f"environmentName={name}" in shlex.split(phase1), "the Bicep sanitises it (one place)"


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "semi;colon", "a/b"])
def test_invalid_environment_names_are_refused(name: str) -> None:
    result = _run("--dry-run", "-g", "rg", "-n", name, path=_path_without_az())
    assert result.returncode != 0
    assert "--name must be 1-64" in result.stderr


def test_subscriptions_only_dry_run_does_not_zip() -> None:
    commands = _dry_run("-g", "rg", "--subscriptions-only")
    assert not [c for c in commands if c.startswith("zip ") or "config-zip" in c]
    assert any("infra/subscriptions.bicep" in c for c in commands)
