"""Browser tests: real Chromium driven by Playwright against pytest-django's live server.

The system Chromium (/usr/bin/chromium, Debian package ``chromium``) is used; Playwright
never downloads a browser. Without it these tests are skipped with that reason; CI
installs it, so there they run.
"""

import os
import shutil

import pytest
from django.core.management import call_command
from django.core.servers.basehttp import WSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread

from kampungkb.masterdata import ensure_master_data

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 360, "height": 740}
DEMO_PASSWORD = "kampungkb-demo"

# Playwright's sync API runs an event loop in the test thread (djangoproject.com does this).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


class SerialWSGIServer(WSGIServer):
    """The live server answering one request at a time. With SQLite's in-memory test
    database, the threaded server's request threads all share the test's single
    connection, so a page loading several photos at once interleaves their transactions
    ("no such savepoint"). PostgreSQL gives each thread its own connection."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)


@pytest.fixture(scope="session", autouse=True)
def _serial_live_server_on_sqlite():
    if connections["default"].vendor != "sqlite":
        yield
        return
    original = LiveServerThread.server_class
    LiveServerThread.server_class = SerialWSGIServer
    yield
    LiveServerThread.server_class = original


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "id-ID", "timezone_id": "Asia/Jakarta"}


@pytest.fixture
def demo(live_server):
    """The live server with master data and the demo data of ``make run``."""
    ensure_master_data()  # a transactional test's flush removed what migrations loaded
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return live_server


@pytest.fixture
def login(page, demo):
    """``login(username, viewport=PHONE)``: log a demo user in through the login form."""

    def do(username, viewport=PHONE):
        page.set_viewport_size(viewport)
        page.goto(f"{demo.url}/masuk/")
        page.get_by_label("Nama pengguna").fill(username)
        page.get_by_label("Sandi").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_url(f"{demo.url}/dasbor/")
        # The dashboard's map fetches its data after the page has loaded. On SQLite the
        # live server shares the test's database connection: a test that queries while
        # such a request commits makes SQLite refuse the commit. Let them finish first.
        page.wait_for_load_state("networkidle")
        return page

    return do


def assert_no_horizontal_scroll(page):
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"page scrolls sideways by {overflow}px at {page.viewport_size}"
