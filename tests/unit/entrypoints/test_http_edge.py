"""The HTTP edge: whatever a client sends or causes is a problem+json 4xx (or a 503 to retry),
never a 500; the problem body never echoes the query string (it may hold the function key)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import azure.functions as func
import pytest
from pydantic import BaseModel, ConfigDict

from domain.errors import (
    ConcurrencyError,
    HotelNotFoundError,
    IdempotencyKeyReusedError,
    InvalidTransitionError,
    ReservationNotFoundError,
    ValidationError,
)
from entrypoints.http_edge import (
    PROBLEM_JSON,
    ProblemError,
    handle_errors,
    idempotency_key,
    json_response,
    parse_body,
)

BASE = "http://localhost:7071"


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int
    ratio: float = 0.0
    tags: list[Any] = []


def request(
    body: bytes = b"{}",
    *,
    url: str = f"{BASE}/api/things",
    method: str = "POST",
    headers: dict[str, str] | None = None,
) -> func.HttpRequest:
    return func.HttpRequest(method, url, headers=headers or {}, body=body)


@handle_errors
def parse_route(req: func.HttpRequest) -> func.HttpResponse:
    parsed = parse_body(req, Body)
    return json_response(parsed.model_dump())


def raising(exc: Exception) -> Callable[[func.HttpRequest], func.HttpResponse]:
    @handle_errors
    def route(req: func.HttpRequest) -> func.HttpResponse:
        raise exc

    return route


def problem_of(response: func.HttpResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_body()
    assert response.mimetype == PROBLEM_JSON
    body = json.loads(response.get_body())
    assert isinstance(body, dict)
    assert body["status"] == status
    return body


# -- hostile JSON ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        pytest.param(b"[" * 20_000, "Malformed JSON", id="20k nested arrays"),
        pytest.param(b'{"tags": ' + b"[" * 20_000 + b"}", "Malformed JSON", id="nested in a field"),
        pytest.param(b'{"a": ' * 10_000, "Malformed JSON", id="nested objects"),
        pytest.param(b"9" * 5_000, "Malformed JSON", id="5000-digit integer"),
        pytest.param(b'{"count": ' + b"9" * 5_000 + b"}", "Malformed JSON", id="huge int field"),
        pytest.param(b'{"count": 1, "ratio": NaN}', "Malformed JSON", id="NaN"),
        pytest.param(b'{"count": 1, "ratio": Infinity}', "Malformed JSON", id="Infinity"),
        pytest.param(b'{"count": 1, "ratio": -Infinity}', "Malformed JSON", id="-Infinity"),
        pytest.param(b'{"count": 1, "ratio": 1e400}', "Malformed JSON", id="float overflow"),
        pytest.param(b'{"count": 1, "ratio": -1e400}', "Malformed JSON", id="-float overflow"),
        pytest.param(b'{"count": 1e400}', "Malformed JSON", id="float overflow in int field"),
        pytest.param(b"\xff\xfe\x00", "Malformed JSON", id="not UTF-8"),
        pytest.param(b'{"count": "\\ud800"}', "Invalid request", id="lone surrogate"),
        pytest.param(b'{"count": 1.5}', "Invalid request", id="fraction for an int"),
    ],
)
def test_hostile_json_is_a_400_problem(raw: bytes, title: str) -> None:
    body = problem_of(parse_route(request(raw)), 400)
    assert body["title"] == title
    assert "set_int_max_str_digits" not in body.get("detail", "")


def test_nesting_that_json_accepts_is_still_validated() -> None:
    # 500 levels decode fine; the model (a list of anything) accepts them: not an error at all.
    raw = b'{"count": 1, "tags": ' + b"[" * 500 + b"]" * 500 + b"}"
    assert parse_route(request(raw)).status_code == 200


def test_duplicate_keys_take_the_last_value() -> None:
    response = parse_route(request(b'{"count": 1, "count": 2}'))
    assert response.status_code == 200
    assert json.loads(response.get_body())["count"] == 2


def test_large_finite_numbers_are_fine() -> None:
    response = parse_route(request(b'{"count": ' + b"9" * 4_000 + b', "ratio": 1e300}'))
    assert response.status_code == 200


# -- instance: the path, never the query string or host ------------------------------------------


def test_the_problem_instance_is_the_path_without_the_query_string() -> None:
    url = f"{BASE}/api/reservations/abc?code=secret-function-key&x=1"
    response = raising(ReservationNotFoundError("abc"))(request(url=url, method="GET"))
    body = problem_of(response, 404)
    assert body["instance"] == "/api/reservations/abc"
    assert b"secret-function-key" not in response.get_body()


def test_the_instance_of_a_parse_error_is_the_path_too() -> None:
    url = f"{BASE}/api/reservations?code=secret-function-key"
    body = problem_of(parse_route(request(b"{", url=url)), 400)
    assert body["instance"] == "/api/reservations"


# -- Idempotency-Key ------------------------------------------------------------------------------


def key_of(value: str | None) -> str | None:
    headers = {} if value is None else {"Idempotency-Key": value}
    return idempotency_key(request(headers=headers))


@pytest.mark.parametrize(
    ("header", "key"),
    [
        (None, None),
        ("8e03978e-40d5-43e8-bc93-6894a57f9324", "8e03978e-40d5-43e8-bc93-6894a57f9324"),
        ("  padded\t", "padded"),
        ('"8e03978e-40d5"', "8e03978e-40d5"),
        ('"with \\"quote\\" and \\\\"', 'with "quote" and \\'),
        ("inner spaces are printable", "inner spaces are printable"),
        ("k" * 255, "k" * 255),
    ],
)
def test_valid_idempotency_keys(header: str | None, key: str | None) -> None:
    assert key_of(header) == key


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\t", "empty"),
        ('""', "empty"),
        ('"   "', "empty"),
        ("k" * 256, "at most 255"),
        ('"' + "k" * 256 + '"', "at most 255"),
        ("caf\u00e9", "printable ASCII"),
        ("a\x00b", "printable ASCII"),
        ("a\x7fb", "printable ASCII"),
        ('"unterminated', "Structured Field string"),
        ('"a"b', "Structured Field string"),
        ('"bad \\n escape"', "Structured Field string"),
    ],
)
def test_invalid_idempotency_keys_are_a_400_saying_why(header: str, says: str) -> None:
    with pytest.raises(ProblemError) as caught:
        key_of(header)
    assert caught.value.status == 400
    assert caught.value.title == "Invalid Idempotency-Key"
    assert says in caught.value.detail
    assert caught.value.errors[0]["field"] == "Idempotency-Key"


def test_an_empty_idempotency_key_is_a_problem_response() -> None:
    @handle_errors
    def route(req: func.HttpRequest) -> func.HttpResponse:
        return json_response({"key": idempotency_key(req)})

    body = problem_of(route(request(headers={"Idempotency-Key": ""})), 400)
    assert "empty" in body["detail"]


# -- contention -----------------------------------------------------------------------------------


def test_a_concurrency_error_left_after_retries_is_a_503_with_retry_after() -> None:
    response = raising(ConcurrencyError("the aggregate changed since it was loaded"))(request())
    body = problem_of(response, 503)
    assert response.headers["Retry-After"] == "1"
    assert body["detail"] == "the resource is busy, retry"
    assert "aggregate" not in body["detail"]  # storage internals stay in the logs


# -- every user-caused domain error has its 4xx ---------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (ValidationError({"checkOut": "must be after checkIn"}), 400),
        (HotelNotFoundError("nowhere"), 404),
        (ReservationNotFoundError("r"), 404),
        (IdempotencyKeyReusedError("reused"), 409),
        (InvalidTransitionError("cancelled"), 409),
    ],
)
def test_user_caused_domain_errors_are_problems(exc: Exception, status: int) -> None:
    problem_of(raising(exc)(request()), status)


def test_a_bug_still_surfaces_as_an_exception() -> None:
    # Only bugs may reach the host (as a 500): the edge must not swallow them.
    with pytest.raises(KeyError):
        raising(KeyError("bug"))(request())
