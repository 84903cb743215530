"""Publisher authentication: the topic key (``aeg-sas-key``) or a SAS token (``aeg-sas-token``).

The token is what ``azure.eventgrid.generate_sas`` builds:
``r=<url-encoded resource>&e=<url-encoded expiry>&s=<url-encoded base64 HMAC-SHA256>``, the HMAC
taken over the literal ``r=..&e=..`` text with the base64-decoded topic key. The SDK encodes the
expiry as ``str(datetime)`` (``2030-01-01 00:00:00+00:00``); .NET-style ``M/d/yyyy h:mm:ss tt``
is accepted too.

Deviations: the resource's host is not compared (the emulator may be reached as ``localhost`` or
``127.0.0.1``), only that its path is ``/api/events``; a key that is not valid base64 (such as the
contract's ``local-dev-key``) signs with its UTF-8 bytes (Azure keys are always base64).
Entra ID bearer tokens are refused with 401.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from devstack.eventgrid.publish import PublishError

_DOTNET_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S")


class AuthError(Exception):
    """Why a request is not authorized (the message goes into the 401 body)."""


def signing_key(key: str) -> bytes:
    try:
        return base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        return key.encode("utf-8")


def sign(unsigned: str, key: str) -> str:
    """The base64 HMAC-SHA256 of ``r=..&e=..`` (before URL-encoding), as the SDK computes it."""
    digest = hmac.new(signing_key(key), unsigned.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def parse_expiry(text: str) -> datetime | None:
    text = text.strip()
    candidates: list[datetime] = []
    try:
        candidates.append(datetime.fromisoformat(text))
    except ValueError:
        for fmt in _DOTNET_FORMATS:
            try:
                candidates.append(datetime.strptime(text, fmt))
                break
            except ValueError:
                continue
    if not candidates:
        return None
    expiry = candidates[0]
    return expiry if expiry.tzinfo is not None else expiry.replace(tzinfo=UTC)


def verify_sas_token(token: str, key: str, *, now: datetime) -> None:
    """Raise AuthError unless the token is signed with ``key``, unexpired, for ``/api/events``."""
    unsigned, sep, signature = token.strip().rpartition("&s=")
    if not sep:
        raise AuthError("The SAS token has no signature ('s=').")
    fields: dict[str, str] = {}
    for part in unsigned.split("&"):
        name, eq, value = part.partition("=")
        if not eq:
            raise AuthError("The SAS token is malformed (expected r=..&e=..&s=..).")
        fields[name] = value
    if set(fields) != {"r", "e"}:
        raise AuthError("The SAS token is malformed (expected r=..&e=..&s=..).")
    if not hmac.compare_digest(sign(unsigned, key), unquote(signature)):
        raise AuthError("The SAS token signature does not match the topic key.")
    expiry = parse_expiry(unquote(fields["e"]))
    if expiry is None:
        raise AuthError("The SAS token expiry ('e') is not a date.")
    if expiry <= now:
        raise AuthError(f"The SAS token expired at {expiry.isoformat()}.")
    path = urlsplit(unquote(fields["r"])).path.rstrip("/").lower()
    if path != "/api/events":
        raise AuthError("The SAS token's resource ('r') is not this topic's /api/events endpoint.")


def authorize(
    headers: Mapping[str, str], query: Mapping[str, str], key: str, *, now: datetime, topic: str
) -> None:
    """Raise a 401 PublishError unless the request carries the key or a valid SAS token."""

    def unauthorized(reason: str) -> PublishError:
        message = f"The request authorization key is not authorized for {topic.upper()}. {reason}"
        return PublishError(401, "Unauthorized", message, [("Unauthorized", reason)])

    given_key = headers.get("aeg-sas-key") or query.get("aeg-sas-key")
    if given_key is not None:
        if hmac.compare_digest(given_key.encode(), key.encode()):
            return
        raise unauthorized("The aeg-sas-key does not match the topic key.")
    token = headers.get("aeg-sas-token") or query.get("aeg-sas-token")
    if token is not None:
        try:
            verify_sas_token(token, key, now=now)
        except AuthError as exc:
            raise unauthorized(str(exc)) from None
        return
    if headers.get("authorization", "").lower().startswith("bearer "):
        raise unauthorized("Entra ID tokens are not supported by the emulator; use aeg-sas-key.")
    raise unauthorized("The request did not carry an aeg-sas-key or aeg-sas-token.")
