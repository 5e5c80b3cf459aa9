"""The home page in Chromium, on the demo programme: anonymous, representative and coordinator,
at desktop and phone widths (screenshots under test-artifacts/screenshots/)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import CityMember, MentoringSession, Mentorship, User, utcnow
from tests.e2e.conftest import screenshot

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def demo(live_app):
    """The demo programme, plus a planned session in its mentorship; returns the emails to sign in with."""
    from mentoring.services import demo as demo_service

    with live_app.test_request_context():
        demo_service.load_demo(force=True)
        db.session.flush()
        mentorship = db.session.scalar(select(Mentorship).where(Mentorship.state == "active").order_by(Mentorship.id))
        db.session.add(MentoringSession(mentorship_id=mentorship.id, starts_at=utcnow() + timedelta(days=9, hours=3),
                                        timezone="UTC", duration_minutes=60, format="video"))
        rep = db.session.scalar(
            select(User.email).join(CityMember, CityMember.user_id == User.id)
            .where(CityMember.city_id == mentorship.mentee_city_id, CityMember.role == "representative",
                   User.email.like(f"%@{demo_service.DEMO_DOMAIN}"))
        )
        db.session.commit()
        return {"rep": rep, "coordinator": f"coordinator@{demo_service.DEMO_DOMAIN}",
                "password": demo_service.DEMO_PASSWORD}


def sign_in(page, base, email, password):
    page.goto(base + "/auth/login")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("form:has(#password) [type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("text=Sign out").count() >= 1


def _errors(page):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def test_anonymous_home(live_server, page, demo):
    problems = _errors(page)
    page.goto(live_server + "/")
    assert "Cities learning from cities" in page.locator("h1").inner_text()
    screenshot(page, "home-anonymous-en")
    page.set_viewport_size(PHONE)
    screenshot(page, "home-anonymous-phone-en")
    assert problems == []


def test_representative_home(live_server, page, demo):
    problems = _errors(page)
    sign_in(page, live_server, demo["rep"], demo["password"])
    page.goto(live_server + "/")
    assert page.locator("#home-cities-title").is_visible()
    assert page.locator("text=Next session").count() == 1
    assert page.locator("#programme-title").count() == 0
    screenshot(page, "home-representative-en")
    page.set_viewport_size(PHONE)
    page.reload()
    screenshot(page, "home-representative-phone-en")
    assert problems == []


def test_coordinator_home(live_server, page, demo):
    problems = _errors(page)
    sign_in(page, live_server, demo["coordinator"], demo["password"])
    page.goto(live_server + "/")
    page.wait_for_load_state("networkidle")
    assert page.locator("#programme-title").is_visible()
    assert page.locator("#region-chart").is_visible()  # Chart.js drew (the figure is not hidden)
    assert page.evaluate("document.getElementById('region-chart').width") > 0
    screenshot(page, "home-coordinator-en")
    page.set_viewport_size(PHONE)
    page.reload()
    page.wait_for_load_state("networkidle")
    screenshot(page, "home-coordinator-phone-en")
    assert problems == []
