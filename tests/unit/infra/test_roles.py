"""Role assignments: Azure's built-in role ids, deterministic names, and exactly the grants the
deployment needs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

import pytest

from tests.unit.infra.bicep_doc import INFRA, MODULES, bicep_files, parse, render

ROLES_BICEP: Final = MODULES / "roles.bicep"

# Azure's built-in role definition ids, as documented on Microsoft Learn, "Azure built-in roles"
# (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles): the same in every
# tenant, so roles.bicep names them as constants; this is the one table the tests hold it to.
BUILT_IN_ROLES: Final = {
    "EventGrid Data Sender": "d5a91429-5739-47e2-a06b-3470a27159e7",
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
}
# The variable names roles.bicep gives them.
ROLE_VARIABLES: Final = {
    "eventGridDataSender": "EventGrid Data Sender",
    "storageBlobDataOwner": "Storage Blob Data Owner",
    "storageBlobDataContributor": "Storage Blob Data Contributor",
    "storageTableDataContributor": "Storage Table Data Contributor",
    "storageQueueDataContributor": "Storage Queue Data Contributor",
    "monitoringMetricsPublisher": "Monitoring Metrics Publisher",
}
GUID: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def _role_map() -> dict[str, str]:
    value: dict[str, str] = parse(ROLES_BICEP)["variables"]["roles"]["value"]
    return value


def test_roles_bicep_names_the_built_in_roles_with_their_ids() -> None:
    assert {ROLE_VARIABLES[name]: role_id for name, role_id in _role_map().items()} == (
        BUILT_IN_ROLES
    )


def test_each_role_has_its_own_id_and_is_granted_somewhere() -> None:
    # Two names sharing an id would grant one role where the Bicep says another; a role that no
    # assignment uses is a constant nothing checks in practice.
    assert len(set(BUILT_IN_ROLES.values())) == len(BUILT_IN_ROLES)
    granted = {role for assignment in _assignments() for role in assignment["roles"]}
    assert granted == set(BUILT_IN_ROLES)


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: p.relative_to(INFRA).as_posix())
def test_every_guid_in_the_bicep_is_a_built_in_role(path: Path) -> None:
    for found in GUID.findall(path.read_text(encoding="utf-8")):
        assert found.lower() in BUILT_IN_ROLES.values(), f"{path.name}: unknown id {found}"


def _assignments() -> list[dict[str, Any]]:
    """Each role assignment as {symbol, scope, principal, roles, name}; loops expanded."""
    tree = parse(ROLES_BICEP)
    variables = tree["variables"]
    found = []
    for symbol, resource in tree["resources"].items():
        if resource["type"] != "Microsoft.Authorization/roleAssignments":
            continue
        config = resource["config"]
        role_refs: list[str]
        if "loop_type" in config and render(config["loop_type"]["detail"]["array_name"]) in (
            variables
        ):
            array = variables[render(config["loop_type"]["detail"]["array_name"])]["value"]
            if "operator" in array:  # cond ? [] : [...]
                array = array["operator"]["operands"]["false_value"]
            role_refs = [render(item) for item in array]
            config = config["config"]
        else:
            # One role, or one role looped over scopes (the dead-letter containers).
            config = config.get("config", config) if "loop_type" in config else config
            role_refs = [
                render(
                    config["properties"]["roleDefinitionId"]["function"]["parameters"][
                        "resource_name_1"
                    ]
                )
            ]
        found.append(
            {
                "symbol": symbol,
                "scope": render(config["scope"]),
                "principal": render(config["properties"]["principalId"]),
                "roles": {ROLE_VARIABLES[ref.removeprefix("roles.")] for ref in role_refs},
                "name": render(config["name"]),
                "definition": render(config["properties"]["roleDefinitionId"]),
            }
        )
    return found


def test_the_app_and_the_topic_get_exactly_the_roles_they_need() -> None:
    grants = {
        (a["principal"], a["scope"], role)
        for a in _assignments()
        if a["principal"] != "operatorPrincipalId"
        for role in a["roles"]
    }
    assert grants == {
        ("functionAppPrincipalId", "topic", "EventGrid Data Sender"),
        ("functionAppPrincipalId", "storage", "Storage Blob Data Owner"),
        ("functionAppPrincipalId", "storage", "Storage Table Data Contributor"),
        ("functionAppPrincipalId", "storage", "Storage Queue Data Contributor"),
        ("functionAppPrincipalId", "appInsights", "Monitoring Metrics Publisher"),
        ("topicPrincipalId", "deadletterContainers[i]", "Storage Blob Data Contributor"),
    }


def test_the_topic_may_write_only_the_containers_its_subscriptions_dead_letter_to() -> None:
    tree = parse(ROLES_BICEP)
    containers = tree["resources"]["deadletterContainers"]
    assert containers["existing"] is True
    loop = containers["config"]["loop_type"]["detail"]
    assert render(loop["array_name"]) == "deadletterContainerNames"
    assert render(containers["config"]["config"]["name"]) == loop["item_name"]
    assert render(containers["config"]["config"]["parent"]) == "blobService"
    writers = tree["resources"]["topicDeadLetterWriters"]["config"]["loop_type"]
    assert writers["type"] == "array_index"
    assert render(writers["detail"]["array_name"]) == "deadletterContainerNames"
    # One grant per container: the i-th assignment is scoped to the i-th container.
    assert writers["detail"]["index_name"] == "i"


def test_assignment_names_are_deterministic_guids_of_scope_principal_and_role() -> None:
    for assignment in _assignments():
        name = assignment["name"]
        assert name.startswith(f"guid({assignment['scope']}.id, {assignment['principal']}, "), (
            assignment["symbol"]
        )
        assert assignment["definition"].startswith(
            "subscription_resource_id(Microsoft.Authorization/roleDefinitions, "
        )


def test_assignments_name_the_principal_type_to_avoid_replication_races() -> None:
    tree = parse(ROLES_BICEP)
    for symbol, resource in tree["resources"].items():
        if resource["type"] == "Microsoft.Authorization/roleAssignments":
            config = resource["config"].get("config", resource["config"])
            assert config["properties"].get("principalType"), symbol
