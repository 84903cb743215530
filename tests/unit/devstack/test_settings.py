"""The local stack's settings: precedence, parsing, and what the app sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.azurite import AzuritePorts, connection_string
from devstack.settings import (
    SettingsError,
    StackConfig,
    ensure_settings_file,
    merge_settings,
    parse_retry_delays,
    read_values,
)
from tests.unit.devstack.support import STORAGE


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
    assert config.master_key == "local-master-key"
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
        master_key="mk",
    )
    settings = config.app_settings()
    assert settings["EVENTGRID_TOPIC_ENDPOINT"] == "http://127.0.0.1:8102/api/events"
    assert settings["EVENTGRID_TOPIC_KEY"] == "tk"
    assert settings["AzureWebJobsStorage"] == STORAGE
    assert settings["DEVSTACK_FUNCTION_KEY"] == "fk"
    assert settings["DEVSTACK_MASTER_KEY"] == "mk"
    assert settings["DEVSTACK_HOST_PORT"] == "8101"
    assert settings["DEVSTACK_EVENTGRID_PORT"] == "8102"
    assert settings["FUNCTIONS_WORKER_RUNTIME"] == "python"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"DEVSTACK_MASTER_KEY": ""}, "DEVSTACK_MASTER_KEY must be set"),
        ({"DEVSTACK_FUNCTION_KEY": "k", "DEVSTACK_MASTER_KEY": "k"}, "must differ"),
    ],
)
def test_the_master_key_must_exist_and_differ_from_the_function_key(
    values: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        StackConfig.from_values(values)


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
