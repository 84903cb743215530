"""infra/routing.json is the code's routing table and storage names, fresh; the Bicep reads it
for the subscriptions, the tables and the containers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from adapters import storage_names
from handlers import routing
from infra import generate
from tests.unit.infra.bicep_doc import MAIN, MODULES, SUBSCRIPTIONS, parse, render, resources

ROUTES_BY_NAME = {s.name: s for s in routing.SUBSCRIPTIONS}


def _routing_json() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(generate.ROUTING_JSON.read_text(encoding="utf-8"))
    return document


def test_routing_json_is_fresh() -> None:
    current = generate.ROUTING_JSON.read_text(encoding="utf-8")
    assert current == generate.render(), (
        f"infra/routing.json is stale; regenerate it with: {generate.REGENERATE_COMMAND}"
    )


def test_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "routing.json"
    stale.write_text("{}\n", encoding="utf-8")
    assert generate.main(["--check", "--output", str(stale)]) == 1
    assert generate.main(["--output", str(stale)]) == 0
    assert generate.main(["--check", "--output", str(stale)]) == 0


def test_every_subscription_feeds_a_function_of_the_routing_table() -> None:
    subscriptions = _routing_json()["subscriptions"]
    names = [s["name"] for s in subscriptions]
    assert len(names) == len(set(names)), "subscription names must be unique"
    assert set(names) == set(ROUTES_BY_NAME)
    for entry in subscriptions:
        route = ROUTES_BY_NAME[entry["name"]]
        assert entry["functionName"] == route.function_name
        assert entry["includedEventTypes"] == list(route.included_event_types)
        assert entry["includedEventTypes"], f"{entry['name']} would receive every event type"


def test_the_topic_may_write_every_container_a_subscription_dead_letters_to() -> None:
    main = parse(MAIN)
    granted = main["variables"]["deadletterContainerNames"]["value"]
    # union(..., []) drops duplicates: one grant per distinct container.
    assert render(granted) == (
        "union(map(infraData.subscriptions, route => route.deadLetterContainer), [])"
    )
    params = main["modules"]["roles"]["config"]["params"]
    assert render(params["deadletterContainerNames"]) == "deadletterContainerNames"
    document = _routing_json()
    for entry in document["subscriptions"]:
        assert entry["deadLetterContainer"] in document["containers"], entry["name"]
    assert main["variables"]["deadletterContainerName"]["value"] == (
        storage_names.DEADLETTER_CONTAINER
    )


def test_retry_policies_are_within_event_grid_limits() -> None:
    for entry in _routing_json()["subscriptions"]:
        assert 1 <= entry["maxDeliveryAttempts"] <= 30, entry["name"]
        assert 1 <= entry["eventTimeToLiveInMinutes"] <= 1440, entry["name"]


def test_subscriptions_bicep_loops_over_routing_json() -> None:
    tree = parse(SUBSCRIPTIONS)
    loaded = tree["variables"]["routing"]["value"]
    assert render(loaded) == "load_json_content(routing.json)"
    found = resources(SUBSCRIPTIONS, "Microsoft.EventGrid/topics/eventSubscriptions")
    assert len(found) == 1, "one looped resource declares every subscription"
    config = next(iter(found.values()))["config"]
    loop = config["loop_type"]
    assert loop["type"] == "array"
    assert render(loop["detail"]["array_name"]) == "routing.subscriptions"
    item = loop["detail"]["item_name"]
    body = config["config"]
    assert render(body["parent"]) == "topic"
    assert render(body["name"]) == f"{item}.name"

    properties = body["properties"]
    destination = properties["destination"]
    assert destination["endpointType"] == "AzureFunction"
    assert destination["properties"]["resourceId"] == (
        "${functionApp.id}/functions/${" + item + ".functionName}"
    )
    assert destination["properties"]["maxEventsPerBatch"] == 1
    assert properties["eventDeliverySchema"] == "CloudEventSchemaV1_0"
    assert render(properties["filter"]["includedEventTypes"]) == f"{item}.includedEventTypes"
    retry = properties["retryPolicy"]
    assert render(retry["maxDeliveryAttempts"]) == f"{item}.maxDeliveryAttempts"
    assert render(retry["eventTimeToLiveInMinutes"]) == f"{item}.eventTimeToLiveInMinutes"

    dead_letter = properties["deadLetterWithResourceIdentity"]
    assert dead_letter["identity"] == {"type": "SystemAssigned"}
    destination = dead_letter["deadLetterDestination"]
    assert destination["endpointType"] == "StorageBlob"
    assert render(destination["properties"]["resourceId"]) == "storage.id"
    assert render(destination["properties"]["blobContainerName"]) == f"{item}.deadLetterContainer"


def test_routing_json_lists_every_table_and_container_of_the_code() -> None:
    document = _routing_json()
    assert document["tables"] == list(storage_names.TABLES)
    assert document["containers"] == list(storage_names.CONTAINERS)
    assert document["topic"] == routing.TOPIC_NAME


def test_bicep_declares_every_table_and_container_from_routing_json() -> None:
    main = parse(MAIN)
    assert render(main["variables"]["infraData"]["value"]) == "load_json_content(routing.json)"
    params = main["modules"]["storage"]["config"]["params"]
    assert render(params["tableNames"]) == "infraData.tables"
    assert render(params["containerNames"]) == "infraData.containers"

    storage = MODULES / "storage.bicep"
    tables = resources(storage, "Microsoft.Storage/storageAccounts/tableServices/tables")
    containers = resources(storage, "Microsoft.Storage/storageAccounts/blobServices/containers")
    looped_tables = [r["config"]["loop_type"]["detail"] for r in tables.values()]
    looped_containers = [
        r["config"]["loop_type"]["detail"]
        for r in containers.values()
        if "loop_type" in r["config"]
    ]
    assert [render(d["array_name"]) for d in looped_tables] == ["tableNames"]
    assert [render(d["array_name"]) for d in looped_containers] == ["containerNames"]
    for detail, resource in zip(
        looped_tables + looped_containers,
        [*tables.values(), *(r for r in containers.values() if "loop_type" in r["config"])],
        strict=True,
    ):
        assert render(resource["config"]["config"]["name"]) == detail["item_name"]


def test_container_and_table_names_are_valid_in_azure() -> None:
    for table in storage_names.TABLES:
        assert table.isalnum(), table
        assert table[0].isalpha(), table
        assert 3 <= len(table) <= 63, table
    for container in (*storage_names.CONTAINERS, "app-package"):
        assert container == container.lower(), container
        assert 3 <= len(container) <= 63, container
        assert "--" not in container, container
        assert container[0].isalnum(), container
