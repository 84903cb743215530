"""The multipart/mixed codec of Table entity-group transactions, without the ``email`` package.

azure-core writes a transaction's body with the stdlib ``email`` generator and reads the answer
with the ``email`` parser, ``http.client`` and a new thread pool: a quarter of a host worker's
CPU under load. This module writes the same bytes (tests/unit/adapters/test_table_batch.py) and
reads the same answer (tests/integration/adapters/test_table_batch.py) directly, for the app's
table clients only (``fast_batches``), and leaves whatever it does not expect to azure-core's
own code. Same contracts as ``_prepare_multipart_body_helper`` and ``_parts_helper`` in
``azure.core.utils._pipeline_transport_rest_shared`` (azure-core pinned in requirements.txt).

``python -m bench.storage_clients`` (a 5-entity transaction on Azurite, best of 5 rounds of 200
calls, 2 shared cores): 1.80 ms of CPU and 2.41 ms of wall time per call, against 5.25 and 6.08
with azure-core's codec, and 4.28 and 5.02 with azure-core's and the parts prepared in turn.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from azure.core.pipeline import PipelineContext, PipelineRequest, PipelineResponse
from azure.core.rest._http_response_impl import RestHttpClientTransportResponse
from azure.data.tables import TableClient

_CRLF: Final = b"\r\n"
# http.client's own rules for what it refuses to send (putrequest / putheader).
_LEGAL_HEADER_NAME: Final = re.compile(r"[^:\s][^:\r\n]*").fullmatch
_BAD_URL_OR_METHOD_CHAR: Final = re.compile("[\x00-\x20\x7f]").search
_BODY_METHODS: Final = frozenset({"PATCH", "POST", "PUT"})
_SKIPPED_HEADERS: Final = ("Host", "Accept-Encoding")  # azure-core's serializer: exact case
# What the email parser reads as a header line (compat32), and a boundary it needs no quotes for.
_HEADER: Final = re.compile(r"([!-9;-~]+):[ \t]*(.*)").fullmatch
_BOUNDARY: Final = re.compile(r"[0-9A-Za-z'()+_,./:=?-]{1,70}").fullmatch
_PLAIN_ENCODINGS: Final = frozenset({"", "binary", "8bit", "7bit"})
_MAX_HEADERS: Final = 100  # http.client refuses more
_MAX_LINE: Final = 65536
# What azure-core makes of each part (untyped there).
_PART_RESPONSE_TYPE: Final[Callable[..., Any]] = RestHttpClientTransportResponse


class UnexpectedBatchError(Exception):
    """Something the fast codec does not handle: azure-core's code decides instead."""


def _only_crlf(data: bytes) -> bytes:
    crlf = data.count(_CRLF)
    if data.count(b"\n") != crlf or data.count(b"\r") != crlf:
        raise UnexpectedBatchError("bare CR or LF")
    return data


def _plain(part: bytes) -> bytes:
    """A part azure-core's email generator writes as it is: ASCII (it refuses more), CRLF."""
    if not part.isascii():
        raise UnexpectedBatchError("not ASCII")
    return _only_crlf(part)


def prepare_sub_requests_in_turn(request: Any) -> None:
    """Apply a multipart request's sub-request policies to each part, one after another.

    azure-core's sync pipeline does it in a new thread pool per multipart request, two per
    transaction (the batch, its changeset): a third of a 5-entity transaction's CPU. The only
    sub-request policy, ``StorageHeadersPolicy`` (a date per part), gains nothing in parallel.
    Same contract as ``Pipeline._prepare_multipart_mixed_request``.
    """
    info = request.multipart_mixed_info
    if not info:
        return
    parts, policies, options = info[0], info[1], info[3]
    for part in parts:
        prepare_sub_requests_in_turn(part)  # a changeset's own operations
        pipeline_request = PipelineRequest(part, PipelineContext(None, **options))
        for policy in policies:
            policy.on_request(pipeline_request)


def _serialize(request: Any) -> bytes:
    """One operation as ``application/http``, the bytes azure-core's ``_HTTPSerializer`` writes."""
    method, url, body = request.method, request.url or "/", request.body
    if _BAD_URL_OR_METHOD_CHAR(method) or _BAD_URL_OR_METHOD_CHAR(url):
        raise UnexpectedBatchError("method or URL http.client refuses")
    if isinstance(body, str):
        body = body.encode("latin-1")  # http.client's encoding of a str body
    elif body is not None and not isinstance(body, bytes):
        raise UnexpectedBatchError("a body that is neither bytes nor text")
    lines = [f"{method} {url} HTTP/1.1".encode("ascii")]
    names = {name.lower() for name in request.headers}
    if "content-length" not in names and "transfer-encoding" not in names:
        if body is not None:
            lines.append(b"Content-Length: %d" % len(body))
        elif method.upper() in _BODY_METHODS:
            lines.append(b"Content-Length: 0")
    for name, value in request.headers.items():
        if name in _SKIPPED_HEADERS:
            continue
        if not isinstance(value, str) or not _LEGAL_HEADER_NAME(name):
            raise UnexpectedBatchError("a header http.client would write otherwise or refuse")
        if "\r" in value or "\n" in value:
            raise UnexpectedBatchError("a folded header value")
        lines.append(name.encode("ascii") + b": " + value.encode("latin-1"))
    lines.append(b"")
    return _plain(_CRLF.join(lines) + _CRLF + (body or b""))


