"""The Bicep parses, its modules are wired consistently and its resources are configured as the
deployment needs (keyless storage, Flex Consumption, CloudEvents topic without local auth)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.unit.infra.bicep_doc import (
    INFRA,
    MAIN,
    MODULES,
    SUBSCRIPTIONS,
    bicep_files,
    one_resource,
    parse,
    render,
    resource_body,
)


def test_the_expected_bicep_files_exist() -> None:
    names = {path.relative_to(INFRA).as_posix() for path in bicep_files()}
    assert {"main.bicep", "subscriptions.bicep"} <= names
    assert any(name.startswith("modules/") for name in names)


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: p.relative_to(INFRA).as_posix())
def test_every_bicep_file_parses(path: Path) -> None:
    tree = parse(path)
    assert tree.get("resources") or tree.get("modules"), f"{path.name} declares nothing"


def _module_paths() -> dict[str, Path]:
    return {
        symbol: (MAIN.parent / module["detail"]["path"]).resolve()
        for symbol, module in parse(MAIN)["modules"].items()
    }


def test_main_passes_each_module_exactly_the_parameters_it_declares() -> None:
    for symbol, module in parse(MAIN)["modules"].items():
        path = _module_paths()[symbol]
        assert path.is_file(), f"module {symbol}: {path} does not exist"
        declared: dict[str, Any] = parse(path).get("parameters", {})
        passed = set(module["config"]["params"])
        assert passed <= set(declared), f"{symbol}: unknown params {passed - set(declared)}"
        required = {name for name, p in declared.items() if p.get("default") is None}
        assert required <= passed, f"{symbol}: missing params {required - passed}"


@pytest.mark.parametrize("path", [MAIN, *sorted(MODULES.glob("*.bicep"))], ids=lambda p: p.name)
def test_every_module_output_used_exists(path: Path) -> None:
    modules = _module_paths() if path == MAIN else {}
    for symbol, output in re.findall(r"\b(\w+)\.outputs\.(\w+)", path.read_text()):
        assert symbol in modules, f"{path.name}: {symbol} is not a module"
        outputs = parse(modules[symbol]).get("outputs", {})
        assert output in outputs, f"{path.name}: {symbol} has no output {output}"


def test_subscriptions_bicep_takes_the_names_main_bicep_outputs() -> None:
    outputs = parse(MAIN)["outputs"]
    params = parse(SUBSCRIPTIONS)["parameters"]
    assert set(params) == {"functionAppName", "topicName", "storageAccountName"}
    assert {"FUNCTION_APP_NAME", "EVENTGRID_TOPIC_NAME", "STORAGE_ACCOUNT_NAME"} <= set(outputs)


def test_storage_account_is_keyless_and_private() -> None:
    account = resource_body(
        one_resource(MODULES / "storage.bicep", "Microsoft.Storage/storageAccounts")
    )
    properties = account["properties"]
    assert properties["allowSharedKeyAccess"] is False
    assert properties["allowBlobPublicAccess"] is False
    assert properties["minimumTlsVersion"] == "TLS1_2"
    assert properties["supportsHttpsTrafficOnly"] is True


def test_topic_takes_cloudevents_and_refuses_keys() -> None:
    topic = resource_body(one_resource(MODULES / "eventgrid.bicep", "Microsoft.EventGrid/topics"))
    assert topic["identity"] == {"type": "SystemAssigned"}
    assert topic["properties"]["inputSchema"] == "CloudEventSchemaV1_0"
    assert topic["properties"]["disableLocalAuth"] is True


def test_topic_is_named_after_the_routing_table() -> None:
    params = parse(MAIN)["modules"]["eventGrid"]["config"]["params"]
    assert params["topicName"].startswith("${infraData.topic}-")


def test_function_app_runs_python_311_on_flex_consumption_with_its_own_identity() -> None:
    path = MODULES / "functionapp.bicep"
    plan = resource_body(one_resource(path, "Microsoft.Web/serverfarms"))
    assert plan["sku"] == {"tier": "FlexConsumption", "name": "FC1"}
    assert plan["properties"]["reserved"] is True
    site = resource_body(one_resource(path, "Microsoft.Web/sites"))
    assert site["kind"] == "functionapp,linux"
    assert site["identity"] == {"type": "SystemAssigned"}
    assert site["properties"]["httpsOnly"] is True
    config = site["properties"]["functionAppConfig"]
    assert config["runtime"] == {"name": "python", "version": "3.11"}
    storage = config["deployment"]["storage"]
    assert storage["type"] == "blobContainer"
    assert storage["authentication"] == {"type": "SystemAssignedIdentity"}
    scale = config["scaleAndConcurrency"]
    assert render(scale["maximumInstanceCount"]) == "maximumInstanceCount"
    assert render(scale["instanceMemoryMB"]) == "instanceMemoryMB"


def test_function_app_deployment_container_is_declared_in_storage() -> None:
    main_params = parse(MAIN)["modules"]["storage"]["config"]["params"]
    assert main_params["deploymentContainerName"] == "deploymentContainerName"
    assert parse(MAIN)["variables"]["deploymentContainerName"]["value"] == "app-package"
    app_params = parse(MAIN)["modules"]["functionApp"]["config"]["params"]
    assert render(app_params["deploymentContainerUrl"]) == "storage.outputs.deploymentContainerUrl"


def _app_settings() -> dict[str, str]:
    site = resource_body(one_resource(MODULES / "functionapp.bicep", "Microsoft.Web/sites"))
    return {s["name"]: render(s["value"]) for s in site["properties"]["siteConfig"]["appSettings"]}


def test_app_settings_name_endpoints_and_identities_only() -> None:
    assert _app_settings() == {
        "AzureWebJobsStorage__accountName": "storageAccountName",
        "STORAGE_ACCOUNT_NAME": "storageAccountName",
        "STORAGE_BLOB_ENDPOINT": "blobEndpoint",
        "STORAGE_TABLE_ENDPOINT": "tableEndpoint",
        "STORAGE_QUEUE_ENDPOINT": "queueEndpoint",
        "EVENTGRID_TOPIC_ENDPOINT": "topicEndpoint",
        "APPLICATIONINSIGHTS_CONNECTION_STRING": "appInsightsConnectionString",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "Authorization=AAD",
        "PYTHON_ENABLE_OPENTELEMETRY": "true",
        "OUTBOX_RELAY_SCHEDULE": "outboxRelaySchedule",
        "DEAD_LETTER_REPROCESS_SCHEDULE": "deadLetterReprocessSchedule",
    }


def test_app_settings_avoid_what_flex_consumption_rejects() -> None:
    rejected = {
        "FUNCTIONS_WORKER_RUNTIME",
        "FUNCTIONS_EXTENSION_VERSION",
        "WEBSITE_RUN_FROM_PACKAGE",
        "SCM_DO_BUILD_DURING_DEPLOYMENT",
        "ENABLE_ORYX_BUILD",
        "AzureWebJobsStorage",
    }
    assert not rejected & set(_app_settings())


def test_application_insights_ingests_with_entra_id_only() -> None:
    component = resource_body(
        one_resource(MODULES / "monitoring.bicep", "Microsoft.Insights/components")
    )
    assert component["properties"]["DisableLocalAuth"] is True
    assert render(component["properties"]["WorkspaceResourceId"]) == "logAnalytics.id"
