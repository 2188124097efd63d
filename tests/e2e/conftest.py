"""Browser fixtures: Playwright (sync API) driving Debian's chromium against pytest-django's live server.

Playwright never downloads a browser here: it launches /usr/bin/chromium (or $PAYVAND_CHROMIUM). Every request the
page makes to a host other than the live server is aborted and recorded, so a test can never reach the internet.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an asyncio loop in this thread; the ORM calls made by the tests are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BLANK_TILE = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def _chromium_path() -> str | None:
    wanted = os.environ.get("PAYVAND_CHROMIUM", "/usr/bin/chromium")
    if os.path.exists(wanted):
        return wanted
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = _chromium_path()
    if path is None:
        message = "chromium is not installed (apt-get install chromium); .ci/run installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class PageProblems:
    """What went wrong while a page was open: outside requests, failed requests, console errors."""

    def __init__(self) -> None:
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.console_errors: list[str] = []

    def assert_clean(self) -> None:
        assert not self.blocked, f"the page tried to reach outside the test server: {self.blocked}"
        assert not self.failed, f"requests failed (missing static files, icons or fonts?): {self.failed}"
        assert not self.console_errors, f"JavaScript console errors: {self.console_errors}"


def _guard(context: Any, problems: PageProblems) -> None:
    def route(r: Any) -> None:
        if urlsplit(r.request.url).hostname in LOCAL_HOSTS or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            problems.blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)

    def on_response(response: Any) -> None:
        if response.status >= 400:
            problems.failed.append(f"{response.status} {response.url}")

    context.on("response", on_response)
    context.on(
        "requestfailed",
        lambda req: problems.failed.append(f"failed {req.url}") if urlsplit(req.url).hostname in LOCAL_HOSTS else None,
    )


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """Factory: a fresh page (own context, so own cookies) with the outside world blocked."""
    contexts: list[Any] = []

    def make(
        *, width: int = 1280, height: int = 900, storage_state: Any = None, problems: PageProblems | None = None
    ) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": height}, storage_state=storage_state, locale="en-GB"
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        problems = problems if problems is not None else PageProblems()
        _guard(context, problems)
        page = context.new_page()
        page.on("console", lambda msg: problems.console_errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: problems.console_errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot() -> Any:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shoot(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot


@pytest.fixture(autouse=True)
def _no_map_tiles(settings: Any) -> None:
    """No tile server in tests: the map (if any address has coordinates) must not fetch from the internet."""
    settings.MAP_TILE_URL = BLANK_TILE
