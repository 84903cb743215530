"""Every resource of the Bicep, its API version and every property it sets exist in the
azure-mgmt-* package of its provider (pinned in requirements-dev.txt), checked the way a Bicep
compiler would check them against its types: no Bicep compiler can be installed here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pycep import BicepParser

from tests.unit.infra.arm_models import (
    RESOURCE_MODELS,
    api_versions,
    check_reads,
    check_resource,
)
from tests.unit.infra.bicep_doc import INFRA, bicep_files, parse, strip_comments


def _resources() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path.relative_to(INFRA).as_posix(), symbol, resource)
        for path in bicep_files()
        for symbol, resource in parse(path).get("resources", {}).items()
    ]


@pytest.mark.parametrize(
    ("file", "symbol", "resource"), _resources(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_resource_matches_the_sdk_model_of_its_api_version(
    file: str, symbol: str, resource: dict[str, Any]
) -> None:
    assert check_resource(resource) == [], f"{file}: resource {symbol}"


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: p.relative_to(INFRA).as_posix())
def test_every_property_read_on_a_resource_exists(path: Path) -> None:
    text = strip_comments(path.read_text(encoding="utf-8"))
    assert check_reads(text, parse(path).get("resources", {})) == []


def test_a_misspelt_property_read_fails() -> None:
    text = (
        "resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {\n"
        "  name: 'stdemo'\n"
        "}\n"
        "output blob string = storage.properties.primaryEndpoint.blob\n"
        "output table string = storage.properties.primaryEndpoints.table\n"
    )
    tree: dict[str, Any] = dict(BicepParser().parse(text=text))
    assert check_reads(text, tree["resources"]) == [
        "storage.properties.primaryEndpoint: no such property in StorageAccount"
    ]


def test_every_resource_type_of_the_bicep_is_checked() -> None:
    used = {resource["type"].lower() for _, _, resource in _resources()}
    assert used == set(RESOURCE_MODELS), "map new types in RESOURCE_MODELS, drop unused ones"


def _problems(
    body: str, resource_type: str = "Microsoft.Storage/storageAccounts@2023-05-01"
) -> list[str]:
    text = f"resource broken '{resource_type}' = {body}\n"
    tree: dict[str, Any] = dict(BicepParser().parse(text=text))
    return check_resource(tree["resources"]["broken"])


STORAGE_ACCOUNT = """{
  name: 'stdemo'
  location: 'westeurope'
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    %s
  }
}"""


def test_a_correct_snippet_has_no_problem() -> None:
    assert _problems(STORAGE_ACCOUNT % "allowSharedKeyAccess: false") == []


def test_a_misspelt_property_fails() -> None:
    assert _problems(STORAGE_ACCOUNT % "allowSharedKeyAcess: false") == [
        "Microsoft.Storage/storageAccounts@2023-05-01: "
        "properties.allowSharedKeyAcess: no such property"
    ]


def test_an_unknown_api_version_fails() -> None:
    problems = _problems(
        STORAGE_ACCOUNT % "allowSharedKeyAccess: false",
        "Microsoft.Storage/storageAccounts@2023-05-02",
    )
    assert len(problems) == 1
    assert "does not ship API version 2023-05-02" in problems[0]
    assert "2023-05-01" in problems[0], "the message lists the versions the package has"


def test_an_unmapped_resource_type_fails() -> None:
    problems = _problems("{\n  name: 'kv'\n}", "Microsoft.KeyVault/vaults@2023-07-01")
    assert problems == [
        "Microsoft.KeyVault/vaults@2023-07-01: "
        "resource type not mapped to an azure-mgmt model (RESOURCE_MODELS)"
    ]


def test_a_misspelt_property_deep_inside_a_polymorphic_object_fails() -> None:
    body = """{
  parent: topic
  name: 'rooms'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${app.id}/functions/rooms'
        maxEventsPerBach: 1
      }
    }
  }
}"""
    assert _problems(body, "Microsoft.EventGrid/topics/eventSubscriptions@2022-06-15") == [
        "Microsoft.EventGrid/topics/eventSubscriptions@2022-06-15: "
        "properties.destination.properties.maxEventsPerBach: no such property"
    ]


def test_an_unknown_discriminator_value_fails() -> None:
    body = """{
  parent: topic
  name: 'rooms'
  properties: {
    destination: {
      endpointType: 'AzureFunctions'
    }
  }
}"""
    problems = _problems(body, "Microsoft.EventGrid/topics/eventSubscriptions@2022-06-15")
    assert len(problems) == 1
    assert "properties.destination.endpointType: 'AzureFunctions' is not one of" in problems[0]


def test_a_misspelt_property_in_an_array_item_built_by_a_loop_fails() -> None:
    body = """{
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [for c in containers: {
        name: c
        enabled: true
        type: 'Lifecycle'
        definition: {
          actions: {
            baseBlob: {
              tierToCool: {
                daysAfterModificationGreaterThen: 30
              }
            }
          }
        }
      }]
    }
  }
}"""
    assert _problems(body, "Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01") == [
        "Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01: "
        "properties.policy.rules[].definition.actions.baseBlob.tierToCool."
        "daysAfterModificationGreaterThen: no such property"
    ]


def test_setting_a_read_only_property_fails() -> None:
    body = """{
  name: 'hotel-events'
  location: 'westeurope'
  properties: {
    endpoint: 'https://example.invalid/api/events'
  }
}"""
    assert _problems(body, "Microsoft.EventGrid/topics@2022-06-15") == [
        "Microsoft.EventGrid/topics@2022-06-15: properties.endpoint: read-only, cannot be set"
    ]


def test_a_literal_of_the_wrong_kind_fails() -> None:
    assert _problems(STORAGE_ACCOUNT % "allowSharedKeyAccess: {\n      value: false\n    }") == [
        "Microsoft.Storage/storageAccounts@2023-05-01: "
        "properties.allowSharedKeyAccess: a bool is expected, not an object or array"
    ]
    assert _problems(STORAGE_ACCOUNT % "minimumTlsVersion: true") == [
        "Microsoft.Storage/storageAccounts@2023-05-01: "
        "properties.minimumTlsVersion: a str is expected, not a boolean"
    ]


def test_a_missing_required_property_fails() -> None:
    body = "{\n  name: 'stdemo'\n  location: 'westeurope'\n  kind: 'StorageV2'\n}"
    assert _problems(body) == [
        "Microsoft.Storage/storageAccounts@2023-05-01: sku: required, not set"
    ]


@pytest.mark.parametrize(
    ("package", "version"),
    [
        ("azure.mgmt.web", "2024-04-01"),
        ("azure.mgmt.storage", "2023-05-01"),
        ("azure.mgmt.eventgrid", "2022-06-15"),
        ("azure.mgmt.loganalytics", "2025-07-01"),
        ("azure.mgmt.applicationinsights", "2020-02-02"),
        ("azure.mgmt.authorization", "2022-04-01"),
    ],
)
def test_the_pinned_packages_ship_the_api_versions_of_the_bicep(package: str, version: str) -> None:
    assert version in api_versions(package)


def test_api_versions_of_a_single_api_package_is_its_default() -> None:
    assert api_versions("azure.mgmt.eventgrid") == ["2022-06-15"]
