"""Every main page, for every role, in English, French and Spanish, in Chromium on the demo programme:

- no page scrolls sideways at 320, 390, 768, 1024, 1280 or 1920 px (``scrollWidth`` ≤ the viewport);
- axe-core (bundled by ``axe-playwright-python``) finds no critical and no serious violation. axe
  (the slow part, seconds a page) runs for each role in one language, the languages taking turns
  across the roles, so that every language and every role is audited and CI stays within its time.

The pages are found by following the links each role sees, from the home page, three clicks deep, one
address per endpoint (the first met): a page added later is checked without editing this file.

The roles are shared between two test modules (``test_every_page_*.py``) so that the two CI workers
audit them at the same time; each module builds its own server and signed-in browsers.
"""
from __future__ import annotations

from tests.e2e.conftest import load_demo, sign_in, switch_language
from tests.pages import ROLES, main_pages
from tests.pages import sign_in as client_sign_in

WIDTHS = (320, 390, 768, 1024, 1280, 1920)
LANGUAGES = ("en", "fr", "es")
IMPACTS = ("critical", "serious")


def open_role_pages(live_app, live_server, browser, roles):
    """``{role: (page, {endpoint: path})}``: one signed-in browser context per role, and its pages;
    a generator (the contexts close after the module)."""
    demo = load_demo(live_app)
    opened, contexts = {}, []
    for role in roles:
        account = ROLES[role]
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

    # Violations only: axe then skips recording every passing node, most of its time on large pages.
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a",
                                                                               "wcag21aa", "wcag22aa"]},
                                       "resultTypes": ["violations"]})
    problems = []
    for violation in results.response["violations"]:
        if violation["impact"] in IMPACTS:
            targets = [" ".join(node["target"]) for node in violation["nodes"][:3]]
            problems.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return problems


def check_every_page(role_pages, live_server, role, lang) -> list[str]:
    """What is wrong with ``role``'s pages in ``lang``: sideways scrolling at any width, and (for the
    language whose turn it is for this role) axe's critical and serious violations."""
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
    return failures
