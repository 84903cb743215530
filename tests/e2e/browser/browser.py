"""Helpers for the browser tests: Debian's chromium driven by Playwright, offline.

The tests use the system's ``chromium`` (``make setup`` installs it), never a browser Playwright
downloads. It runs headless with a fresh profile and without the background services that would
call home; every request the page makes to anything but the stack under test is aborted and
recorded, and a test fails if there was one.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Error, Page, Route, ViewportSize

REPO: Final = Path(__file__).resolve().parents[3]
SCREENSHOTS: Final = REPO / "docs" / "screenshots"
# The browser binary: $CHROMIUM, else Debian's chromium (or its other name) on the PATH.
CHROMIUM_NAMES: Final = ("chromium", "chromium-browser")
CHROMIUM_ARGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT: Final = ViewportSize(width=1280, height=900)
NARROW_VIEWPORT: Final = ViewportSize(width=390, height=844)
LOCAL_HOSTS: Final = frozenset({"127.0.0.1"})


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


@dataclass
class PageWatch:
    """What a page did that a test must not see: script errors, CSP violations, requests to
    anything but the local stack."""

    errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("pageerror", self._on_page_error)
        page.on("console", self._on_console)
        page.route("**/*", self._on_request)

    def _on_page_error(self, error: Error) -> None:
        self.errors.append(f"page error: {error}")

    def _on_console(self, message: ConsoleMessage) -> None:
        # A failed fetch (a 404 invoice, a 400 booking) is logged by the browser as an error
        # too; those are answers the page handles. A policy violation or a script error is not.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(f"console: {message.text}")

    def _on_request(self, route: Route) -> None:
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith("data:") or host in LOCAL_HOSTS:
            route.continue_()
        else:
            self.outside_requests.append(route.request.url)
            route.abort()


def screenshot(page: Page, name: str) -> Path:
    """Write docs/screenshots/<name>.png (the README shows them) and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path
