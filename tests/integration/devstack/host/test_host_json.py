"""host.json honoured by the local host over real HTTP: routePrefix, functionTimeout, logLevel."""

from __future__ import annotations

import json
import logging
import os
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.azurite import free_port
from devstack.host import FunctionsHost, log_levels
from devstack.server import ServerThread

pytestmark = pytest.mark.integration

APP = textwrap.dedent(
    """
    import logging
    import time

    import azure.functions as func

    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


    @app.route(route="slow")
    def slow(req: func.HttpRequest) -> str:
        time.sleep(float(req.params.get("seconds", "0")))
        return "done"


    @app.route(route="quiet")
    def quiet(req: func.HttpRequest) -> str:
        logging.info("quiet: an info line")
        logging.warning("quiet: a warning line")
        return "ok"


    @app.route(route="chatty")
    def chatty(req: func.HttpRequest) -> str:
        logging.info("chatty: an info line")
        return "ok"
    """
)
HOST_JSON = {
    "version": "2.0",
    "functionTimeout": "00:00:01",
    "extensions": {"http": {"routePrefix": "v1"}},
    "logging": {"logLevel": {"default": "Information", "Function.quiet": "Warning"}},
    "singleton": {"lockPeriod": "00:00:15"},
}


@pytest.fixture
def client(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[httpx.Client]:
    (tmp_path / "host_json_app.py").write_text(APP)
    (tmp_path / "host.json").write_text(json.dumps(HOST_JSON))
    saved = dict(os.environ)
    caplog.set_level(logging.INFO)
    try:
        host = FunctionsHost.load(tmp_path, module="host_json_app")
        with (
            ServerThread(host.asgi, port=free_port(), name="host-json-host") as server,
            httpx.Client(base_url=server.url, timeout=10.0) as http,
        ):
            yield http
    finally:
        log_levels.install({})
        os.environ.clear()
        os.environ.update(saved)


def test_routes_move_with_the_route_prefix(client: httpx.Client) -> None:
    assert client.get("/v1/quiet").status_code == 200
    assert client.get("/api/quiet").status_code == 404


def test_an_invocation_past_the_function_timeout_fails(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    assert client.get("/v1/slow").text == "done"
    started = time.monotonic()
    response = client.get("/v1/slow", params={"seconds": "3"})
    assert response.status_code == 500
    assert time.monotonic() - started < 2.9  # failed at the timeout, not when the sleep ended
    assert "Timeout value of 00:00:01 exceeded by function 'Functions.slow'" in caplog.text


def test_log_levels_apply_per_category(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    assert client.get("/v1/quiet").status_code == 200
    assert client.get("/v1/chatty").status_code == 200
    messages = [record.getMessage() for record in caplog.records]
    assert "quiet: a warning line" in messages
    assert "quiet: an info line" not in messages  # Function.quiet is at Warning
    assert not any("Executed 'Functions.quiet'" in m for m in messages)
    assert "chatty: an info line" in messages
    assert any("Executed 'Functions.chatty'" in m for m in messages)


def test_what_the_host_cannot_honour_is_reported_at_start(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    started = [record.getMessage() for record in caplog.get_records("setup")]
    assert any("host.json: 'singleton' is not honoured" in message for message in started)
