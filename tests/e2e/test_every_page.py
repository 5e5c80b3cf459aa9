"""Every main page, for every role, in English, French and Spanish, in Chromium on the demo programme:

- no page scrolls sideways at 320, 390, 768, 1024, 1280 or 1920 px (``scrollWidth`` ≤ the viewport);
- axe-core (bundled by ``axe-playwright-python``) finds no critical and no serious violation. axe
  (the slow part, seconds a page) runs for each role in one language, the languages taking turns
  across the roles, so that every language and every role is audited and CI stays within its time.

The pages are found by following the links each role sees, from the home page, three clicks deep, one
address per endpoint (the first met): a page added later is checked without editing this file.
"""
from __future__ import annotations

import pytest

from tests.e2e.conftest import load_demo, sign_in, switch_language
from tests.pages import ROLES, main_pages
from tests.pages import sign_in as client_sign_in

WIDTHS = (320, 390, 768, 1024, 1280, 1920)
LANGUAGES = ("en", "fr", "es")
IMPACTS = ("critical", "serious")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(live_app):
    return load_demo(live_app)


@pytest.fixture(scope="module")
def role_pages(live_app, live_server, browser, demo):
    """``{role: (page, {endpoint: path})}``: one signed-in browser context per role, and its pages."""
    opened, contexts = {}, []
    for role, account in ROLES.items():
        client = live_app.test_client()
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        if account:
            client_sign_in(live_app, client, demo.email(account))
            sign_in(page, live_server, demo.email(account), demo.password)
        opened[role] = (page, main_pages(live_app, client))
    yield opened
    for context in contexts:
        context.close()


def overflow(page) -> list[tuple[int, int]]:
    """``[(viewport width, scrollWidth)]`` for every width at which the page scrolls sideways."""
    wide = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            wide.append((width, scroll))
    page.set_viewport_size({"width": 1280, "height": 900})
    return wide


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a",
                                                                               "wcag21aa", "wcag22aa"]}})
    problems = []
    for violation in results.response["violations"]:
        if violation["impact"] in IMPACTS:
            targets = [" ".join(node["target"]) for node in violation["nodes"][:3]]
            problems.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return problems


def test_the_crawl_reaches_the_main_pages_of_each_role(role_pages):
    endpoints = {role: set(found) for role, (_, found) in role_pages.items()}
    print({role: sorted(found) for role, found in endpoints.items()})
    assert {"dashboard.index", "auth.login", "auth.register"} <= endpoints["anonymous"]
    assert {"cities.mine", "cities.profile", "mentorships.index", "rounds.mine", "auth.account",
            "auth.notifications"} <= endpoints["mentee-representative"]
    assert {"mentorships.show", "mentorships.close"} <= endpoints["mentor-representative"]
    assert {"rounds.index", "rounds.show", "cities.verification_queue", "cities.directory"} \
        <= endpoints["coordinator"]
    assert {"admin.index"} <= endpoints["administrator"]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_every_width_and_passes_axe(role_pages, live_server, role, lang):
    page, found = role_pages[role]
    page.goto(live_server + "/")
    switch_language(page, lang)
    failures = []
    audit = LANGUAGES[list(ROLES).index(role) % len(LANGUAGES)] == lang
    for endpoint, url in sorted(found.items()):
        page.goto(live_server + url)
        assert page.locator("html").get_attribute("lang") == lang, url
        for width, scroll in overflow(page):
            failures.append(f"{endpoint} {url}: {scroll}px wide at {width}px")
        if audit:
            failures += [f"{endpoint} {url}: {problem}" for problem in serious_violations(page)]
    assert failures == []
