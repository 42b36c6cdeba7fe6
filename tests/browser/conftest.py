"""Browser tests: Playwright drives Debian's Chromium headless through the real pages.

The pages are served by a live server of their own: a scratch SQLite database in a temporary
directory, built with ``alembic upgrade head`` and loaded with the demo (committed), served by
werkzeug on 127.0.0.1 in a daemon thread. It is SQLite even when ``DATABASE_URL`` names
PostgreSQL (these tests test the pages, not the database) and it shares nothing with the main
session's ``app``, ``db_session`` and database. The tests share the one demo database, so each
test works on records no other browser test touches and compares figures before and after.

Each test gets a fresh browser context (its own cookies) and saves a full-page screenshot
after each page step into ``test-artifacts/screenshots/<test>-<nn>-<step>.png`` (and
``<test>-failure.png`` when it fails).

Needs ``/usr/bin/chromium`` (``bash scripts/system-deps.sh`` installs it as root); without it
the browser tests are skipped. ``playwright install`` is never needed: the browser is Debian's.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import flask
import flask_migrate
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from fundtrack import create_app
from fundtrack.demo import load_demo
from fundtrack.extensions import db
from fundtrack.users import operations
from tests.conftest import DEMO_PASSWORD

CHROMIUM = "/usr/bin/chromium"
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
#: how long a locator or navigation may wait before the test fails (milliseconds)
TIMEOUT_MS = 15_000


def _require_chromium() -> None:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(
            f"browser tests need Debian's Chromium at {CHROMIUM}: run "
            "`bash scripts/system-deps.sh` as root, or `sudo apt-get install chromium`"
        )


def _unsynchronised(dbapi_connection, connection_record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


@contextlib.contextmanager
def _cheap_password_hashes():
    """Hash the demo users' passwords with minimal Argon2 costs while the demo loads.

    The 28 demo users cost half a second each at the production costs; the first login of a
    user re-hashes its password at those costs (``check_needs_rehash``). The production
    hasher is back before any test runs.
    """
    with mock.patch.object(
        operations, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    ):
        yield


@dataclass
class LiveServer:
    url: str
    #: exceptions raised while handling requests (a test fails when one appears)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app on a scratch SQLite database with the demo, served on a free local port."""
    _require_chromium()

    path = tmp_path_factory.mktemp("browser") / "fundtrack-browser.sqlite"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SECRET_KEY": "browser-test-secret-key-that-is-long-enough-0123",
        }
    )
    with app.app_context():
        # a scratch database: no need to wait for the disk at each of the demo's commits
        sa.event.listen(db.engine, "connect", _unsynchronised)
        flask_migrate.upgrade()
        with _cheap_password_hashes():
            load_demo(db.session, DEMO_PASSWORD)
        db.session.remove()

    server_state = LiveServer(url="")

    def record_error(sender, exception, **extra):
        server_state.errors.append(f"{flask.request.method} {flask.request.path}: {exception!r}")

    flask.got_request_exception.connect(record_error, app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server_state.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="browser-live-server", daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        flask.got_request_exception.disconnect(record_error, app)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    _require_chromium()

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser, live_server, request):
    """A page in a fresh browser context (own cookies), with the live server as base URL."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    errors_before = len(live_server.errors)
    page = context.new_page()
    try:
        yield page
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(PlaywrightError):  # the failure itself is what counts
                page.screenshot(
                    path=SCREENSHOTS / f"{_test_name(request)}-failure.png", full_page=True
                )
    finally:
        context.close()
    new_errors = live_server.errors[errors_before:]
    assert not new_errors, f"the server failed while serving the pages: {new_errors}"


def _test_name(request) -> str:
    return re.sub(r"^test_", "", request.node.name)


class Screenshots:
    """``shot("step")`` saves a full-page screenshot as ``<test>-<nn>-<step>.png``;
    ``shot.pdf("step", data)`` saves the first page of a PDF the same way (Chromium's own
    PDF viewer shows nothing in a headless screenshot), where poppler's pdftoppm is there."""

    def __init__(self, page, name: str):
        self.page = page
        self.name = name
        self.count = 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for stale in SCREENSHOTS.glob(f"{name}-*.png"):
            stale.unlink()

    def _path(self, step: str) -> Path:
        self.count += 1
        return SCREENSHOTS / f"{self.name}-{self.count:02d}-{step}.png"

    def __call__(self, step: str) -> Path:
        path = self._path(step)
        self.page.screenshot(path=path, full_page=True)
        return path

    def pdf(self, step: str, data: bytes) -> Path | None:
        pdftoppm = shutil.which("pdftoppm")
        if pdftoppm is None:
            return None
        path = self._path(step)
        subprocess.run(
            [pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", "-",
             str(path.with_suffix(""))],
            input=data,
            check=True,
            capture_output=True,
            timeout=60,
        )  # fmt: skip
        return path


@pytest.fixture
def shot(page, request):
    return Screenshots(page, _test_name(request))
