"""No key, connection string with a key, or SAS in the deployment or the settings samples: every
client authenticates with Microsoft Entra ID and managed identities."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import pytest

from tests.unit.infra.bicep_doc import INFRA, REPO, bicep_files, parse, strip_comments

SCANNED: Final = sorted(
    {
        *(p for p in INFRA.rglob("*") if p.is_file() and "__pycache__" not in p.parts),
        REPO / "azure.yaml",
        REPO / "local.settings.sample.json",
    }
)
FORBIDDEN: Final = {
    "storage account key": re.compile(r"AccountKey\s*=", re.I),
    "shared access key": re.compile(r"SharedAccessKey", re.I),
    "SAS signature": re.compile(r"[?&]sig=", re.I),
    "listKeys()": re.compile(r"\blist(Account)?Keys\s*\(", re.I),
    "listAccountSas()": re.compile(r"\blist(Account|Service)Sas\s*\(", re.I),
    "Event Grid key header": re.compile(r"aeg-sas-(key|token)", re.I),
    "full storage connection string": re.compile(r"DefaultEndpointsProtocol\s*=", re.I),
}


def _ids(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


@pytest.mark.parametrize("path", SCANNED, ids=_ids)
def test_no_secret_pattern(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for what, pattern in FORBIDDEN.items():
        assert not pattern.search(text), f"{_ids(path)} contains a {what}"


@pytest.mark.parametrize("path", bicep_files(), ids=_ids)
def test_no_key_or_secret_parameters(path: Path) -> None:
    for name, param in parse(path).get("parameters", {}).items():
        assert not re.search(r"key|secret|password|sas|token", name, re.I), f"param {name}"
        decorators = {d["type"] for d in param.get("decorators", [])}
        assert "secure" not in decorators, f"param {name} is a secret"


@pytest.mark.parametrize("path", bicep_files(), ids=_ids)
def test_no_output_exposes_keys(path: Path) -> None:
    for name in parse(path).get("outputs", {}):
        assert not re.search(r"key|secret|password|sas", name, re.I), f"output {name}"


@pytest.mark.parametrize("path", bicep_files(), ids=_ids)
def test_connection_strings_only_for_application_insights(path: Path) -> None:
    code = strip_comments(path.read_text(encoding="utf-8"))
    for line in code.splitlines():
        if re.search(r"connectionstring", line, re.I):
            assert re.search(r"appInsights|APPLICATIONINSIGHTS", line), line.strip()


def test_sample_settings_use_the_local_emulators_only() -> None:
    text = (REPO / "local.settings.sample.json").read_text(encoding="utf-8")
    assert "UseDevelopmentStorage=true" in text
    assert ".windows.net" not in text
    assert ".azure.net" not in text
