"""Browser fixtures: Playwright (sync API) driving Debian's chromium against pytest-django's live server.

Playwright never downloads a browser here: it launches /usr/bin/chromium (or $PAYVAND_CHROMIUM). Every request the
page makes to a host other than the live server is aborted and recorded, so a test can never reach the internet.

pytest-django's `live_server` is WSGI: it has no WebSockets. Tests of live updates use `asgi_server` instead: the
real ASGI app (`payvand.asgi:application`) under uvicorn in a child process, on the same test database (a file on
SQLite, a database on PostgreSQL; the test must be `transaction=True` so that the child sees the rows). Sign users
in there with `sign_in(page, user, base_url)`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module. Not for the session: Playwright's sync API keeps an asyncio loop running in
    this thread while it is open, which breaks every later test that uses async_to_sync (Channels) and any
    second Playwright instance (the forms browser tests reuse this fixture in their own module)."""
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

    def on_failed(request: Any) -> None:
        # A request still in flight when the page navigates away (an htmx refresh, a live update) is aborted by the
        # browser: that is no fault of the page.
        if urlsplit(request.url).hostname in LOCAL_HOSTS and request.failure != "net::ERR_ABORTED":
            problems.failed.append(f"failed {request.url} ({request.failure})")

    context.on("requestfailed", on_failed)


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


def _database_url_for_child() -> str:
    """The DATABASE_URL under which a child process opens the test database this test uses."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        if not name or name == ":memory:" or name.startswith("file:"):
            pytest.fail("the ASGI server needs a file-based SQLite test database (settings set TEST NAME)")
        return f"sqlite:///{name}"
    if connection.vendor == "postgresql":
        user = quote(str(db.get("USER") or ""), safe="")
        password = quote(str(db.get("PASSWORD") or ""), safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = db.get("HOST") or "127.0.0.1"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{auth}{host}{port}/{quote(str(db['NAME']), safe='')}"
    pytest.fail(f"no ASGI server for the {connection.vendor} backend")
    raise AssertionError  # unreachable: pytest.fail raises


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_serving(process: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # it answers
        except OSError:
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"the ASGI server did not answer within {timeout:.0f} s:\n{log.read_text(errors='replace')}")
    raise AssertionError  # unreachable


@pytest.fixture
def asgi_server(transactional_db: None, tmp_path: Path, settings: Any) -> Iterator[str]:
    """The real ASGI app (HTTP and WebSockets) under uvicorn in a child process, on this test's database.

    The child runs with PAYVAND_TESTING=1 (immediate tasks, in-memory email, fast password hashing) and the
    in-memory channel layer, so a live push reaches every socket when the change is made through this server (by a
    browser). Changes the test process makes itself (seeding) push nothing: its channel layer is switched off here,
    since nobody listens on it. Yields the base URL, e.g. http://127.0.0.1:53124.
    """
    settings.CHANNEL_LAYERS = {}
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_child(),
        "PAYVAND_TESTING": "1",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "payvand.settings",
    }
    env.pop("REDIS_URL", None)  # the in-memory layer: the server is one process
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the server must keep Django's async-safety checks
    log = tmp_path / "asgi-server.log"
    for _attempt in range(3):  # a port taken between choosing and binding it: try another
        port = _free_port()
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "payvand.asgi:application",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--lifespan",
                    "off",
                    "--no-access-log",
                ],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        if _wait_until_serving(process, f"{base}/accounts/login/", log):
            break
    else:
        pytest.fail(f"the ASGI server did not start:\n{log.read_text(errors='replace')}")
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        # pytest shows captured output only when the test fails: then the server's log is there too.
        sys.stdout.write(f"--- ASGI server log ---\n{log.read_text(errors='replace')}\n")


def sign_in(page: Any, user: Any, base: str) -> None:
    """Give the page's browser context a session of `user` (made here, stored in the shared database)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}])


def assert_no_horizontal_overflow(page: Any) -> None:
    """Nothing on the page is wider than the screen (the 360 px phone check)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    if width > viewport:
        culprits = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(el => {
            const r = el.getBoundingClientRect();
            return r.width > 0 && (r.right > window.innerWidth + 0.5 || r.left < -0.5);
        }).slice(0, 8).map(el => `${el.tagName.toLowerCase()}#${el.id}.${[...el.classList].join('.')} `
            + JSON.stringify(el.getBoundingClientRect()))""")
        raise AssertionError(f"{page.url}: the page is {width}px wide on a {viewport}px screen: {culprits}")
