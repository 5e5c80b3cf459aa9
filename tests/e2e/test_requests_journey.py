"""Cities choose too, in Chromium: Dakar's representative asks Lyon from the directory, Lyon
accepts, a coordinator approves, and the mentorship starts. Screenshots of every requests page at
390 and 1280 pixels wide."""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import City, MentorRequest, Mentorship
from tests.e2e.conftest import screenshot
from tests.e2e.test_rounds_journey import _seed, _sign_in, _sign_out

SHOTS = os.environ.get("SHOTS_DIR")  # also copy the screenshots there (kept out of git)


def _shots(page, name):
    """Full-page screenshots at phone and desktop widths."""
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        path = screenshot(page, f"{name}-{width}")
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            Path(SHOTS, path.name).write_bytes(path.read_bytes())
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_representative_asks_the_mentor_accepts_the_coordinator_approves(live_server, live_app, page):
    _seed(live_app)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    base = live_server
    with live_app.app_context():
        lyon_id = db.session.scalar(select(City.id).where(City.name == "Lyon"))

    _sign_in(page, base, "dakar@example.org")
    page.goto(base + "/cities/")
    row = page.locator("tbody tr", has_text="Lyon")
    row.locator("a", has_text="Ask to mentor us").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Ask Lyon to mentor your city"
    page.check("input[name=areas][value=open_data]")
    page.fill("textarea[name=message]", "Nous voudrions ouvrir nos données, comme Lyon.")
    page.select_option("select[name=language]", "fr")
    _shots(page, "requests-new")
    page.click("button:has-text('Send the request')")
    page.wait_for_load_state("networkidle")
    assert page.locator(".flash--success").is_visible()
    assert "Waiting for the mentor city" in page.locator(".page-header").inner_text()
    request_url = page.url
    _shots(page, "requests-show-requested")
    page.goto(base + "/requests/")
    _shots(page, "requests-index-mentee")
    _sign_out(page)

    _sign_in(page, base, "lyon@example.org")
    page.goto(base + "/requests/")
    incoming = page.locator("section", has=page.locator("#incoming-title"))
    incoming.locator("a", has_text="Open").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("blockquote[lang=fr]").inner_text().startswith("Nous voudrions")
    page.click("button:has-text('Accept')")
    page.wait_for_load_state("networkidle")
    assert "Accepted, waiting for a coordinator" in page.locator(".page-header").inner_text()
    _shots(page, "requests-show-accepted")
    page.goto(base + f"/cities/{lyon_id}")
    _sign_out(page)

    _sign_in(page, base, "coord@example.org")
    page.goto(base + "/requests/open")
    rows = page.locator("tbody tr")
    assert rows.count() == 1 and "Dakar" in rows.first.inner_text()
    _shots(page, "requests-open")
    rows.first.locator("a", has_text="Open").click()
    page.wait_for_load_state("networkidle")
    page.click("button:has-text('Approve')")
    page.wait_for_load_state("networkidle")
    assert "Approved: the mentorship has started" in page.locator(".page-header").inner_text()
    _shots(page, "requests-show-approved")
    _sign_out(page)

    _sign_in(page, base, "dakar@example.org")
    page.goto(request_url)
    page.click("text=Open the mentorship")
    page.wait_for_load_state("networkidle")
    assert "Lyon" in page.locator("h1").inner_text()
    dakar_id = None
    with live_app.app_context():
        dakar_id = db.session.scalar(select(City.id).where(City.name == "Dakar"))
        request_ = db.session.scalar(select(MentorRequest))
        mentorship = db.session.get(Mentorship, request_.mentorship_id)
        assert (request_.state, mentorship.state, mentorship.mentor_city_id, mentorship.mentee_city_id) == (
            "approved", "active", lyon_id, dakar_id)
        assert mentorship.areas == ["open_data"]
    page.goto(base + f"/requests/preferences/{dakar_id}")
    _shots(page, "requests-preferences")
    assert problems == []
