"""Four journeys with the keyboard alone (Tab, Shift+Tab, Enter, Space, arrows), in Chromium, on the demo
programme: creating an account, filling the capability grid, approving a proposal, logging a session.

At every Tab stop the focused element must be visible, show a focus indicator (outline or shadow), and
come after the previous stop in the document (the focus order follows the reading order). Each journey
must end where a mouse user's would: the account created, the grid saved, the proposal approved, the
session logged.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from mentoring.extensions import db
from tests.e2e.conftest import load_demo, screenshot, sign_in

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  // A date field's own parts (its calendar button) take the focus inside the field, drawn by the browser.
  const inner = !el.matches(":focus");
  const ring = inner || (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
    || (style.boxShadow && style.boxShadow !== "none");
  const box = el.getBoundingClientRect();
  return {what: `${el.tagName.toLowerCase()}#${el.id || el.name || (el.textContent || "").trim().slice(0, 30)}`,
          index: [...document.querySelectorAll("*")].indexOf(el), ring,
          visible: box.width > 0 && box.height > 0 && style.visibility !== "hidden"};
}"""


def _focused(page) -> dict | None:
    return page.evaluate(FOCUSED)


def tab_to(page, selector: str, limit: int = 250) -> list[str]:
    """Press Tab until ``selector`` has the focus; every stop on the way is checked (visible, focus
    indicator, document order). Returns the stops."""
    current = _focused(page)
    last = current["index"] if current else -1
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = _focused(page)
        assert info is not None, f"the focus left the page after {stops[-3:]}"
        assert info["visible"], f"focus on an invisible element: {info['what']}"
        assert info["ring"], f"no visible focus indicator on {info['what']}"
        # Date and time inputs move the focus between their own parts: the same element again.
        assert info["index"] >= last, f"the focus went back to {info['what']} after {stops[-1:]}"
        last = info["index"]
        stops.append(info["what"])
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return stops
    raise AssertionError(f"{selector} cannot be reached with Tab; stops: {stops[-10:]}")


def choose(page, value: str, limit: int = 30) -> None:
    """Change the focused (closed) select with the arrow keys until ``value`` is chosen."""
    for key in ("ArrowDown", "ArrowUp"):
        for _ in range(limit):
            if page.evaluate("() => document.activeElement.value") == value:
                return
            page.keyboard.press(key)
    assert page.evaluate("() => document.activeElement.value") == value


def submit_with_enter(page) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")


@pytest.fixture(scope="module")
def demo(live_app):
    return load_demo(live_app)


def test_creating_an_account_with_the_keyboard(live_app, live_server, page, demo):
    from mentoring.models import User

    page.goto(live_server + "/auth/register")
    tab_to(page, "#name")
    page.keyboard.type("Awa Keyboard")
    assert tab_to(page, "#email", limit=1)
    page.keyboard.type("awa.keyboard@example.org")
    tab_to(page, "#password", limit=1)
    page.keyboard.type("baobab lagoon pirogue")
    tab_to(page, "#confirm", limit=1)
    page.keyboard.type("baobab lagoon pirogue")
    tab_to(page, "#locale", limit=1)
    choose(page, "fr")
    tab_to(page, "#submit", limit=3)
    screenshot(page, "keyboard-register")
    submit_with_enter(page)
    assert "/auth/check-mail" in page.url
    with live_app.app_context():
        user = db.session.scalar(select(User).where(User.email == "awa.keyboard@example.org"))
        assert (user.name, user.locale) == ("Awa Keyboard", "fr")


