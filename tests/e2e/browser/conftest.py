"""Browser fixtures: one headless chromium for the browser tests, a fresh context (so fresh
sessionStorage) per test, on the e2e stack of ``tests/e2e/conftest.py``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from devstack.stack import LocalStack
from tests.e2e.browser.browser import (
    CHROMIUM_ARGS,
    VIEWPORT,
    PageWatch,
    chromium_path,
)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Closed after the last browser test, so no Playwright event loop outlives them."""
    executable = chromium_path()
    if executable is None:
        pytest.fail(
            "chromium is not installed: 'make browser' (run by 'make test') installs Debian's "
            "chromium package; or set CHROMIUM=/path/to/chromium"
        )
    # The saga runs on a shared, loaded machine: wait for what the page shows as long as for
    # the stack itself (tests/e2e/stack.py waits up to 30 s for a saga).
    expect.set_options(timeout=30_000)
    with sync_playwright() as playwright:
        # launch() gives the browser a fresh temporary profile and removes it on close.
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def master_key(admin: httpx.Client) -> str:
    """The key that opens admin-level routes: the one the ``admin`` fixture sends."""
    return str(admin.headers["x-functions-key"])


@pytest.fixture
def console(browser: Browser, stack: LocalStack, master_key: str) -> Iterator[Page]:
    """The console in a fresh tab, the keys entered on its Keys page as a user does; after
    the test, no script error, policy violation or request outside the stack happened."""
    context = browser.new_context(viewport=VIEWPORT, base_url=stack.host_url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    watch = PageWatch()
    watch.attach(page)
    try:
        page.goto("/api/console/")
        page.get_by_label("Function key").fill(stack.function_key or "")
        page.get_by_label("Master key (operations only)").fill(master_key)
        page.get_by_role("button", name="Save for this tab").click()
        page.get_by_role("heading", name="Front desk", level=1).wait_for()
        yield page
    finally:
        context.close()
    assert watch.errors == []
    assert watch.outside_requests == []