def _multipart_body(request: Any, content_index: int) -> tuple[bytes, int]:
    """The body of a multipart request and the next Content-ID, as azure-core makes them."""
    requests, boundary = request.multipart_mixed_info[0], request.multipart_mixed_info[2]
    if not boundary or not _BOUNDARY(boundary):
        raise UnexpectedBatchError("a boundary the email generator would make or quote")
    parts: list[bytes] = []
    for part in requests:
        if part.multipart_mixed_info:  # a changeset: its own parts, then its whole body
            body, content_index = _multipart_body(part, content_index)
            content_type = f"multipart/mixed; boundary={part.multipart_mixed_info[2]}"
            for name, value in [("", part.method + part.url), *part.headers.items()]:
                if "--" in name or "--" in value:  # azure-core cuts the changeset at the first --
                    raise UnexpectedBatchError("-- in a changeset header")
            part.set_bytes_body(body)
            part.headers["Content-Type"] = content_type
            head = b"Content-Type: " + content_type.encode("ascii") + _CRLF
            parts.append(head + _CRLF + body)
        else:
            head = b"Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
            head += b"Content-ID: %d\r\n" % content_index
            parts.append(head + _CRLF + _serialize(part))
            content_index += 1
    delimiter = b"--" + boundary.encode("ascii")
    body = delimiter + _CRLF + (_CRLF + delimiter + _CRLF).join(parts)
    return body + _CRLF + delimiter + b"--" + _CRLF, content_index


def batch_body(request: Any) -> bytes | None:
    """The body azure-core would give a multipart request, or None where this codec would not
    vouch for it (then ``encode_batch`` leaves it to azure-core)."""
    try:
        return _multipart_body(request, 0)[0]
    except (UnexpectedBatchError, UnicodeEncodeError):
        return None


def encode_batch(request: Any) -> None:
    """Set a multipart request's body and Content-Type (its parts' policies already applied)."""
    if not request.multipart_mixed_info:
        return
    body = batch_body(request)
    if body is None:
        request.prepare_multipart_body()
        return
    request.set_bytes_body(body)
    request.headers["Content-Type"] = "multipart/mixed; boundary=" + request.multipart_mixed_info[2]


