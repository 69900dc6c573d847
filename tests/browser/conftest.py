"""Browser test fixtures: Debian's Chromium, and the real app on a free port.

Every test here is marked ``browser``. Without a Chromium executable they
skip (or fail, when ``REQUIRE_BROWSER=1``) before pytest-playwright tries to
launch anything. The live server is one per session, so one per xdist
worker, on its own SQLite file loaded with the demo portfolio.
"""

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from pptracker import create_app
from pptracker.demo.services import load_demo
from pptracker.extensions import db

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium_missing_reason() -> str | None:
    path = Path(CHROMIUM_PATH)
    if path.is_file() and os.access(path, os.X_OK):
        return None
    return f"Chromium not found at {CHROMIUM_PATH}; install Debian's chromium or set CHROMIUM_PATH"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Skip (or fail, with REQUIRE_BROWSER=1) browser tests before any fixture runs."""
    if item.get_closest_marker("browser") is None:
        return
    reason = _chromium_missing_reason()
    if reason is None:
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium, kept off the network."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM_PATH, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_app(tmp_path_factory):
    """The app on a SQLite file holding the demo portfolio (one per worker)."""
    path = tmp_path_factory.mktemp("browser") / "browser.sqlite"
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}",
        DOCUMENTS_DIR=str(path.parent / "documents"),
        REPORT_CACHE_DIR=str(path.parent / "report-cache"),
    )
    with app.app_context():
        db.create_all()
        load_demo(app.config["DEMO_PASSWORD"])
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(browser_app):
    """Serve ``browser_app`` on a free local port in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, browser_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(scope="session")
def base_url(live_server):
    """Relative URLs in ``page.goto`` go to the live server.

    This also replaces pytest-playwright's own ``base_url`` fixture, an instance
    method of a plugin class that pytest 9 deprecates with a warning (an error
    under this project's ``filterwarnings``).
    """
    return live_server


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, base_url):
    """Axe-core is injected as script despite the app's Content-Security-Policy."""
    return {**browser_context_args, "base_url": base_url, "bypass_csp": True}


@pytest.fixture(scope="session")
def demo_password(browser_app):
    """The password of every demo account."""
    return browser_app.config["DEMO_PASSWORD"]
