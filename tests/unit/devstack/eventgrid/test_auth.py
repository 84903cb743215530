from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from azure.eventgrid import generate_sas

from devstack.eventgrid.auth import AuthError, authorize, sign, verify_sas_token
from devstack.eventgrid.publish import PublishError

KEY = base64.b64encode(b"a 32 byte topic key for testing!!").decode()
ENDPOINT = "http://127.0.0.1:7072/api/events"
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def token(
    expiry: datetime = NOW + timedelta(hours=1), key: str = KEY, endpoint: str = ENDPOINT
) -> str:
    return generate_sas(endpoint, key, expiry)


def test_a_token_from_the_sdk_is_accepted() -> None:
    verify_sas_token(token(), KEY, now=NOW)


def test_a_token_signed_with_another_key_is_refused() -> None:
    other = base64.b64encode(b"another key").decode()
    with pytest.raises(AuthError, match="signature"):
        verify_sas_token(token(key=other), KEY, now=NOW)


def test_an_expired_token_is_refused() -> None:
    with pytest.raises(AuthError, match="expired"):
        verify_sas_token(token(expiry=NOW - timedelta(seconds=1)), KEY, now=NOW)


def test_a_tampered_expiry_breaks_the_signature() -> None:
    good = token()
    tampered = good.replace(
        quote(str(NOW + timedelta(hours=1))), quote(str(NOW + timedelta(days=9)))
    )
    assert tampered != good
    with pytest.raises(AuthError, match="signature"):
        verify_sas_token(tampered, KEY, now=NOW)


def test_a_token_for_another_resource_is_refused() -> None:
    with pytest.raises(AuthError, match="resource"):
        verify_sas_token(token(endpoint="http://127.0.0.1:7072/api/other"), KEY, now=NOW)


@pytest.mark.parametrize("bad", ["", "r=a&e=b", "nonsense&s=abc", "r=a&x=b&s=c"])
def test_malformed_tokens_are_refused(bad: str) -> None:
    with pytest.raises(AuthError):
        verify_sas_token(bad, KEY, now=NOW)


def test_a_non_base64_key_signs_with_its_utf8_bytes() -> None:
    unsigned = f"r={quote(ENDPOINT, safe='')}&e={quote('2031-01-01 00:00:00+00:00', safe='')}"
    signed = f"{unsigned}&s={quote(sign(unsigned, 'local-dev-key'), safe='')}"
    verify_sas_token(signed, "local-dev-key", now=NOW)


def test_dotnet_style_expiry_is_understood() -> None:
    unsigned = f"r={quote(ENDPOINT, safe='')}&e={quote('1/2/2030 3:04:05 PM', safe='')}"
    signed = f"{unsigned}&s={quote(sign(unsigned, KEY), safe='')}"
    verify_sas_token(signed, KEY, now=NOW)
    with pytest.raises(AuthError, match="expired"):
        verify_sas_token(signed, KEY, now=NOW + timedelta(days=2))


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({"aeg-sas-key": KEY}, {}),
        ({}, {"aeg-sas-key": KEY}),
        ({"aeg-sas-token": generate_sas(ENDPOINT, KEY, NOW + timedelta(hours=1))}, {}),
    ],
)
def test_authorize_accepts_key_header_query_or_token(
    headers: dict[str, str], query: dict[str, str]
) -> None:
    authorize(headers, query, KEY, now=NOW, topic="t")


@pytest.mark.parametrize(
    "headers",
    [{}, {"aeg-sas-key": "wrong"}, {"aeg-sas-token": "r=a&e=b&s=c"}, {"authorization": "Bearer x"}],
)
def test_authorize_refuses_with_401(headers: dict[str, str]) -> None:
    with pytest.raises(PublishError) as info:
        authorize(headers, {}, KEY, now=NOW, topic="hotel-events")
    assert info.value.status == 401
    assert info.value.body()["error"]["code"] == "Unauthorized"
    assert "HOTEL-EVENTS" in info.value.message
