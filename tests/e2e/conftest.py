"""Browser tests: the real application served on 127.0.0.1, driven in Debian's Chromium.

The server runs in a thread of the test process on its own SQLite file (with the taxonomy loaded);
Playwright drives ``/usr/bin/chromium`` — no browser is ever downloaded. Screenshots go to
``test-artifacts/screenshots/``. Without Chromium or Playwright the tests skip locally and fail
in CI.
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from mentoring import create_app
from mentoring.extensions import db
from tests.conftest import BASE_TEST_CONFIG, skip_or_fail

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """The application with its own database, as ``make run`` would prepare it (without demo data)."""
    path = tmp_path_factory.mktemp("live") / "live.sqlite"
    app = create_app({
        **BASE_TEST_CONFIG,
        "TESTING": False,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "WTF_CSRF_ENABLED": True,
    })
    with app.app_context():
        db.create_all()
        from mentoring.services.taxonomy import load_commissions, load_taxonomy

        load_taxonomy()
        load_commissions()
        db.session.commit()
    return app


@pytest.fixture(scope="module")
def live_server(live_app):
    """Serve ``live_app`` on a free port of 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with live_app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        skip_or_fail(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/ and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


class DemoLogins:
    """The demo programme's accounts: ``email("rep.dakar")`` and the shared ``password``."""

    def __init__(self, domain: str, password: str):
        self.domain, self.password = domain, password

    def email(self, local: str) -> str:
        return f"{local}@{self.domain}"


def load_demo(app) -> DemoLogins:
    """Load the demo programme (cities, accounts, a round, mentorships) into ``app``'s database."""
    from mentoring.services import demo as demo_service

    with app.test_request_context():
        demo_service.load_demo(force=True)
        db.session.commit()
    return DemoLogins(demo_service.DEMO_DOMAIN, demo_service.DEMO_PASSWORD)


def sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(base + "/auth/login")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("form:has(#password) [type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("form[action$='/logout'], form:has(button:text('Sign out'))").count() >= 1


def switch_language(page, lang: str) -> None:
    """Choose ``lang`` in the top bar's switcher (remembered by the session and the account)."""
    if page.locator("html").get_attribute("lang") == lang:
        return
    with page.expect_navigation():
        page.select_option("#lang-select", lang)
    page.wait_for_load_state("networkidle")
