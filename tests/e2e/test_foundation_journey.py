"""The foundation journey in Chromium: a visitor creates an account, confirms it from the mail,
registers a city, fills its profile, reads it in French, and every page is usable with a keyboard
and a screen reader (labelled controls, skip link, reachable language switcher).

Screenshots (test-artifacts/screenshots/): journey-register, journey-city-identity,
journey-capabilities, journey-profile-en, journey-profile-fr, journey-profile-phone.
"""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po
from sqlalchemy import select

from mentoring.extensions import db
from tests.e2e.conftest import screenshot

FRENCH_PO = Path(__file__).resolve().parents[2] / "mentoring" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
LINK = re.compile(r"https?://\S+/auth/confirm/[\w.\-]+")

# Visible form controls (not hidden inputs, not buttons) and how they are named.
UNLABELLED_CONTROLS = """() => {
  const controls = document.querySelectorAll(
    "main input:not([type=hidden]):not([type=submit]):not([type=button]), main select, main textarea");
  const missing = [];
  for (const el of controls) {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") continue;
    const byFor = el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
    const label = byFor && byFor.textContent.trim();
    const aria = (el.getAttribute("aria-label") || "").trim() || el.getAttribute("aria-labelledby");
    if (!label && !aria && !el.closest("label")) missing.push(el.name || el.id || el.outerHTML.slice(0, 80));
  }
  return missing;
}"""


def at(path_pattern: str):
    """A URL matcher for ``page.wait_for_url`` (the skip link may leave ``#main`` on the URL)."""
    return re.compile(rf"^[^?#]*{path_pattern}(\?[^#]*)?(#main)?$")


def french(msgid: str) -> str | None:
    """The French translation of ``msgid`` in the catalogue of this tree (None while untranslated)."""
    with FRENCH_PO.open("rb") as f:
        message = read_po(f).get(msgid)
    return message.string if message is not None and message.string and not message.fuzzy else None


def assert_controls_labelled(page, where: str) -> int:
    missing = page.evaluate(UNLABELLED_CONTROLS)
    assert missing == [], f"form controls without a label on {where}: {missing}"
    return page.locator("main input:not([type=hidden]), main select, main textarea").count()


def assert_skip_link_first_and_language_switcher_reachable(page) -> None:
    """From a fresh load of the current page: Tab reaches the skip link first, then (after the
    top bar's links) the language switcher; the skip link moves the focus to the main content."""
    url = page.url.split("#")[0]

    def focused() -> str:
        return page.evaluate("() => document.activeElement.id || document.activeElement.className")

    page.goto(url)
    page.keyboard.press("Tab")
    assert focused() == "skip-link"
    assert page.locator(".skip-link").is_visible()  # shown when focused
    for _ in range(20):  # brand, navigation… then the language switcher
        page.keyboard.press("Tab")
        if focused() == "lang-select":
            break
    else:
        raise AssertionError(f"the language switcher cannot be reached with the Tab key on {url}")
    page.goto(url)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused() == "main"
    page.goto(url)  # without the #main fragment


