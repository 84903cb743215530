from __future__ import annotations

from datetime import UTC, datetime

import azure.functions as func
import pytest
from azure.functions.http import HttpRequest as WorkerHttpRequest
from azure.functions.timer import TimerRequest as WorkerTimerRequest

from devstack.host.bindings import (
    NO_HTTP_OUTPUT,
    build_http_request,
    build_timer_request,
    decode_event,
    map_http_result,
)


def request(body: bytes = b"", **overrides: object) -> func.HttpRequest:
    args: dict[str, object] = {
        "method": "post",
        "url": "http://127.0.0.1:7071/api/items/7?a=1&a=2",
        "headers": [("content-type", "application/json"), ("x-multi", "1"), ("x-multi", "2")],
        "query": [("a", "1"), ("a", "2")],
        "route_params": {"id": "7"},
        "body": body,
    }
    args.update(overrides)
    return build_http_request(**args)  # type: ignore[arg-type]


def test_http_request_is_the_library_type_with_everything_mapped() -> None:
    req = request(b'{"n": 1}')
    assert type(req) is WorkerHttpRequest  # the subclass the worker's converter builds
    assert isinstance(req, func.HttpRequest)
    assert req.method == "POST"
    assert req.url == "http://127.0.0.1:7071/api/items/7?a=1&a=2"
    assert req.route_params == {"id": "7"}
    assert req.params == {"a": "1,2"}
    assert req.headers["Content-Type"] == "application/json"
    assert req.headers["x-multi"] == "1,2"
    assert req.get_body() == b'{"n": 1}'
    assert req.get_json() == {"n": 1}


def test_an_empty_body_is_empty_bytes_and_not_json() -> None:
    req = request()
    assert req.get_body() == b""
    with pytest.raises(ValueError, match="JSON"):
        req.get_json()


def test_json_response() -> None:
    result = map_http_result(
        func.HttpResponse('{"a": 1}', status_code=201, mimetype="application/json")
    )
    assert result.status == 201
    assert result.body == b'{"a": 1}'
    assert result.header("content-type") == "application/json"


def test_text_response_gets_its_charset_and_custom_headers() -> None:
    result = map_http_result(
        func.HttpResponse("hé", headers={"X-A": "b"}, mimetype="text/html", charset="utf-8")
    )
    assert result.status == 200
    assert result.header("content-type") == "text/html; charset=utf-8"
    assert result.header("x-a") == "b"
    assert result.body == "hé".encode()


def test_an_explicit_content_type_header_wins_and_length_is_left_to_the_server() -> None:
    response = func.HttpResponse(
        b"\x00\x01", headers={"Content-Type": "application/octet-stream", "Content-Length": "99"}
    )
    result = map_http_result(response)
    assert result.header("content-type") == "application/octet-stream"
    assert result.header("content-length") is None
    assert result.body == b"\x00\x01"


def test_cookies_become_separate_set_cookie_headers() -> None:
    response = func.HttpResponse("x")
    response.headers.add("Set-Cookie", "a=1; Path=/; HttpOnly")
    response.headers.add("Set-Cookie", "b=2")
    cookies = [v for k, v in map_http_result(response).headers if k == "set-cookie"]
    assert cookies == ["a=1; HttpOnly; Path=/", "b=2"]


def test_a_string_return_is_plain_text_and_an_unset_out_is_no_content() -> None:
    text = map_http_result("hello")
    assert (text.status, text.body, text.header("content-type")) == (
        200,
        b"hello",
        "text/plain; charset=utf-8",
    )
    assert map_http_result(NO_HTTP_OUTPUT).status == 204


def test_returning_none_is_what_the_worker_cannot_encode() -> None:
    with pytest.raises(TypeError, match=r'unable to encode outgoing TypedData: .*"NoneType"'):
        map_http_result(None)


def test_other_return_types_are_an_error() -> None:
    with pytest.raises(TypeError, match="dict"):
        map_http_result({"a": 1})


def test_event_grid_schema_decodes_to_an_event_grid_event() -> None:
    event = decode_event(
        {
            "id": "1",
            "topic": "t",
            "subject": "s",
            "eventType": "E",
            "eventTime": "2031-05-01T10:00:00.1234567Z",
            "data": {"k": "v"},
            "dataVersion": "1",
        }
    )
    assert isinstance(event, func.EventGridEvent)
    assert event.event_type == "E"
    assert event.event_time == datetime(2031, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert event.get_json() == {"k": "v"}


def test_specversion_decodes_to_a_cloud_event_keeping_extensions() -> None:
    event = decode_event(
        {
            "specversion": "1.0",
            "id": "1",
            "source": "/s",
            "type": "T",
            "data": [1],
            "traceparent": "00-abc-def-01",
        }
    )
    assert isinstance(event, func.CloudEvent)
    assert event.type == "T"
    assert event.extension_attrs == {"traceparent": "00-abc-def-01"}


def test_timer_request() -> None:
    when = datetime(2031, 5, 1, tzinfo=UTC)
    timer = build_timer_request(past_due=True, last=when, next_=when)
    assert isinstance(timer, WorkerTimerRequest)
    assert timer.past_due is True
    assert timer.schedule_status["Next"] == when.isoformat()
