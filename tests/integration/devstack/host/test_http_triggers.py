from __future__ import annotations

import logging
import re

import pytest

from tests.integration.devstack.host.support import KEY, MASTER_KEY, Served

pytestmark = pytest.mark.integration

AUTH = {"x-functions-key": KEY}
MASTER = {"x-functions-key": MASTER_KEY}


def test_route_params_query_and_headers_reach_the_function(served: Served) -> None:
    response = served.client.get(
        "/api/hello/Ada", params=[("a", "1"), ("a", "2"), ("b", "x")], headers={"X-Sample": "s"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["method"] == "GET"
    assert body["route"] == {"name": "Ada"}
    assert body["params"] == {"a": "1,2", "b": "x"}
    assert body["header"] == "s"
    assert body["url"].startswith(f"{served.url}/api/hello/Ada?")


@pytest.mark.parametrize(("encoded", "value"), [("%0A", "\n"), ("a%0Db", "a\rb"), ("%09", "\t")])
def test_a_route_value_with_control_characters_reaches_the_function(
    served: Served, encoded: str, value: str
) -> None:
    # The app, not the host, decides what such a value means (in Azure too); URL parsing drops
    # tabs and line breaks, so the host must route on the request's decoded path as received.
    response = served.client.get(f"/api/hello/{encoded}")
    assert response.status_code == 200
    assert response.json()["route"] == {"name": value}


def test_settings_are_applied_before_the_app_is_imported(served: Served) -> None:
    assert served.client.get("/api/hello/x").json()["setting"] == "from-settings"


def test_paths_are_case_insensitive_and_ignore_a_trailing_slash(served: Served) -> None:
    response = served.client.get("/API/Hello/Bob/")
    assert response.status_code == 200
    assert response.json()["route"] == {"name": "Bob"}


def test_a_wrong_method_is_404_like_the_real_host(served: Served) -> None:
    response = served.client.post("/api/hello/Ada")
    assert response.status_code == 404
    assert response.content == b""


def test_unknown_route_is_404(served: Served) -> None:
    assert served.client.get("/api/nothing/here").status_code == 404


def test_function_level_needs_the_key_in_header_or_code(served: Served) -> None:
    missing = served.client.get("/api/items/5")
    wrong = served.client.get("/api/items/5", headers={"x-functions-key": "nope"})
    assert (missing.status_code, missing.content) == (401, b"")
    assert (wrong.status_code, wrong.content) == (401, b"")
    by_header = served.client.get("/api/items/5", headers=AUTH)
    by_query = served.client.get("/api/items/5", params={"code": KEY})
    by_master = served.client.get("/api/items/5", headers=MASTER)
    assert by_header.json() == {"function": "get_item", "id": "5"}
    assert by_query.status_code == 200
    assert by_master.status_code == 200  # the master key opens function-level routes too


def test_admin_level_needs_the_master_key(served: Served) -> None:
    assert served.client.get("/api/admin-only").status_code == 401
    function_key = served.client.get("/api/admin-only", headers=AUTH)
    assert (function_key.status_code, function_key.content) == (401, b"")
    assert served.client.get("/api/admin-only", params={"code": KEY}).status_code == 401
    assert served.client.get("/api/admin-only", params={"code": MASTER_KEY}).status_code == 200
    response = served.client.get("/api/admin-only", headers=MASTER)
    assert response.status_code == 200
    assert response.text == "admin ok"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_int_constraint_and_literal_precedence(served: Served) -> None:
    assert served.client.get("/api/items/abc", headers=AUTH).status_code == 404
    assert served.client.get("/api/items/new", headers=AUTH).json() == {"function": "new_item_form"}


def test_optional_route_parameter(served: Served) -> None:
    assert served.client.get("/api/optional").json() == {"route": {}}
    assert served.client.get("/api/optional/yes").json() == {"route": {"x": "yes"}}


def test_response_status_headers_charset_cookies_and_body_are_mapped(served: Served) -> None:
    response = served.client.post("/api/echo", content=b"<p>caf\xe9</p>")
    assert response.status_code == 201
    assert response.content == b"<p>caf\xe9</p>"
    assert response.headers["content-type"] == "text/html; charset=latin-1"
    assert response.headers["x-echo"] == "yes"
    assert response.headers["location"] == "/api/echo/1"
    assert sorted(response.headers.get_list("set-cookie")) == ["a=1; Path=/", "b=2"]


def test_request_json_body(served: Served) -> None:
    assert served.client.post("/api/json", json={"k": [1, 2]}).json() == {"got": {"k": [1, 2]}}
    assert served.client.post("/api/json", content=b"{oops").status_code == 400


def test_sync_functions_run_in_the_pool_and_async_ones_on_the_loop(served: Served) -> None:
    sync_thread = served.client.get("/api/hello/x").json()["thread"]
    async_thread = served.client.get("/api/async").json()["thread"]
    assert sync_thread.startswith("devstack-fn")
    assert async_thread == "functions-host"
    assert served.host.invoker.threads == 4


def test_an_exception_is_a_500_counted_and_logged_with_its_traceback(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    before = served.client.get("/admin/devstack/invocations", headers=MASTER).json()["boom"]
    with caplog.at_level(logging.INFO, logger="devstack.host"):
        response = served.client.get("/api/boom")
    after = served.client.get("/admin/devstack/invocations", headers=MASTER).json()["boom"]
    assert response.status_code == 500
    assert response.content == b""
    assert after["failed"] == before["failed"] + 1
    [record] = [r for r in caplog.records if "Functions.boom" in r.getMessage()]
    assert re.search(r"\(Failed, Id=[0-9a-f-]{36}, Duration=\d+ms\)", record.getMessage())
    assert record.exc_info is not None
    assert "kaboom" in caplog.text


def test_returning_none_fails_the_invocation_as_the_worker_does(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    # The worker cannot encode None for the http $return binding: a failed invocation, 500.
    with caplog.at_level(logging.INFO, logger="devstack.host"):
        response = served.client.get("/api/returns-none")
    assert (response.status_code, response.content) == (500, b"")
    assert 'unable to encode outgoing TypedData: unsupported type "' in caplog.text
    assert 'for Python type "NoneType"' in caplog.text


def test_a_str_annotated_http_trigger_fails_as_the_generic_binding_does(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="devstack.host"):
        response = served.client.get("/api/raw-http")
    assert response.status_code == 500
    assert "unexpected type of data received for the \"generic\" binding : 'http'" in caplog.text


def test_each_invocation_logs_one_line(served: Served, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="devstack.host"):
        served.client.get("/api/optional/log-me")
    lines = [r.getMessage() for r in caplog.records if "Functions.optional" in r.getMessage()]
    assert len(lines) == 1
    assert re.fullmatch(
        r"Executed 'Functions.optional' \(Succeeded, Id=[0-9a-f-]{36}, Duration=\d+ms\)", lines[0]
    )


def test_out_binding_and_context(served: Served) -> None:
    out = served.client.get("/api/out")
    assert (out.status_code, out.text) == (202, "set via Out")
    context = served.client.get("/api/context").json()
    assert context["name"] == "with_context"
    assert len(context["invocation_id"]) == 36


def test_host_status_and_ping(served: Served) -> None:
    assert served.client.get("/admin/host/status").status_code == 401
    # /admin/* is the master key's alone: a function key is refused, as in Azure.
    assert served.client.get("/admin/host/status", headers=AUTH).status_code == 401
    status = served.client.get("/admin/host/status", headers=MASTER).json()
    # Azure's HostStatus fields, so a script reading them works in both places.
    assert status["state"] == "Running"
    assert {
        "id",
        "state",
        "version",
        "versionDetails",
        "instanceId",
        "computerName",
        "processUptime",
        "functionAppContentEditingState",
    } == set(status)
    assert re.fullmatch(r"[0-9a-z-]{1,32}", status["id"])
    assert re.fullmatch(r"4\.\d+\.\d+", status["version"])
    assert isinstance(status["processUptime"], int)
    assert status["processUptime"] > 0
    assert "functions" not in status  # not in Azure's: list them with GET /admin/functions


def test_admin_functions_lists_the_functions_metadata(served: Served) -> None:
    listed = served.client.get("/admin/functions", headers=MASTER).json()
    by_name = {entry["name"]: entry for entry in listed}
    assert {"hello", "recorder", "ticker"} <= set(by_name)
    assert by_name["hello"]["invoke_url_template"] == f"{served.url}/api/hello/{{name}}"
    assert "invoke_url_template" not in by_name["recorder"]
    assert by_name["recorder"]["config"]["bindings"][0]["type"] == "eventGridTrigger"
    one = served.client.get("/admin/functions/hello", headers=MASTER)
    assert one.json() == by_name["hello"]
    assert served.client.get("/admin/functions", headers=AUTH).status_code == 401
    assert served.client.get("/admin/host/ping").status_code == 200