def test_visitor_registers_confirms_registers_city_and_reads_profile_in_french(live_app, live_server, page):
    from mentoring.models import OutboxMessage

    problems = []
    # Console errors (CSP violations, script errors); the grid refused on purpose answers 422.
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "status of 422" not in m.text else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    # --- Home → create an account ------------------------------------------------------------
    page.goto(live_server + "/")
    assert_skip_link_first_and_language_switcher_reachable(page)
    page.get_by_role("link", name="Create an account").first.click()
    page.wait_for_url(at("/auth/register"))
    assert page.locator("h1").inner_text() == "Create an account"
    assert assert_controls_labelled(page, "the registration page") >= 5
    assert_skip_link_first_and_language_switcher_reachable(page)
    page.fill("#name", "Fatou Ndiaye")
    page.fill("#email", "fatou.ndiaye@example.org")
    page.fill("#password", "baobab lagoon pirogue")
    page.fill("#confirm", "baobab lagoon pirogue")
    page.select_option("#locale", "en")
    screenshot(page, "journey-register")
    page.click("#submit")
    page.wait_for_url(at("/auth/check-mail"))
    assert page.locator("h1").inner_text() == "Check your mail"

    # --- The confirmation mail, as the outbox recorded it --------------------------------------
    with live_app.app_context():
        message = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == "fatou.ndiaye@example.org")
        ).one()
        body = message.body
    link = LINK.search(body)
    assert link, f"no confirmation link in the mail: {body!r}"
    page.goto(link.group(0))
    assert page.locator("h1").inner_text() == "Confirm your e-mail address"
    page.get_by_role("button", name="Confirm my address").click()
    page.wait_for_url(at("/auth/login"))
    assert "your e-mail address is confirmed" in page.locator(".flashes").inner_text()

    page.fill("#email", "fatou.ndiaye@example.org")
    page.fill("#password", "baobab lagoon pirogue")
    page.click("#submit")
    page.wait_for_url(at("127.0.0.1:[0-9]+/"))
    assert page.locator(".mainnav").get_by_role("link", name="My city", exact=True).count() == 1

    # --- Register the city and fill its identity ------------------------------------------------
    page.goto(live_server + "/cities/register")
    assert_controls_labelled(page, "the city registration page")
    page.fill("#name", "Saint-Louis")
    page.select_option("#country", "SN")  # the ISO 3166 list
    page.click("#submit")
    page.wait_for_url(at("/cities/[0-9]+/edit"))
    assert "Saint-Louis is registered" in page.locator(".flashes").inner_text()
    assert assert_controls_labelled(page, "the identity editor") >= 10
    assert_skip_link_first_and_language_switcher_reachable(page)
    page.fill("#population", "258592")
    # The language picker by keyboard: Senegal's languages come first; the search box finds the
    # rest, Enter moves to the first match and Space ticks it.
    assert page.locator("#languages-suggested input[value=wo]").count() == 1
    page.fill("#languages-search", "wolo")
    page.press("#languages-search", "Enter")
    page.keyboard.press("Space")
    assert page.locator("input[name=languages][value=wo]").is_checked()
    assert not page.locator("input[name=languages][value=fr]").is_visible()  # filtered out
    page.fill("#languages-search", "")
    page.check("input[name=languages][value=fr]")
    page.check("input[name=commissions][value=digital_cities]")
    page.fill("#mentor_capacity", "1")
    page.check("#wants_mentor")
    page.click("#submit")
    assert "The identity of Saint-Louis is saved." in page.locator(".flashes").inner_text()
    assert page.locator("#population").input_value() == "258592"
    screenshot(page, "journey-city-identity")

    # --- Capability grid: mentoring needs level 3; the field error, then the fix ------------------
    page.locator(".tabs").get_by_role("link", name="Capabilities").click()
    page.wait_for_url(at("/edit/capabilities"))
    assert assert_controls_labelled(page, "the capability editor") >= 25 * 4
    page.select_option("#open_data_maturity", "3")
    page.select_option("#open_data_need", "1")
    page.check("#open_data_can_mentor")
    page.fill("#open_data_evidence", "Municipal open data portal, 120 datasets")
    page.select_option("#digital_inclusion_maturity", "2")
    page.select_option("#digital_inclusion_need", "2")
    page.check("#digital_inclusion_can_mentor")  # level 2 is too low to mentor
    page.select_option("#cybersecurity_maturity", "1")
    page.select_option("#cybersecurity_need", "3")
    page.locator("#submit").click()
    assert "nothing was saved" in page.locator(".alert--error").inner_text()
    error = page.locator("#digital_inclusion_can_mentor-error")
    assert error.is_visible() and error.inner_text().strip()
    assert page.locator("#digital_inclusion_can_mentor").get_attribute("aria-invalid") == "true"
    # What the user typed is kept.
    assert page.locator("#open_data_evidence").input_value() == "Municipal open data portal, 120 datasets"
    assert page.locator("#cybersecurity_need").input_value() == "3"
    page.locator("#area-digital_inclusion").scroll_into_view_if_needed()
    screenshot(page, "journey-capabilities-error")
    # The message sits under its checkbox; it does not widen the grid past the window.
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.uncheck("#digital_inclusion_can_mentor")
    page.locator("#submit").click()
    assert "3 area(s) changed" in page.locator(".flashes").inner_text()
    assert page.locator("#open_data_can_mentor").is_checked()
    screenshot(page, "journey-capabilities")

    # --- Practices and needs ---------------------------------------------------------------------
    page.locator(".tabs").get_by_role("link", name="Practices and needs").click()
    page.wait_for_url(at("/edit/texts"))
    assert assert_controls_labelled(page, "the texts editor") >= 2
    page.fill("#practices", "A participatory budget run with SMS votes in every district.")
    page.fill("#needs", "Protecting the city's systems after a ransomware incident.")
    page.click("#submit")
    assert "The texts of Saint-Louis are saved." in page.locator(".flashes").inner_text()

    # --- Public profile with the chart ------------------------------------------------------------
    page.get_by_role("link", name="View profile").click()
    page.wait_for_url(at("/cities/[0-9]+"))
    page.wait_for_function("() => window.Chart && Chart.getChart('capability-chart')")
    assert page.locator("h1").inner_text() == "Saint-Louis"
    facts = page.locator(".profile-facts").inner_text()
    assert "Senegal" in facts and "258,592" in facts
    table = page.locator(".capability-table").inner_text()
    assert "Open data and transparency" in table and "Municipal open data portal" in table
    assert "ransomware" in page.locator(".profile-texts").inner_text()
    assert_skip_link_first_and_language_switcher_reachable(page)
    screenshot(page, "journey-profile-en")

    # --- The language switcher: a select that submits itself --------------------------------------
    with page.expect_navigation():  # the switcher submits its form on change
        page.select_option("#lang-select", "fr")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.wait_for_function("() => window.Chart && Chart.getChart('capability-chart')")
    assert page.locator("h1").inner_text() == "Saint-Louis"
    # Country names and the taxonomy come in French whatever the state of the message catalogue.
    assert "Sénégal" in page.locator(".page-header").inner_text()
    table = page.locator(".capability-table").text_content()  # as written, not as styled
    assert "Données ouvertes et transparence" in table
    assert "Gouvernance intelligente" in table  # the axis of that area
    assert "Établi" in table  # level 3
    # Interface strings: each one the French catalogue translates must be shown translated.
    expected = {
        ".mainnav": ["Cities", "My city", "Mentorships"],
        ".topbar__tools": ["Sign out"],
        "#facts-title": ["Identity"],
        "#capabilities-title": ["Capabilities"],
        ".skip-link": ["Skip to content"],
    }
    for selector, msgids in expected.items():
        text = page.locator(selector).first.text_content()
        for msgid in msgids:
            translation = french(msgid)
            if translation is not None:
                assert translation in text, f"{selector}: {translation!r} expected (compile the catalogues: make translations)"
    screenshot(page, "journey-profile-fr")

    # --- Phone width: no horizontal scrolling -------------------------------------------------------
    page.set_viewport_size({"width": 390, "height": 844})
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the profile is {overflow}px wider than a 390px phone"
    screenshot(page, "journey-profile-phone")

    assert problems == []
