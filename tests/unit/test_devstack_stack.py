"""The local stack's configuration: settings precedence, the emulator config, the seeding hook."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from devstack.__main__ import banner, main, render_eventgrid_sample
from devstack.azurite import AzuritePorts, connection_string
from devstack.eventgrid.config import parse_config
from devstack.settings import (
    SettingsError,
    StackConfig,
    ensure_settings_file,
    merge_settings,
    parse_retry_delays,
    read_values,
)
from devstack.stack import (
    EVENTGRID_SAMPLE_CONFIG,
    LocalStack,
    StackError,
    azurite_host,
    eventgrid_config,
    is_local_storage,
    sample_eventgrid_config,
    seed_catalog_if_available,
)
from handlers.routing import SUBSCRIPTIONS, TOPIC_NAME

STORAGE = connection_string(AzuritePorts(blob=20000, queue=20001, table=20002))


# -- the Event Grid emulator's configuration ------------------------------------------------


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


def test_the_eventgrid_config_command_prints_the_sample(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["eventgrid-config"]) == 0
    assert json.loads(capsys.readouterr().out) == sample_eventgrid_config()


# -- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("   ", None),
        (None, None),
        ("0.2,0.5, 1", (0.2, 0.5, 1.0)),
        ("0", (0.0,)),
    ],
)
def test_retry_delays_parse(text: str | None, expected: tuple[float, ...] | None) -> None:
    assert parse_retry_delays(text) == expected


@pytest.mark.parametrize("text", ["1,,2", "fast", "-1", "nan"])
def test_bad_retry_delays_name_the_setting(text: str) -> None:
    with pytest.raises(SettingsError, match="DEVSTACK_RETRY_DELAYS_SECONDS"):
        parse_retry_delays(text)


def test_config_from_the_sample_values_uses_the_contract_defaults() -> None:
    config = StackConfig.from_values(read_values(Path("local.settings.sample.json").resolve()))
    assert config.host_url == "http://127.0.0.1:7071"
    assert config.eventgrid_url == "http://127.0.0.1:7072"
    assert config.function_key == "local-function-key"
    assert config.topic_key == "local-dev-key"
    assert config.retry_delays_seconds is None
    assert config.storage == connection_string(AzuritePorts())  # the shorthand, expanded


def test_config_from_values_reads_ports_keys_and_delays() -> None:
    config = StackConfig.from_values(
        {
            "AzureWebJobsStorage": STORAGE,
            "DEVSTACK_HOST_PORT": "8001",
            "DEVSTACK_EVENTGRID_PORT": "8002",
            "DEVSTACK_FUNCTION_KEY": "",
            "EVENTGRID_TOPIC_KEY": "tk",
            "DEVSTACK_RETRY_DELAYS_SECONDS": "1,2",
            "DEVSTACK_AZURITE_LOCATION": "/tmp/az",
        },
        delivery_multiplier=3,
    )
    assert (config.host_port, config.eventgrid_port) == (8001, 8002)
    assert config.function_key is None  # empty: keys are not checked
    assert config.topic_key == "tk"
    assert config.retry_delays_seconds == (1.0, 2.0)
    assert config.azurite_location == Path("/tmp/az")
    assert config.delivery_multiplier == 3


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, None),
        ({"DEVSTACK_EVENTGRID_JOURNAL": " "}, ""),
        ({"DEVSTACK_EVENTGRID_JOURNAL": "j.db"}, "j.db"),
    ],
)
def test_the_journal_setting_is_automatic_unless_set(
    values: dict[str, str], expected: str | None
) -> None:
    assert StackConfig.from_values(values).eventgrid_journal == expected


def test_the_journal_lives_next_to_azurites_data_on_disk(tmp_path: Path) -> None:
    stack = LocalStack(StackConfig(storage=STORAGE), project_root=tmp_path)
    assert stack.eventgrid_journal() is None  # Azurite not started by us (or in memory)
    stack.azurite_location = tmp_path / ".azurite"
    assert stack.eventgrid_journal() == tmp_path / ".azurite" / "eventgrid-journal.sqlite"


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("", None), ("state/j.sqlite", "state/j.sqlite"), ("/abs/j", "/abs/j")],
)
def test_the_journal_setting_overrides_the_automatic_one(
    tmp_path: Path, setting: str, expected: str | None
) -> None:
    stack = LocalStack(
        StackConfig(storage=STORAGE, eventgrid_journal=setting), project_root=tmp_path
    )
    stack.azurite_location = tmp_path / ".azurite"
    assert stack.eventgrid_journal() == (None if expected is None else tmp_path / expected)


def test_the_journal_reaches_the_emulator_config(tmp_path: Path) -> None:
    config = eventgrid_config(
        host_url="http://127.0.0.1:1", topic_key="k", storage=STORAGE, journal=tmp_path / "j"
    )
    assert parse_config(config).journal == str(tmp_path / "j")
    assert "journal" not in eventgrid_config(host_url="http://x:1", topic_key="k", storage=STORAGE)


@pytest.mark.parametrize("port", ["http", "0", "70000"])
def test_a_bad_port_names_the_setting(port: str) -> None:
    with pytest.raises(SettingsError, match="DEVSTACK_HOST_PORT"):
        StackConfig.from_values({"DEVSTACK_HOST_PORT": port})


def test_the_app_sees_the_stacks_real_endpoints_whatever_the_file_says() -> None:
    config = StackConfig.from_values(
        {
            "EVENTGRID_TOPIC_ENDPOINT": "http://127.0.0.1:7072/api/events",
            "AzureWebJobsStorage": "UseDevelopmentStorage=true",
            "FUNCTIONS_WORKER_RUNTIME": "python",
        },
        storage=STORAGE,
        host_port=8101,
        eventgrid_port=8102,
        topic_key="tk",
        function_key="fk",
    )
    settings = config.app_settings()
    assert settings["EVENTGRID_TOPIC_ENDPOINT"] == "http://127.0.0.1:8102/api/events"
    assert settings["EVENTGRID_TOPIC_KEY"] == "tk"
    assert settings["AzureWebJobsStorage"] == STORAGE
    assert settings["DEVSTACK_FUNCTION_KEY"] == "fk"
    assert settings["DEVSTACK_HOST_PORT"] == "8101"
    assert settings["DEVSTACK_EVENTGRID_PORT"] == "8102"
    assert settings["FUNCTIONS_WORKER_RUNTIME"] == "python"


def test_in_memory_azurite_cannot_also_have_a_location() -> None:
    with pytest.raises(SettingsError):
        StackConfig(azurite_in_memory=True, azurite_location=Path("x"))


def test_settings_precedence_is_sample_then_file_then_environment() -> None:
    loaded = merge_settings(
        file_values={"A": "file", "B": "file"},
        sample_values={"A": "sample", "C": "sample"},
        environ={"B": "env", "UNRELATED": "x"},
    )
    assert loaded.values == {"A": "file", "B": "env", "C": "sample"}
    assert loaded.from_sample == ("C",)
    assert loaded.from_environment == ("B",)


def test_the_settings_file_is_created_from_the_sample_only_when_missing(tmp_path: Path) -> None:
    sample = tmp_path / "sample.json"
    sample.write_text('{"Values": {"X": "1"}}')
    target = tmp_path / "local.settings.json"
    assert ensure_settings_file(target, sample) is True
    assert read_values(target) == {"X": "1"}
    target.write_text('{"Values": {"X": "mine"}}')
    assert ensure_settings_file(target, sample) is False
    assert read_values(target) == {"X": "mine"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [("{not json", "not valid JSON"), ('{"Values": []}', "Values must be a JSON object")],
)
def test_unusable_settings_files_are_reported(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "local.settings.json"
    path.write_text(text)
    with pytest.raises(SettingsError, match=problem):
        read_values(path)


# -- storage, ports and the banner ------------------------------------------------------------


def test_local_storage_is_the_development_account_whatever_its_ports() -> None:
    assert is_local_storage(STORAGE)
    assert azurite_host(STORAGE) == "127.0.0.1"
    real = "DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=a2V5;EndpointSuffix=x.net"
    assert not is_local_storage(real)


def test_the_host_and_emulator_cannot_share_a_port() -> None:
    stack = LocalStack(StackConfig(host_port=8200, eventgrid_port=8200))
    with pytest.raises(StackError, match="both want port 8200"):
        stack.check_ports()


def test_the_banner_shows_the_urls_and_a_curl_with_the_key() -> None:
    stack = LocalStack(StackConfig(storage=STORAGE, function_key="local-function-key"))
    text = banner(stack)
    assert "http://127.0.0.1:7071/api" in text
    assert "http://127.0.0.1:7072/api/events" in text
    assert "20000/20001/20002" in text
    assert 'curl -H "x-functions-key: local-function-key" http://127.0.0.1:7071/api/hotels' in text
    keyless = banner(LocalStack(StackConfig(storage=STORAGE, function_key=None)))
    assert "curl http://127.0.0.1:7071/api/hotels" in keyless
    assert "x-functions-key:" not in keyless


def test_no_command_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m devstack")
    assert "'up'" in err


# -- the seeding hook -------------------------------------------------------------------------


def test_seeding_is_skipped_while_the_app_has_no_seed_module() -> None:
    lines: list[str] = []
    seeded = seed_catalog_if_available(
        STORAGE, module="adapters.no_such_bootstrap_module", report=lines.append
    )
    assert seeded is False
    assert len(lines) == 1
    assert "skipped" in lines[0]


def test_seeding_calls_the_apps_seed_function_with_the_connection_string(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    module = types.ModuleType("fake_bootstrap")
    module.seed_catalog = calls.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_bootstrap", module)
    assert seed_catalog_if_available(STORAGE, module="fake_bootstrap", report=lambda _: None)
    assert calls == [STORAGE]


def test_seeding_is_skipped_when_the_module_lacks_the_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "fake_bootstrap", types.ModuleType("fake_bootstrap"))
    lines: list[str] = []
    assert not seed_catalog_if_available(STORAGE, module="fake_bootstrap", report=lines.append)
    assert "no seed_catalog()" in lines[0]


def test_a_broken_import_inside_the_seed_module_is_not_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken_bootstrap_for_test.py").write_text("import no_such_dependency_for_test\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_for_test"):
        seed_catalog_if_available(STORAGE, module="broken_bootstrap_for_test")
