"""The fast transaction codec writes the very bytes azure-core writes, and reads what it reads.

Each transaction is built by azure-data-tables twice, once through a stock client and once
through a client with ``fast_batches``; a transport that sends nothing keeps both requests. Only
the random boundaries and the per-part dates and request ids may differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from azure.core import MatchConditions
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest import HttpRequest
from azure.core.rest._http_response_impl import RestHttpClientTransportResponse
from azure.data.tables import EdmType, TableClient, UpdateMode

from adapters.connection import development_connection_string
from adapters.table_batch import batch_body, decode_parts, encode_batch, fast_batches, read_parts

ETAG = "W/\"datetime'2026-11-29T21%3A49%3A19.8159370Z'\""
_RANDOM = (
    (re.compile(rb"(batch|changeset)(response)?_[0-9a-f-]{36}"), rb"\1\2_BOUNDARY"),
    (re.compile(rb"(?im)^(x-ms-date|date|x-ms-client-request-id): [^\r\n]*"), rb"\1: VALUE"),
)
# Random per request (the signature covers the date and the boundary).
_RANDOM_HEADERS = frozenset({"x-ms-date", "date", "x-ms-client-request-id", "authorization"})


class _SentError(Exception):
    """Stops a request once the transport has it: nothing leaves the process."""


class _KeepingTransport(HttpTransport):  # type: ignore[type-arg]
    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, str], bytes]] = []

    def send(self, request: Any, **kwargs: Any) -> Any:
        self.sent.append((dict(request.headers), bytes(request.content)))
        raise _SentError

    def open(self) -> None:
        """Nothing to open."""

    def close(self) -> None:
        """Nothing to close."""

    def __exit__(self, *args: object) -> None:
        self.close()


def _normalised(data: bytes) -> bytes:
    for pattern, replacement in _RANDOM:
        data = pattern.sub(replacement, data)
    return data


def _sent(operations: Sequence[Any], *, fast: bool) -> tuple[dict[str, str], bytes]:
    transport = _KeepingTransport()
    conn = development_connection_string(10000, 10001, 10002, "127.0.0.1")
    client = TableClient.from_connection_string(conn, "Codec", transport=transport)
    if fast:
        fast_batches(client)
    with pytest.raises(_SentError):
        client.submit_transaction(list(operations))
    [(headers, body)] = transport.sent
    normalised = {
        name: "VALUE" if name.lower() in _RANDOM_HEADERS else _normalised(value.encode()).decode()
        for name, value in headers.items()
    }
    return normalised, _normalised(body)


def _entity(row: str, **properties: Any) -> dict[str, Any]:
    return {"PartitionKey": "p-é☃", "RowKey": row, **properties}


TYPED = {
    "Text": 'héllo ☃ "quoted" \\ back\nline',
    "Number": 42,
    "Big": (2**40, EdmType.INT64),
    "Ratio": 0.25,
    "Flag": True,
    "When": datetime(2026, 11, 29, 21, 49, 19, tzinfo=UTC),
    "Blob": b"\x00\xff--batch_\r\n",
    "Nothing": None,
}
IF_MATCH = {"etag": ETAG, "match_condition": MatchConditions.IfNotModified}
CASES: dict[str, list[Any]] = {
    "create": [("create", _entity("a", **TYPED))],
    "upsert merge": [("upsert", _entity("a", V="x"), {"mode": UpdateMode.MERGE})],
    "upsert replace": [("upsert", _entity("a", V="x"), {"mode": UpdateMode.REPLACE})],
    "update replace if match": [
        ("update", _entity("a", V="y"), {"mode": UpdateMode.REPLACE, **IF_MATCH})
    ],
    "update merge if match": [
        ("update", _entity("a", V="y"), {"mode": UpdateMode.MERGE, **IF_MATCH})
    ],
    "update unconditional": [("update", _entity("a", V="y"))],
    "delete if match": [("delete", _entity("a"), IF_MATCH)],
    "delete": [("delete", _entity("a"))],
    "mixed": [
        ("create", _entity("a", **TYPED)),
        ("upsert", _entity("b", V=1), {"mode": UpdateMode.MERGE}),
        ("update", _entity("c", V="ü"), {"mode": UpdateMode.REPLACE, **IF_MATCH}),
        ("delete", _entity("d"), IF_MATCH),
        ("upsert", _entity("e/é 'quote'", V=""), {"mode": UpdateMode.REPLACE}),
    ],
    "100 operations": [("create", _entity(f"row-{i:03}", V="x" * i, N=i)) for i in range(100)],
}


@pytest.mark.parametrize("name", CASES)
def test_the_request_is_the_one_azure_core_writes(name: str) -> None:
    stock_headers, stock_body = _sent(CASES[name], fast=False)
    fast_headers, fast_body = _sent(CASES[name], fast=True)
    assert fast_body == stock_body
    assert fast_headers == stock_headers
    assert list(fast_headers) == list(stock_headers)  # in the same order too
    assert stock_body.count(b"Content-ID:") == len(CASES[name])


def _multipart(*parts: HttpRequest, boundary: str = "batch_b") -> HttpRequest:
    changeset = HttpRequest("POST", "")
    changeset.set_multipart_mixed(*parts, boundary="changeset_c")
    request = HttpRequest("POST", "http://127.0.0.1/$batch")
    request.set_multipart_mixed(changeset, boundary=boundary)
    return request


def _stock_and_fast(make: Any) -> tuple[HttpRequest, HttpRequest]:
    stock, fast = make(), make()
    stock.prepare_multipart_body()
    encode_batch(fast)
    return stock, fast


@pytest.mark.parametrize(
    "part",
    [
        lambda: HttpRequest("POST", "http://h/t", content=b"a\nb"),  # the generator rewrites it
        lambda: HttpRequest("POST", "http://h/t", content=b"a\rb"),
        lambda: HttpRequest("PUT", "http://h/t(PartitionKey='é')", json={}),  # not ASCII
        lambda: HttpRequest("POST", "http://h/t", headers={"X-Folded": "a\r\n b"}),
        lambda: HttpRequest("PUT", "http://h/t", content=b"\xc3\xa9"),  # the generator refuses
        lambda: HttpRequest("PUT", "http://h/t", content="\u00e9t\u00e9"),  # latin-1, refused
    ],
)
def test_a_request_it_does_not_vouch_for_is_left_to_azure_core(part: Any) -> None:
    assert batch_body(_multipart(part())) is None
    try:
        stock, fast = _stock_and_fast(lambda: _multipart(part()))
    except (UnicodeEncodeError, ValueError) as refused:  # azure-core refuses it: so do we
        with pytest.raises(type(refused)):
            encode_batch(_multipart(part()))
        return
    assert fast.content == stock.content
    assert fast.headers == stock.headers


@pytest.mark.parametrize(
    "parts",
    [
        lambda: [HttpRequest("POST", "http://h/t"), HttpRequest("DELETE", "http://h/t")],
        lambda: [HttpRequest("POST", "http://h/t", headers={"host": "h", "x": "kept"})],
        lambda: [HttpRequest("POST", "http://h/t", headers={"Host": "h", "Accept-Encoding": "br"})],
        lambda: [HttpRequest("GET", "")],  # http.client asks for "/"
        lambda: [HttpRequest("PUT", "http://h/t", content=b"\x00 --batch_b \x7f")],
    ],
)
def test_odd_parts_are_written_as_azure_core_writes_them(parts: Any) -> None:
    """What http.client adds, drops or encodes in a part, the fast codec does alike."""
    assert batch_body(_multipart(*parts())) is not None
    stock, fast = _stock_and_fast(lambda: _multipart(*parts()))
    assert fast.content == stock.content
    assert fast.headers == stock.headers


# --- answers: the same bytes through both readers -----------------------------------------


class _Raw:
    """An in-memory ``http.client`` response: the outer answer to a batch."""

    def __init__(self, content_type: str, body: bytes) -> None:
        self.status, self.reason, self._body = 202, "Accepted", body
        self._headers = [("Content-Type", content_type)]

    def getheaders(self) -> list[tuple[str, str]]:
        return self._headers

    def read(self) -> bytes:
        return self._body

    def close(self) -> None:
        """Nothing to release."""


_RESPONSE: Callable[..., Any] = RestHttpClientTransportResponse  # untyped in azure-core


def _answer(request: HttpRequest, body: bytes, boundary: str = "batchresponse_b") -> Any:
    raw = _Raw(f"multipart/mixed; boundary={boundary}", body)
    return _RESPONSE(request=request, internal_response=raw)


def _summary(parts: Iterator[Any] | list[Any]) -> list[tuple[Any, ...]]:
    return [
        (type(p), p.status_code, p.reason, list(p.headers.items()), p.read(), id(p.request))
        for p in parts
    ]


def _changeset_answer(*http_parts: bytes, epilogue: bytes = b"") -> bytes:
    inner = b"".join(
        b"--changesetresponse_c\r\nContent-Type: application/http\r\n"
        b"Content-Transfer-Encoding: binary\r\n\r\n" + part + b"\r\n"
        for part in http_parts
    )
    return (
        b"--batchresponse_b\r\nContent-Type: multipart/mixed; boundary=changesetresponse_c\r\n\r\n"
        + inner
        + b"--changesetresponse_c--\r\n--batchresponse_b--\r\n"
        + epilogue
    )


CREATED = (
    b"HTTP/1.1 201 Created\r\nDataServiceVersion: 3.0;\r\nETag: " + ETAG.encode() + b"\r\n\r\n"
)
NO_CONTENT = b"HTTP/1.1 204 No Content\r\nETag: " + ETAG.encode() + b"\r\n\r\n"
# Azure's answer when the second operation's If-Match fails (the service, not Azurite: #1233).
PRECONDITION_FAILED = (
    b"HTTP/1.1 412 Precondition Failed\r\nContent-ID: 2\r\nX-Content-Type-Options: nosniff\r\n"
    b"Cache-Control: no-cache\r\nDataServiceVersion: 3.0;\r\n"
    b"Content-Type: application/json;odata=minimalmetadata;streaming=true;charset=utf-8\r\n\r\n"
    b'{"odata.error":{"code":"UpdateConditionNotSatisfied","message":{"lang":"en-US",'
    b'"value":"1:The update condition specified in the request was not satisfied.\\n'
    b'RequestId:5d3c\\nTime:2026-11-29T21:49:19.8159370Z"}}}'
)
ANSWERS = {
    "success": _changeset_answer(CREATED, NO_CONTENT, NO_CONTENT),
    "precondition failed": _changeset_answer(PRECONDITION_FAILED),
    "an epilogue": _changeset_answer(CREATED, epilogue=b"bye\r\n"),
    "not ASCII": _changeset_answer(
        b"HTTP/1.1 400 Mauvaise requ\xeate\r\nX-Note: caf\xe9\r\n"
        b"Content-Type: application/json;charset=utf-8\r\n\r\n"
        + '{"odata.error":{"code":"X","message":{"value":"0:\u00e9t\u00e9 \u2603"}}}'.encode()
    ),
    "a sized body": _changeset_answer(
        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\n{}trailing"
    ),
}
ODD_ANSWERS = {
    "an unknown part": _changeset_answer(CREATED).replace(b"application/http", b"text/plain", 1),
    "not HTTP": _changeset_answer(b"SPDY/9 200 OK\r\n\r\n"),
    "bare line feeds": _changeset_answer(CREATED).replace(b"\r\n", b"\n"),
    "a short sized body": _changeset_answer(b"HTTP/1.1 400 Bad\r\nContent-Length: 9\r\n\r\n{}"),
    "chunked": _changeset_answer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"),
    "padding after a delimiter": _changeset_answer(CREATED).replace(
        b"--changesetresponse_c\r\n", b"--changesetresponse_c  \r\n", 1
    ),
    "a folded header": _changeset_answer(CREATED.replace(b"ETag:", b"X-Long: a\r\n b\r\nETag:")),
    "a preamble": b"preamble\r\n" + _changeset_answer(CREATED),
    "a part header not in ASCII": _changeset_answer(CREATED).replace(b"binary", b"bin\xe4ry", 1),
    "not multipart": b"{}",
}


def _request(operations: int) -> HttpRequest:
    return _multipart(*(HttpRequest("POST", f"http://h/t/{i}") for i in range(operations)))


@pytest.mark.parametrize("name", ANSWERS)
def test_an_answer_reads_as_azure_core_reads_it(name: str) -> None:
    request = _request(3)
    fast = read_parts(_answer(request, ANSWERS[name]))
    assert fast is not None
    stock = list(_answer(request, ANSWERS[name]).parts())
    assert _summary(fast) == _summary(stock)
    assert _summary(decode_parts(_answer(request, ANSWERS[name]))) == _summary(stock)


def test_an_answer_to_head_has_no_body_whatever_follows() -> None:
    request = _multipart(HttpRequest("HEAD", "http://h/t"))
    answer = _changeset_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
    fast = read_parts(_answer(request, answer))
    assert fast is not None
    assert _summary(fast) == _summary(_answer(request, answer).parts())
    assert fast[0].read() == b""


@pytest.mark.parametrize("name", ODD_ANSWERS)
def test_an_answer_it_does_not_vouch_for_is_left_to_azure_core(name: str) -> None:
    request = _request(3)
    assert read_parts(_answer(request, ODD_ANSWERS[name])) is None
    try:
        stock = _summary(_answer(request, ODD_ANSWERS[name]).parts())
    except Exception as refused:  # azure-core's own error, whatever it is, is the answer
        with pytest.raises(type(refused)):
            _summary(decode_parts(_answer(request, ODD_ANSWERS[name])))
        return
    assert _summary(decode_parts(_answer(request, ODD_ANSWERS[name]))) == stock
