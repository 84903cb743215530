"""The console's static files: the right file with its type, never one outside ``console/``,
revalidation by ETag, and a CSP that allows no inline script and no other origin."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import azure.functions as func
import pytest

from entrypoints.console import (
    CONSOLE_DIR,
    CONTENT_SECURITY_POLICY,
    CONTENT_TYPES,
    console_file,
    serve,
)
from entrypoints.http_edge import PROBLEM_JSON

BASE = "http://localhost:7071/api/console/"


def get(path: str, root: Path, headers: dict[str, str] | None = None) -> func.HttpResponse:
    url = BASE + path if path else BASE
    return serve(
        func.HttpRequest("GET", url, headers=headers or {}, route_params={"path": path}, body=b""),
        root,
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "console"
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>t</title>", encoding="utf-8")
    (root / "js" / "app.js").write_text("export const a = 1;\n", encoding="utf-8")
    (root / "style.css").write_text("body {}\n", encoding="utf-8")
    (root / "notes.txt").write_text("not served\n", encoding="utf-8")
    (root / ".hidden.js").write_text("secret\n", encoding="utf-8")
    (tmp_path / "outside.js").write_text("outside\n", encoding="utf-8")
    return root


def test_the_page_is_served_at_the_folder_with_its_type_and_headers(site: Path) -> None:
    response = get("", site)
    assert response.status_code == 200
    assert response.get_body() == (site / "index.html").read_bytes()
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-cache"
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["ETag"])


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("js/app.js", "text/javascript; charset=utf-8"), ("style.css", "text/css; charset=utf-8")],
)
def test_assets_carry_their_content_type(site: Path, path: str, content_type: str) -> None:
    response = get(path, site)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.get_body() == (site / path).read_bytes()


def test_the_page_without_its_trailing_slash_redirects_to_it(site: Path) -> None:
    request = func.HttpRequest(
        "GET", "http://localhost:7071/api/console", headers={}, route_params={}, body=b""
    )
    response = serve(request, site)
    assert response.status_code == 308
    assert response.headers["Location"] == "/api/console/"


@pytest.mark.parametrize(
    "path",
    [
        "../outside.js",
        "js/../../outside.js",
        "..",
        ".hidden.js",
        "js//app.js",
        "js/./app.js",
        "js\\app.js",
        "/etc/passwd",
        "notes.txt",
        "missing.js",
        "js",
        "index.html\x00.js",
        "a/b/c/d/e/f/g/h/i.js",
    ],
)
def test_anything_but_a_served_file_of_the_folder_is_a_problem_404(site: Path, path: str) -> None:
    response = get(path, site)
    assert response.status_code == 404
    assert response.mimetype == PROBLEM_JSON
    assert json.loads(response.get_body())["title"] == "Not found"


def test_a_symlink_leading_out_of_the_folder_is_not_followed(site: Path) -> None:
    os.symlink(site.parent / "outside.js", site / "js" / "link.js")
    assert console_file("js/link.js", site) is None
    assert get("js/link.js", site).status_code == 404


def test_a_matching_etag_is_a_304_without_a_body(site: Path) -> None:
    etag = get("js/app.js", site).headers["ETag"]
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = get("js/app.js", site, {"If-None-Match": sent})
        assert response.status_code == 304, sent
        assert response.get_body() == b""
        assert response.headers["ETag"] == etag
    assert get("js/app.js", site, {"If-None-Match": '"other"'}).status_code == 200


def test_the_etag_changes_with_the_file(site: Path) -> None:
    before = get("js/app.js", site).headers["ETag"]
    (site / "js" / "app.js").write_text("export const a = 2;\n", encoding="utf-8")
    assert get("js/app.js", site).headers["ETag"] != before


def test_the_policy_allows_no_inline_script_and_no_other_origin() -> None:
    directives = dict(
        part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";") if part.strip()
    )
    assert directives["default-src"] == "'none'"
    for name in ("script-src", "style-src", "connect-src", "img-src"):
        assert directives[name] == "'self'", name
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


# -- the real console folder -------------------------------------------------------------------


def console_files() -> list[Path]:
    return sorted(p for p in CONSOLE_DIR.rglob("*") if p.is_file())


def test_every_file_of_the_console_is_served() -> None:
    files = console_files()
    assert CONSOLE_DIR / "index.html" in files
    for path in files:
        relative = path.relative_to(CONSOLE_DIR).as_posix()
        assert path.suffix in CONTENT_TYPES, f"{relative} would not be served"
        assert console_file(relative) == path.resolve(), relative


def test_the_page_loads_only_files_of_the_console_and_no_inline_script() -> None:
    html = (CONSOLE_DIR / "index.html").read_text(encoding="utf-8")
    references = re.findall(r'(?:src|href)="([^"#]+)"', html)
    assert references, "the page links its script and style sheet"
    for reference in references:
        assert console_file(reference) is not None, reference
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline <script> is blocked by the CSP"
    assert not re.search(r"\son[a-z]+=", html), "inline handlers are blocked by the CSP"
    assert "style=" not in html, "inline styles are blocked by the CSP"


def test_module_imports_name_files_of_the_console() -> None:
    for path in CONSOLE_DIR.rglob("*.js"):
        source = path.read_text(encoding="utf-8")
        for target in re.findall(r'^import .* from "([^"]+)";$', source, re.MULTILINE):
            assert target.startswith("."), f"{path.name} imports {target}: no bare or remote"
            resolved = (path.parent / target).resolve()
            assert resolved.is_file(), f"{path.name} imports missing {target}"
        assert not re.search(r"https?://", source), f"{path.name} names another origin"
        # Text from the API is never parsed as markup or code.
        for sink in (".innerHTML", ".outerHTML", "insertAdjacentHTML", "eval(", "new Function"):
            assert sink not in source, f"{path.name} uses {sink}"


def test_the_console_is_deployed_with_the_app() -> None:
    # deploy.sh zips the project minus .funcignore's patterns (gitignore-like: any depth).
    ignored = [
        line.strip().rstrip("/")
        for line in (CONSOLE_DIR.parent / ".funcignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for path in console_files():
        parts = path.relative_to(CONSOLE_DIR.parent).parts
        for pattern in ignored:
            assert not any(Path(part).match(pattern) for part in parts), (path, pattern)
