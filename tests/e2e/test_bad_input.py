"""Bad input of every kind in docs/api.md gets its 4xx with a problem body, never a 500."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.stack import booking

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"


def valid_body() -> dict[str, Any]:
    start = datetime.now(UTC).date() + timedelta(days=30)
    return {
        "hotelId": "grand-lisbon",
        "roomType": "STD",
        "checkIn": start.isoformat(),
        "checkOut": (start + timedelta(days=2)).isoformat(),
        "guests": 2,
        "guest": {"id": "g-1", "name": "Ada Lovelace", "email": "ada@example.com"},
        "paymentToken": "tok_visa",
    }


def with_(**changes: Any) -> dict[str, Any]:
    body = valid_body()
    for key, value in changes.items():
        if value is ...:
            body.pop(key)
        else:
            body[key] = value
    return body


def days_from_today(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


CASES: dict[str, tuple[dict[str, Any], str]] = {
    "missing hotelId": (with_(hotelId=...), "hotelId"),
    "missing guest": (with_(guest=...), "guest"),
    "guests not a number": (with_(guests="two"), "guests"),
    "zero guests": (with_(guests=0), "guests"),
    "bad date": (with_(checkIn="2031-02-30"), "checkIn"),
    "checkOut before checkIn": (
        with_(checkIn=days_from_today(10), checkOut=days_from_today(9)),
        "checkOut",
    ),
    "checkOut equals checkIn": (
        with_(checkIn=days_from_today(10), checkOut=days_from_today(10)),
        "checkOut",
    ),
    "more than 30 nights": (
        with_(checkIn=days_from_today(10), checkOut=days_from_today(41)),
        "checkOut",
    ),
    "checkIn in the past": (
        with_(checkIn=days_from_today(-1), checkOut=days_from_today(2)),
        "checkIn",
    ),
    "unknown hotel": (with_(hotelId="nowhere"), "hotelId"),
    "unknown room type": (with_(roomType="PENTHOUSE"), "roomType"),
    "over capacity": (with_(guests=3), "guests"),
    "empty payment token": (with_(paymentToken=""), "paymentToken"),
    "unknown field": (with_(discount=50), "discount"),
}


@pytest.mark.parametrize("case", CASES)
def test_invalid_booking_is_a_400_naming_the_field(api: httpx.Client, case: str) -> None:
    body, field = CASES[case]
    response = api.post("/reservations", json=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == 400
    assert any(field in error["field"] for error in problem["errors"]), problem


@pytest.mark.parametrize(
    "raw", [b"{", b"[]", b"null", b"\xff\xfe", b'"a string"', b"", b'{"hotelId": 1}']
)
def test_malformed_bodies_are_400(api: httpx.Client, raw: bytes) -> None:
    response = api.post("/reservations", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(PROBLEM)


def test_bodies_over_64_kb_are_413(api: httpx.Client) -> None:
    body = with_(guest={"id": "g", "name": "x" * 70_000, "email": "a@example.com"})
    response = api.post("/reservations", json=body)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith(PROBLEM)


def test_a_missing_or_wrong_key_is_401(api: httpx.Client) -> None:
    base = str(api.base_url)
    assert httpx.get(f"{base}/hotels").status_code == 401
    assert httpx.get(f"{base}/hotels", headers={"x-functions-key": "nope"}).status_code == 401
    key = api.headers["x-functions-key"]
    assert httpx.get(f"{base}/hotels", params={"code": key}).status_code == 200
    assert httpx.get(f"{base}/health").status_code == 200


@pytest.mark.parametrize("rid", ["not-a-uuid", str(uuid.uuid4()), "%23hash"])
def test_unknown_reservations_are_404(api: httpx.Client, rid: str) -> None:
    for method, path in (
        ("GET", f"/reservations/{rid}"),
        ("GET", f"/reservations/{rid}/events"),
        ("GET", f"/reservations/{rid}/invoice"),
        ("POST", f"/reservations/{rid}/cancel"),
        ("POST", f"/reservations/{rid}/check-in"),
        ("POST", f"/reservations/{rid}/check-out"),
    ):
        response = api.request(method, path)
        assert response.status_code == 404, (method, path, response.text)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"roomType": "STD", "from": "2031-01-02"},
        {"roomType": "STD", "from": "2031-01-02", "to": "2031-01-01"},
        {"roomType": "STD", "from": "yesterday", "to": "2031-01-01"},
        {"roomType": "STD", "from": "2031-01-01", "to": "2033-01-01"},
    ],
)
def test_bad_availability_queries_are_400(api: httpx.Client, params: dict[str, str]) -> None:
    response = api.get("/hotels/grand-lisbon/availability", params=params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(PROBLEM)


def test_availability_of_an_unknown_hotel_is_404(api: httpx.Client) -> None:
    params = {"roomType": "STD", "from": "2031-01-01", "to": "2031-01-02"}
    response = api.get("/hotels/nowhere/availability", params=params)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"[" * 20_000, id="20k nested arrays"),
        pytest.param(b"1" * 5_000, id="5000-digit integer"),
        pytest.param(b'{"guests": ' + b"1" * 5_000 + b"}", id="5000-digit field"),
        pytest.param(b'{"guests": NaN}', id="NaN"),
        pytest.param(b'{"guests": 1e400}', id="float overflow"),
    ],
)
def test_hostile_json_is_400_not_500(api: httpx.Client, raw: bytes) -> None:
    response = api.post("/reservations", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["title"] == "Malformed JSON"


def test_the_problem_instance_never_echoes_the_function_key(api: httpx.Client) -> None:
    # Authenticate with ?code= instead of the header: the key is then in the request URL.
    key = api.headers["x-functions-key"]
    rid = str(uuid.uuid4())
    base = str(api.base_url).rstrip("/")
    response = httpx.get(f"{base}/reservations/{rid}", params={"code": key})
    assert response.status_code == 404, response.text
    assert response.json()["instance"] == f"/api/reservations/{rid}"
    assert key not in response.text


@pytest.mark.parametrize(
    ("key", "says"),
    # Whitespace-only keys are covered by the unit tests: HTTP clients refuse to send them, and
    # servers strip the whitespace around a field value, which leaves an empty one.
    [("", "empty"), ("k" * 256, "at most 255"), ('"open', "Structured Field")],
)
def test_invalid_idempotency_keys_are_400(api: httpx.Client, key: str, says: str) -> None:
    # Twice, with different bodies: an empty key once taken as a key made the second a 409.
    for body in (booking(), booking()):
        response = api.post("/reservations", json=body, headers={"Idempotency-Key": key})
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        assert says in response.json()["detail"]


def test_a_quoted_idempotency_key_is_the_same_key_unquoted(api: httpx.Client) -> None:
    key = str(uuid.uuid4())
    body = booking()
    bare = api.post("/reservations", json=body, headers={"Idempotency-Key": key})
    quoted = api.post("/reservations", json=body, headers={"Idempotency-Key": f'"{key}"'})
    assert bare.status_code == quoted.status_code == 202, quoted.text
    assert bare.json()["reservationId"] == quoted.json()["reservationId"]
