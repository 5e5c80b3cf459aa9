"""The home page renders in Chromium with the stylesheet applied and no console errors."""
from __future__ import annotations

from tests.e2e.conftest import screenshot


def test_home_page_renders_with_styles_and_no_csp_violations(live_server, page):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text() == "Cities learning from cities"
    # The stylesheet is applied (CSP allows our own files): the top bar has the brand colour.
    colour = page.eval_on_selector(".topbar", "el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(8, 79, 79)"
    with page.expect_navigation():  # the switcher submits its form on change
        page.select_option("#lang-select", "fr")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "fr"
    screenshot(page, "home-fr")
    assert problems == []
