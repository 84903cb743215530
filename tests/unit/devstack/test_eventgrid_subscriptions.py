"""The Event Grid emulator's configuration built from the routing table."""

from __future__ import annotations

import json
from pathlib import Path

from devstack.__main__ import render_eventgrid_sample
from devstack.eventgrid.config import parse_config
from devstack.eventgrid_subscriptions import EVENTGRID_SAMPLE_CONFIG, eventgrid_config
from handlers.routing import SUBSCRIPTIONS, TOPIC_NAME
from tests.unit.devstack.support import STORAGE


def test_the_committed_emulator_sample_matches_the_routing_table() -> None:
    committed = EVENTGRID_SAMPLE_CONFIG.read_text(encoding="utf-8")
    assert committed == render_eventgrid_sample(), (
        "devstack/eventgrid.local.json is stale: run "
        ".venv/bin/python -m devstack eventgrid-config --write"
    )
    parsed = parse_config(json.loads(committed))
    assert parsed.topic.name == TOPIC_NAME
    assert [s.name for s in parsed.subscriptions] == [s.name for s in SUBSCRIPTIONS]


def test_each_subscription_delivers_to_its_function_with_its_filter_and_policy() -> None:
    config = eventgrid_config(host_url="http://127.0.0.1:9999", topic_key="k", storage=STORAGE)
    assert config["topic"] == {
        "name": "hotel-events",
        "key": "k",
        "inputSchema": "CloudEventSchemaV1_0",
    }
    assert config["storage"] == STORAGE
    assert "retryDelaysSeconds" not in config  # Azure's real schedule
    assert "deliveryMultiplier" not in config
    by_name = {sub["name"]: sub for sub in config["subscriptions"]}
    assert list(by_name) == [sub.name for sub in SUBSCRIPTIONS]
    for routed in SUBSCRIPTIONS:
        sub = by_name[routed.name]
        assert sub["endpoint"] == (
            f"http://127.0.0.1:9999/runtime/webhooks/eventgrid?functionName={routed.function_name}"
        )
        assert sub["filter"] == {"includedEventTypes": list(routed.included_event_types)}
        assert sub["retryPolicy"] == {
            "maxDeliveryAttempts": routed.max_delivery_attempts,
            "eventTimeToLiveInMinutes": routed.event_ttl_minutes,
        }
        assert sub["deadLetter"] == {"container": routed.deadletter_container}


def test_test_overrides_reach_the_emulator_config() -> None:
    config = eventgrid_config(
        host_url="http://127.0.0.1:1",
        topic_key="k",
        storage=STORAGE,
        retry_delays_seconds=(0.2, 0.5, 1.0),
        delivery_multiplier=2,
        max_delivery_attempts=3,
    )
    parsed = parse_config(config)
    assert parsed.retry_delays_seconds == [0.2, 0.5, 1.0]
    assert parsed.delivery_multiplier == 2
    assert {s.retry_policy.max_delivery_attempts for s in parsed.subscriptions} == {3}


def test_the_journal_reaches_the_emulator_config(tmp_path: Path) -> None:
    config = eventgrid_config(
        host_url="http://127.0.0.1:1", topic_key="k", storage=STORAGE, journal=tmp_path / "j"
    )
    assert parse_config(config).journal == str(tmp_path / "j")
    assert "journal" not in eventgrid_config(host_url="http://x:1", topic_key="k", storage=STORAGE)