def test_filling_the_capability_grid_with_the_keyboard(live_app, live_server, page, demo):
    from mentoring.models import Assessment, CapabilityArea, City

    with live_app.app_context():
        dakar = db.session.scalar(select(City).where(City.name == "Dakar")).id
    sign_in(page, live_server, demo.email("rep.dakar"), demo.password)
    page.goto(f"{live_server}/cities/{dakar}/edit/capabilities")
    tab_to(page, "select[data-level-select]")
    key = page.evaluate("() => document.activeElement.id").removesuffix("_maturity")
    choose(page, "4")  # Leading: it may offer to mentor
    tab_to(page, f"#{key}_need", limit=2)
    choose(page, "0")
    tab_to(page, f"#{key}_can_mentor", limit=2)
    if not page.evaluate("() => document.activeElement.checked"):
        page.keyboard.press("Space")
    assert page.evaluate("() => document.activeElement.checked")
    tab_to(page, f"#{key}_evidence", limit=2)
    page.keyboard.type("Open budget portal since 2021")
    tab_to(page, "form:has(select[data-level-select]) [type=submit]")
    screenshot(page, "keyboard-capabilities")
    submit_with_enter(page)
    assert page.locator(".flashes .flash--success, .flashes [class*=success]").count() >= 1
    with live_app.app_context():
        row = db.session.scalar(
            select(Assessment).join(CapabilityArea, CapabilityArea.id == Assessment.area_id)
            .where(Assessment.city_id == dakar, CapabilityArea.key == key, Assessment.is_current))
        assert (row.maturity, row.need, row.can_mentor, row.evidence) == (4, 0, True, "Open budget portal since 2021")


def test_approving_a_proposal_with_the_keyboard(live_app, live_server, page, demo):
    from mentoring.models import Proposal

    with live_app.app_context():
        proposal_id = db.session.scalar(select(Proposal.id).where(Proposal.state == "proposed").order_by(Proposal.id))
    sign_in(page, live_server, demo.email("coordinator"), demo.password)
    page.goto(f"{live_server}/rounds/proposals/{proposal_id}")
    stops = tab_to(page, "form[action$='/approve'] button[type=submit]")
    assert stops[0] == "a#Skip to content"  # the skip link comes first
    screenshot(page, "keyboard-approve")
    submit_with_enter(page)
    with live_app.app_context():
        assert db.session.get(Proposal, proposal_id).state == "approved"


def test_logging_a_session_with_the_keyboard(live_app, live_server, page, demo):
    from mentoring.models import City, MentoringSession, Mentorship

    with live_app.app_context():
        dakar = db.session.scalar(select(City).where(City.name == "Dakar")).id
        mentorship = db.session.scalar(select(Mentorship).where(Mentorship.mentee_city_id == dakar,
                                                                Mentorship.state == "active"))
        mentorship.start_date = date.today() - timedelta(days=30)  # a session a week ago is within it
        db.session.commit()
        mentorship_id = mentorship.id
    sign_in(page, live_server, demo.email("rep.dakar"), demo.password)
    page.goto(f"{live_server}/mentorships/{mentorship_id}")
    tab_to(page, "a[href*='/sessions/new?kind=log']")
    submit_with_enter(page)
    tab_to(page, "#starts_at")
    held = date.today() - timedelta(days=7)
    # Part after part, as Chromium lays the field out here (mm/dd/yyyy, hh:mm AM/PM, whatever the page's
    # locale): the year takes up to six digits, so the right arrow moves on to the hour.
    page.keyboard.type(held.strftime("%m%d%Y"))
    page.keyboard.press("ArrowRight")
    page.keyboard.type("0930A")
    assert page.input_value("#starts_at") == f"{held.isoformat()}T09:30"
    tab_to(page, "#duration_minutes")
    page.keyboard.press("Control+A")
    page.keyboard.type("90")
    tab_to(page, "#notes")
    page.keyboard.type("Walked through the open budget portal together.")
    tab_to(page, "form.ms-form button[type=submit]")
    screenshot(page, "keyboard-session")
    submit_with_enter(page)
    with live_app.app_context():
        session = db.session.scalar(select(MentoringSession).where(MentoringSession.mentorship_id == mentorship_id)
                                    .order_by(MentoringSession.id.desc()))
        assert session.duration_minutes == 90 and "open budget portal" in (session.notes or "")
