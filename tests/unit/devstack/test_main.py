"""``python -m devstack``: its commands and the banner ``up`` prints."""

from __future__ import annotations

import json

import pytest

from devstack.__main__ import banner, main
from devstack.eventgrid_subscriptions import sample_eventgrid_config
from devstack.settings import StackConfig
from devstack.stack import LocalStack
from tests.unit.devstack.support import STORAGE


def test_the_eventgrid_config_command_prints_the_sample(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["eventgrid-config"]) == 0
    assert json.loads(capsys.readouterr().out) == sample_eventgrid_config()


def test_the_banner_shows_the_urls_and_a_curl_with_the_key() -> None:
    stack = LocalStack(StackConfig(storage=STORAGE, function_key="local-function-key"))
    text = banner(stack)
    assert "http://127.0.0.1:7071/api" in text
    assert "http://127.0.0.1:7072/api/events" in text
    assert "20000/20001/20002" in text
    assert "Web console   http://127.0.0.1:7071/api/console/" in text
    assert 'curl -H "x-functions-key: local-function-key" http://127.0.0.1:7071/api/hotels' in text
    assert 'master key "local-master-key"' in text
    keyless = banner(LocalStack(StackConfig(storage=STORAGE, function_key=None)))
    assert "curl http://127.0.0.1:7071/api/hotels" in keyless
    assert "x-functions-key:" not in keyless
    assert "master key" not in keyless


def test_no_command_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m devstack")
    assert "'up'" in err
