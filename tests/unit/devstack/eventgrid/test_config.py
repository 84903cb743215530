from __future__ import annotations

import json
from pathlib import Path

import pytest

from devstack.azurite import AzuritePorts, connection_string
from devstack.eventgrid.config import (
    REAL_RETRY_DELAYS_SECONDS,
    ConfigError,
    InputSchema,
    load_config,
    parse_config,
)

CONTRACT_EXAMPLE = {
    "topic": {
        "name": "hotel-events",
        "key": "local-dev-key",
        "inputSchema": "CloudEventSchemaV1_0",
    },
    "storage": "UseDevelopmentStorage=true",
    "retryDelaysSeconds": [10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200],
    "subscriptions": [
        {
            "name": "rooms",
            "endpoint": "http://127.0.0.1:7071/runtime/webhooks/eventgrid?functionName=rooms",
            "filter": {
                "includedEventTypes": ["..."],
                "subjectBeginsWith": "",
                "subjectEndsWith": "",
            },
            "retryPolicy": {"maxDeliveryAttempts": 30, "eventTimeToLiveInMinutes": 1440},
            "deadLetter": {"container": "deadletter"},
        }
    ],
}


def test_the_contract_example_loads_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "eventgrid.json"
    path.write_text(json.dumps(CONTRACT_EXAMPLE))
    config = load_config(path)
    assert config.topic.input_schema is InputSchema.CLOUD_EVENTS
    assert config.storage == connection_string(AzuritePorts())
    (sub,) = config.subscriptions
    assert sub.dead_letter is not None
    assert sub.dead_letter.container == "deadletter"
    assert sub.retry_policy.ttl_seconds == 1440 * 60
    assert sub.max_events_per_batch == 1


def test_defaults_follow_azure() -> None:
    config = parse_config(
        {
            "topic": {"name": "t", "key": "k"},
            "subscriptions": [{"name": "sub", "endpoint": "http://127.0.0.1:1/x"}],
        }
    )
    assert config.retry_delays_seconds == list(REAL_RETRY_DELAYS_SECONDS)
    assert REAL_RETRY_DELAYS_SECONDS[-1] == 12 * 3600
    assert config.delivery_multiplier == 1
    assert config.delivery_timeout_seconds == 30
    (sub,) = config.subscriptions
    assert (
        sub.retry_policy.max_delivery_attempts,
        sub.retry_policy.event_time_to_live_in_minutes,
    ) == (
        30,
        1440,
    )
    assert sub.dead_letter is None


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ({"maxDeliveryAttempts": 0}, "maxDeliveryAttempts"),
        ({"maxDeliveryAttempts": 31}, "maxDeliveryAttempts"),
        ({"eventTimeToLiveInMinutes": 1441}, "eventTimeToLiveInMinutes"),
        ({"eventTimeToLiveSeconds": 0}, "eventTimeToLiveSeconds"),
        ({"maxdeliveryattempts": 3}, "maxdeliveryattempts"),
    ],
)
def test_out_of_range_or_unknown_retry_settings_are_rejected(
    policy: dict[str, object], field: str
) -> None:
    data = {
        "topic": {"name": "t", "key": "k"},
        "subscriptions": [
            {"name": "sub", "endpoint": "http://127.0.0.1:1/x", "retryPolicy": policy}
        ],
    }
    with pytest.raises(ConfigError, match=field):
        parse_config(data)


def test_ttl_seconds_override_wins_over_minutes() -> None:
    data = {
        "topic": {"name": "t", "key": "k"},
        "subscriptions": [
            {
                "name": "sub",
                "endpoint": "http://127.0.0.1:1/x",
                "retryPolicy": {"eventTimeToLiveInMinutes": 5, "eventTimeToLiveSeconds": 0.5},
            }
        ],
    }
    assert parse_config(data).subscriptions[0].retry_policy.ttl_seconds == 0.5


def test_subscription_names_must_be_unique_ignoring_case() -> None:
    data = {
        "topic": {"name": "t", "key": "k"},
        "subscriptions": [
            {"name": "rooms", "endpoint": "http://127.0.0.1:1/x"},
            {"name": "ROOMS", "endpoint": "http://127.0.0.1:1/y"},
        ],
    }
    with pytest.raises(ConfigError, match="used twice"):
        parse_config(data)


def test_unknown_advanced_filter_operator_is_rejected() -> None:
    data = {
        "topic": {"name": "t", "key": "k"},
        "subscriptions": [
            {
                "name": "sub",
                "endpoint": "http://127.0.0.1:1/x",
                "filter": {"advancedFilters": [{"operatorType": "NumberIsPrime", "key": "data.x"}]},
            }
        ],
    }
    with pytest.raises(ConfigError, match="unknown operatorType 'NumberIsPrime'"):
        parse_config(data)


def test_unreadable_and_malformed_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(bad)


def test_chaos_knobs_and_journal_default_to_off() -> None:
    config = parse_config(CONTRACT_EXAMPLE)
    assert config.multiplier_range == (1, 1)
    assert config.delivery_delay_max_seconds == 0
    assert config.seed is None
    assert config.journal is None


def test_chaos_knobs_are_read() -> None:
    config = parse_config(
        {
            **CONTRACT_EXAMPLE,
            "deliveryMultiplier": 2,
            "deliveryMultiplierMax": 4,
            "deliveryDelayMaxSeconds": 0.5,
            "seed": 7,
            "journal": "/var/tmp/journal.sqlite",
        }
    )
    assert config.multiplier_range == (2, 4)
    assert config.delivery_delay_max_seconds == 0.5
    assert config.seed == 7
    assert config.journal == "/var/tmp/journal.sqlite"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"deliveryMultiplier": 3, "deliveryMultiplierMax": 2}, "deliveryMultiplierMax"),
        ({"deliveryMultiplierMax": 0}, "deliveryMultiplierMax"),
        ({"deliveryDelayMaxSeconds": -1}, "deliveryDelayMaxSeconds"),
        ({"seed": "seven"}, "seed"),
        ({"journal": ""}, "journal"),
    ],
)
def test_bad_chaos_knobs_are_rejected(extra: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config({**CONTRACT_EXAMPLE, **extra})


def test_a_relative_journal_is_relative_to_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "eventgrid.json"
    path.write_text(json.dumps({**CONTRACT_EXAMPLE, "journal": "state/journal.sqlite"}))
    assert load_config(path).journal == str(tmp_path / "state" / "journal.sqlite")
