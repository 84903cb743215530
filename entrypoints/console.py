"""The web console (README "Web console"): the files in ``console/``, served anonymously.

``GET /api/console/`` is the page and ``GET /api/console/{*path}`` its assets. The page holds no
key: every data call it makes goes to the API with the key the user enters in the browser, so
serving it anonymously gives nothing away. Only the files of ``console/`` whose type is listed
in ``CONTENT_TYPES`` are served; a path is checked segment by segment before it touches the
file system, so no ``..``, hidden file or symlink leads outside that folder.

Files are read on each request (the folder is small), so an edited file shows on the next
reload under ``make run``; the ETag (a hash of the bytes) lets the browser revalidate cheaply.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import azure.functions as func

from entrypoints.http_edge import problem

bp = func.Blueprint()  # type: ignore[no-untyped-call]

CONSOLE_DIR: Final = Path(__file__).resolve().parents[1] / "console"
INDEX: Final = "index.html"
CONTENT_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
# Scripts and styles from this origin only: no inline script, no third-party origin, no
# framing. Data calls go to the same origin's /api.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# Module files have stable names (no build step, no hashes), so the browser must revalidate
# each time; the ETag makes that a 304 without a body.
CACHE_CONTROL: Final = "no-cache"
SEGMENT: Final = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$")
MAX_SEGMENTS: Final = 8


def console_file(path: str, root: Path = CONSOLE_DIR) -> Path | None:
    """The file of ``root`` that ``path`` (the route value, decoded) names, or None.

    Each segment must be a plain name (letters, digits, ``_ - .``, not starting with a dot), so
    ``..``, ``.hidden``, backslashes and empty segments never match; the resolved file must still
    lie inside ``root`` (a symlink cannot lead out) and have a served extension.
    """
    segments = path.split("/") if path else [INDEX]
    if len(segments) > MAX_SEGMENTS or not all(SEGMENT.match(part) for part in segments):
        return None
    candidate = root.joinpath(*segments)
    if candidate.suffix not in CONTENT_TYPES:
        return None
    try:
        resolved = candidate.resolve(strict=True)
    except OSError:  # missing, a loop, a name the file system refuses
        return None
    if not resolved.is_relative_to(root.resolve()) or not resolved.is_file():
        return None
    return resolved


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def serve(req: func.HttpRequest, root: Path = CONSOLE_DIR) -> func.HttpResponse:
    """The response for a request to the console (route value ``path``)."""
    path = req.route_params.get("path", "") or ""
    request_path = urlsplit(req.url).path
    if not path and not request_path.endswith("/"):
        # Relative asset URLs in the page resolve against its directory, so the page's own URL
        # must end with a slash.
        return func.HttpResponse(
            status_code=308, headers={"Location": f"{request_path}/", **SECURITY_HEADERS}
        )
    found = console_file(path, root)
    if found is None:
        return problem(
            404, "Not found", detail="no such console file", instance=request_path or "/"
        )
    body = found.read_bytes()
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, **SECURITY_HEADERS}
    if _matches(req.headers.get("If-None-Match"), etag):
        return func.HttpResponse(status_code=304, headers=headers)
    return func.HttpResponse(
        body,
        status_code=200,
        headers={"Content-Type": CONTENT_TYPES[found.suffix], **headers},
    )


@bp.route(route="console/{*path}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def console(req: func.HttpRequest) -> func.HttpResponse:
    return serve(req)
