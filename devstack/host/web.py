"""What every route of the host shares: the handler type, bare responses and the key check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response

from devstack.host.auth import AuthLevel, HostKeys, presented_key

Handler = Callable[[Request], Awaitable[Response]]


def empty(status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(b"", status_code=status, headers=dict(headers or {}))


def text(status: int, message: str) -> Response:
    return Response(message, status_code=status, media_type="text/plain")


def authorized(request: Request, level: AuthLevel, keys: HostKeys) -> bool:
    """Whether the request's key (header or ``code`` query) passes ``level``."""
    return keys.allows(level, presented_key(request.headers, request.query_params))