@dataclass(frozen=True)
class _PartResponse:
    """What ``RestHttpClientTransportResponse`` reads of an ``http.client.HTTPResponse``."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def getheaders(self) -> list[tuple[str, str]]:
        return self.headers

    def read(self) -> bytes:
        return self.body

    def close(self) -> None:
        """Nothing to release: the part is in memory."""


def _boundary(content_type: str) -> str:
    boundaries = [
        value.strip()
        for name, _, value in (p.partition("=") for p in content_type.split(";")[1:])
        if name.strip().lower() == "boundary"
    ]
    if len(boundaries) != 1:
        raise UnexpectedBatchError("no boundary, or several")
    boundary = boundaries[0]
    if len(boundary) > 1 and boundary[0] == boundary[-1] == '"':
        boundary = boundary[1:-1]
    if not _BOUNDARY(boundary):
        raise UnexpectedBatchError("a boundary the email parser would read otherwise")
    return boundary


def _headers(block: bytes) -> list[tuple[str, str]]:
    lines = block.decode("latin-1").split("\r\n") if block else []
    if len(lines) > _MAX_HEADERS or any(len(line) + 2 > _MAX_LINE for line in lines):
        raise UnexpectedBatchError("more headers, or longer, than http.client takes")
    headers = []
    for line in lines:
        match = _HEADER(line)
        if match is None:
            raise UnexpectedBatchError(f"a header line read otherwise: {line[:40]!r}")
        headers.append((match.group(1), match.group(2)))
    return headers


def _split(body: bytes, boundary: str) -> list[bytes]:
    """The parts of a multipart body, each as the email parser cuts it (headers and payload)."""
    delimiter = b"--" + boundary.encode("ascii")
    if not body.startswith(delimiter + _CRLF):
        raise UnexpectedBatchError("a preamble or an odd first delimiter")
    chunks = body[len(delimiter) :].split(_CRLF + delimiter)
    if body.count(delimiter) != len(chunks) or not chunks[-1].startswith(b"--"):
        raise UnexpectedBatchError("a delimiter this split misses")
    if any(not chunk.startswith(_CRLF) for chunk in chunks[:-1]):
        raise UnexpectedBatchError("padding after a delimiter")
    return [chunk[2:] for chunk in chunks[:-1]]


def _http_response(payload: bytes, request: Any) -> Any:
    """One ``application/http`` part, as ``http.client`` and azure-core read it."""
    head, separator, rest = _only_crlf(payload).partition(b"\r\n\r\n")
    if not separator:
        raise UnexpectedBatchError("no end of headers")
    status_line, _, block = head.partition(_CRLF)
    words = status_line.decode("latin-1").split(None, 2)
    if len(words) < 2 or not words[0].startswith("HTTP/1.") or len(status_line) + 2 > _MAX_LINE:
        raise UnexpectedBatchError("a status line http.client reads otherwise")
    if not (words[1].isascii() and words[1].isdigit() and len(words[1]) == 3):
        raise UnexpectedBatchError("a status http.client reads otherwise")
    status, reason = int(words[1]), (words[2].strip() if len(words) == 3 else "")
    headers = _headers(block)
    fields = {name.lower(): value for name, value in reversed(headers)}  # the first counts
    if status < 200 or "transfer-encoding" in fields:
        raise UnexpectedBatchError("an interim status or a transfer encoding")
    body = rest
    if status in (204, 304) or request.method == "HEAD":
        body = b""
    elif fields.get("content-length"):
        length = fields["content-length"].strip()
        if not (length.isascii() and length.isdigit()) or int(length) > len(rest):
            raise UnexpectedBatchError("a Content-Length http.client reads otherwise")
        body = rest[: int(length)]
    internal = _PartResponse(status, reason, headers, body)
    return _PART_RESPONSE_TYPE(request=request, internal_response=internal)


def _decode(body: bytes, boundary: str, requests: Sequence[Any], parent: Any) -> list[Any]:
    responses: list[Any] = []
    for index, part in enumerate(_split(body, boundary)):
        block, separator, payload = part.partition(b"\r\n\r\n")
        if not separator or not block.isascii():  # the email parser reads others otherwise
            raise UnexpectedBatchError("a part without headers, or not in ASCII")
        fields = {name.lower(): value for name, value in reversed(_headers(block))}
        content_type = fields.get("content-type", "")
        kind = content_type.split(";")[0].strip().lower()
        if kind == "application/http":
            if fields.get("content-transfer-encoding", "").strip().lower() not in _PLAIN_ENCODINGS:
                raise UnexpectedBatchError("an encoded part")
            request = requests[index] if index < len(requests) else parent
            responses.append(_http_response(payload, request))
        elif kind == "multipart/mixed" and index < len(requests):
            changeset = requests[index].multipart_mixed_info
            if not changeset:
                raise UnexpectedBatchError("a changeset answering a single operation")
            responses.extend(_decode(payload, _boundary(content_type), changeset[0], parent))
        else:
            raise UnexpectedBatchError(f"a part of type {kind!r}")
    return responses


def read_parts(response: Any) -> list[Any] | None:
    """The parts of a multipart answer as azure-core reads them (before its policies' on_response),
    or None where this codec would not vouch for its reading."""
    request = response.request
    content_type = response.content_type or ""
    if not content_type.startswith("multipart/mixed") or not request.multipart_mixed_info:
        return None
    if not content_type.isascii():  # azure-core refuses it
        return None
    try:
        boundary = _boundary(content_type)
        return _decode(response.read(), boundary, request.multipart_mixed_info[0], request)
    except (UnexpectedBatchError, UnicodeError):
        return None


def decode_parts(response: Any) -> list[Any]:
    """The responses to a multipart request's operations, in order (``response.parts()``);
    azure-core's parser reads what ``read_parts`` does not vouch for."""
    parts = read_parts(response)
    if parts is None:
        return list(type(response).parts(response))
    policies = response.request.multipart_mixed_info[1]
    for part in parts:  # in turn: the sub-request policies' on_response, as azure-core runs it
        context = PipelineContext(None)
        part_request = PipelineRequest(part.request, context)
        part_response = PipelineResponse(part.request, part, context=context)
        for policy in policies:
            policy.on_response(part_request, part_response)
    return parts


def fast_batches(client: TableClient) -> TableClient:
    """The client, its transactions encoded and decoded here (the SDK has no option for it)."""
    pipeline = client._client._client._pipeline
    stock_run = pipeline.run

    def prepare(request: Any) -> None:
        prepare_sub_requests_in_turn(request)
        encode_batch(request)

    def run(request: Any, **kwargs: Any) -> Any:
        pipeline_response = stock_run(request, **kwargs)
        if getattr(request, "multipart_mixed_info", None):
            response = pipeline_response.http_response
            # An attribute of this response only: shadows the class's ``parts`` for it.
            setattr(response, "parts", lambda: decode_parts(response))  # noqa: B010
        return pipeline_response

    setattr(pipeline, "_prepare_multipart", prepare)  # noqa: B010
    setattr(pipeline, "run", run)  # noqa: B010
    return client
