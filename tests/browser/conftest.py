"""A live dashboard over the demo data, and a real headless Chromium driven by Playwright.

The server runs in this process on a free loopback port with a temporary data folder: the
demo data is loaded through the ordinary ingest path and published once per test session.
Chromium is Debian's (/usr/bin/chromium), started with a fresh user-data dir.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from etl.settings import Settings
from tests.conftest import make_settings

CHROMIUM = os.environ.get("NAIO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
DEMO_PASSWORDS = {"viewer": "viewer-demo-2026", "analyst.jpn": "analyst-demo-2026",
                  "analyst.lhdn": "analyst-demo-2026", "admin": "admin-demo-2026"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory) -> Settings:
    """A data folder with the demo data loaded and published (once per session)."""
    from etl.demo_loader import load_demo
    from etl.publish import publish
    from etl.store import Store

    settings = make_settings(tmp_path_factory.mktemp("demo"))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store.open(settings.database_url, settings.reference_dir)
    load_demo(settings, store)
    publish(store, settings, trigger="test")
    store.dispose()
    return settings


@pytest.fixture(scope="session")
def live_server(demo_settings):
    """Base URL of the dashboard served by waitress in a background thread."""
    from waitress.server import create_server

    from dashboard.server import create_app, default_threads
    from etl.store import Store

    store = Store.open(demo_settings.database_url, demo_settings.reference_dir)
    app = create_app(demo_settings, store)
    port = _free_port()
    server = create_server(app.server, host="127.0.0.1", port=port, threads=default_threads())
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    time.sleep(0.3)
    yield f"http://127.0.0.1:{port}"
    server.close()
    store.dispose()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="naio-chromium-")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900})
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser):
    """A fresh tab with console errors collected in ``page.console_errors``."""
    browser.clear_cookies()
    pg = browser.new_page()
    pg.console_errors = []
    pg.on("console", lambda msg: pg.console_errors.append(msg.text) if msg.type == "error" else None)
    pg.on("pageerror", lambda exc: pg.console_errors.append(str(exc)))
    yield pg
    pg.close()


def sign_in(page, base_url: str, username: str, password: str | None = None, next_path: str = "/") -> None:
    page.goto(f"{base_url}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", password or DEMO_PASSWORDS[username])
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
