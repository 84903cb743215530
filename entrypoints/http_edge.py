"""The HTTP edge: JSON and RFC 9457 problem+json responses, and error translation.

Every error a user can cause is translated here, once, into a 4xx problem body; only a bug
reaches the host as a 500.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import uuid
from collections.abc import Callable, Mapping
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import azure.functions as func
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from adapters.accounting import saga_step
from adapters.telemetry import http_span, record_response
from domain.errors import (
    ConcurrencyError,
    HotelNotFoundError,
    IdempotencyKeyReusedError,
    InvalidTransitionError,
    ReservationNotFoundError,
    ValidationError,
)

log = logging.getLogger("hotel.http")

MAX_BODY_BYTES = 64 * 1024
PROBLEM_JSON = "application/problem+json"
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY_LENGTH = 255
# Seconds a client waits before retrying a command that lost a race (503 + Retry-After).
BUSY_RETRY_AFTER_SECONDS = 1
M = TypeVar("M", bound=BaseModel)


class ProblemError(Exception):
    """Raised inside a route to answer with a problem body."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        errors: list[dict[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.headers = dict(headers or {})


def json_response(
    body: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body),
        status_code=status,
        mimetype="application/json",
        headers=dict(headers or {}),
    )


def problem(
    status: int,
    title: str,
    *,
    detail: str = "",
    instance: str = "",
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> func.HttpResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return func.HttpResponse(
        json.dumps(body), status_code=status, mimetype=PROBLEM_JSON, headers=dict(headers or {})
    )


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def _reject_constant(name: str) -> NoReturn:
    # json.loads accepts NaN, Infinity and -Infinity, which RFC 8259 does not: a body holding
    # them is not JSON, and a NaN that reached a model would compare unequal to itself.
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    # json.loads turns 1e400 into inf without complaint; no field means infinity.
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def parse_body(req: func.HttpRequest, model: type[M]) -> M:
    """Validate a JSON body into ``model``: 413 when too large, 400 listing every field error.

    Hostile JSON is a 400 too: json.loads raises RecursionError for deep nesting (``[`` x 20,000
    fits in 64 KB) and a bare ValueError for integers over the interpreter's digit limit, and
    neither is a JSONDecodeError.
    """
    raw = req.get_body()
    if len(raw) > MAX_BODY_BYTES:
        raise ProblemError(
            413, "Payload too large", f"the body must be at most {MAX_BODY_BYTES} bytes"
        )
    try:
        data = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError as exc:
        raise ProblemError(400, "Malformed JSON", "the body is nested too deeply") from exc
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, the int digit limit
        raise ProblemError(400, "Malformed JSON", _first_line(str(exc))) from exc
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        raise ProblemError(
            400, "Invalid request", "the request has invalid fields", _errors(exc)
        ) from exc
    except RecursionError as exc:  # a model with nested or recursive fields, walked too deep
        raise ProblemError(400, "Invalid request", "the body is nested too deeply") from exc


def _first_line(message: str) -> str:
    # The digit-limit message advises sys.set_int_max_str_digits(): server advice, not the
    # client's; keep the part that says what is wrong, bounded in size.
    return message.split(";")[0][:200]


def parse_query(req: func.HttpRequest, model: type[M]) -> M:
    """Validate query parameters into ``model``: 400 listing every field error."""
    try:
        return model.model_validate(dict(req.params))
    except PydanticValidationError as exc:
        raise ProblemError(
            400, "Invalid query", "the query has invalid parameters", _errors(exc)
        ) from exc


def _errors(exc: PydanticValidationError) -> list[dict[str, str]]:
    return [{"field": _field_path(err["loc"]), "message": err["msg"]} for err in exc.errors()]


def idempotency_key(req: func.HttpRequest) -> str | None:
    """The ``Idempotency-Key`` header: None when absent, else a non-empty printable-ASCII string
    of at most 255 characters; anything else is a 400 naming what is wrong.

    The IETF Idempotency-Key draft makes the value a Structured Field string (RFC 8941), so a
    quoted value is unquoted (``"abc"`` and ``abc`` are the same key); a bare value is accepted
    too, as most clients send one. An empty key must not be a key: every request sending one
    would share it, and all but the first would be answered 409.
    """
    raw = req.headers.get(IDEMPOTENCY_KEY_HEADER)
    if raw is None:
        return None
    # Optional whitespace around a field value is not part of it (RFC 9110, section 5.5).
    value = raw.strip(" \t")
    key = _sf_string(value) if value.startswith('"') else value
    problem_detail = _idempotency_key_problem(key)
    if problem_detail:
        raise ProblemError(
            400,
            "Invalid Idempotency-Key",
            problem_detail,
            [{"field": IDEMPOTENCY_KEY_HEADER, "message": problem_detail}],
        )
    return key


def _idempotency_key_problem(key: str) -> str:
    if not key.strip():
        return "the Idempotency-Key header must not be empty or only whitespace"
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        return f"the Idempotency-Key must be at most {MAX_IDEMPOTENCY_KEY_LENGTH} characters"
    if not all(" " <= char <= "~" for char in key):
        return "the Idempotency-Key must be printable ASCII (no control or non-ASCII characters)"
    return ""


def _sf_string(value: str) -> str:
    """An RFC 8941 sf-string: ``"..."`` where only ``\\"`` and ``\\\\`` are escapes."""
    invalid = ProblemError(
        400,
        "Invalid Idempotency-Key",
        "a quoted Idempotency-Key must be one Structured Field string: "
        'a closing quote, and only \\" or \\\\ as escapes',
        [{"field": IDEMPOTENCY_KEY_HEADER, "message": "not a Structured Field string"}],
    )
    chars: list[str] = []
    rest = iter(value[1:])
    for char in rest:
        if char == "\\":
            escaped = next(rest, "")
            if escaped not in ('"', "\\"):
                raise invalid
            chars.append(escaped)
        elif char == '"':
            if next(rest, None) is not None:  # something after the closing quote
                raise invalid
            return "".join(chars)
        else:
            chars.append(char)
    raise invalid  # no closing quote


def reservation_id_param(req: func.HttpRequest) -> str:
    """Reservation ids are UUIDs; anything else cannot exist (and must not reach a table key)."""
    value = req.route_params.get("id", "")
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise ReservationNotFoundError(value) from exc


def handle_errors(
    route: Callable[[func.HttpRequest], func.HttpResponse],
) -> Callable[[func.HttpRequest], func.HttpResponse]:
    """Translate domain and input errors into problem+json; let bugs surface as 500s.

    Each request runs in a SERVER span (``adapters.telemetry.http_span``), so every route is
    traced and the events it records carry its trace context, and as its function's saga step
    (``adapters.accounting``), so its storage calls are counted as that function's.
    """

    @functools.wraps(route)
    def wrapper(req: func.HttpRequest) -> func.HttpResponse:
        with saga_step(route.__name__), http_span(req) as span:
            response = _translate_errors(route, req)
            record_response(span, response)
            return response

    return wrapper


def _instance(req: func.HttpRequest) -> str:
    """The request's path only: the query string may hold the function key (``?code=``), and
    the problem body is returned to the caller and logged."""
    return urlsplit(req.url).path or "/"


def _translate_errors(
    route: Callable[[func.HttpRequest], func.HttpResponse], req: func.HttpRequest
) -> func.HttpResponse:
    instance = _instance(req)
    try:
        return route(req)
    except ProblemError as exc:
        return problem(
            exc.status,
            exc.title,
            detail=exc.detail,
            instance=instance,
            errors=exc.errors,
            headers=exc.headers,
        )
    except ValidationError as exc:
        errors = [{"field": f, "message": m} for f, m in exc.errors.items()]
        return problem(400, "Invalid request", instance=instance, errors=errors)
    except HotelNotFoundError:
        return problem(404, "Not found", detail="no such hotel", instance=instance)
    except ReservationNotFoundError:
        return problem(404, "Not found", detail="no such reservation", instance=instance)
    except IdempotencyKeyReusedError as exc:
        return problem(409, "Idempotency-Key reused", detail=str(exc), instance=instance)
    except InvalidTransitionError as exc:
        return problem(409, "Conflict", detail=str(exc), instance=instance)
    except ConcurrencyError as exc:
        # The handlers retry a lost race already; one still lost means contention, not a bug:
        # 503 with Retry-After tells the client to send the same command again shortly. The
        # cause (which entity, which row) is for operators, not for the response body.
        log.warning("still contended after retries at %s: %s", instance, exc)
        return problem(
            503,
            "Service busy",
            detail="the resource is busy, retry",
            instance=instance,
            headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
        )
