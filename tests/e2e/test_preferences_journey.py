"""Preferences in Chromium: a round pairs Dakar with Lyon; Dakar and Montréal then state that they
would like to work together, the coordinator runs the round again, Dakar gets Montréal and the
explanation says why; the round page counts the preferences met. Screenshots at 390/1280 px."""
from __future__ import annotations

from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    CapabilityArea,
    City,
    CityCommission,
    CityLanguage,
    CityMember,
    Commission,
    User,
    utcnow,
)
from mentoring.security import hash_password
from tests.e2e.test_requests_journey import _shots
from tests.e2e.test_rounds_journey import MENTOR, PASSWORD, _seed, _sign_in, _sign_out


def _add_montreal(app) -> dict:
    with app.app_context():
        user = User(email="montreal@example.org", name="Montreal Person", password_hash=hash_password(PASSWORD),
                    email_confirmed_at=utcnow())
        city = City(name="Montréal", country="CA", region="north_america", population=4_000_000,
                    status="verified", mentor_capacity=1, wants_mentor=False,
                    practices="Montréal publishes open data and runs a digital strategy office.")
        city.languages = [CityLanguage(code="fr", position=0), CityLanguage(code="en", position=1)]
        db.session.add_all([user, city])
        db.session.flush()
        db.session.add(CityMember(city_id=city.id, user_id=user.id, role="representative"))
        commission = db.session.scalar(select(Commission).where(Commission.key == "digital_cities"))
        db.session.add(CityCommission(city_id=city.id, commission_id=commission.id))
        areas = {a.key: a.id for a in db.session.scalars(select(CapabilityArea))}
        for area, (maturity, need, can_mentor) in MENTOR.items():
            db.session.add(Assessment(city_id=city.id, area_id=areas[area], maturity=maturity, need=need,
                                      can_mentor=can_mentor))
        db.session.commit()
        return {c.name: c.id for c in db.session.scalars(select(City))}


def _dakar_row(page):
    return page.locator("table.proposals tbody tr", has_text="Dakar").first.inner_text()


def test_preferences_of_two_cities_change_the_round_and_the_explanation_says_so(live_server, live_app, page):
    _seed(live_app)
    ids = _add_montreal(live_app)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda dialog: dialog.accept())  # "Run again?"
    base = live_server

    _sign_in(page, base, "coord@example.org")
    page.goto(base + "/rounds/")
    page.click("text=Open a round")
    page.fill("input[name=name]", "Digital cities — autumn round")
    page.check("input[name=commissions] >> nth=0")
    page.click("button:has-text('Open the round')")
    page.click("button:has-text('Run the round')")
    page.wait_for_load_state("networkidle")
    round_url = page.url
    before = _dakar_row(page)
    assert "Lyon" in before and "Montréal" not in before
    _sign_out(page)

    for email, city, partner in (("dakar@example.org", "Dakar", "Montréal"), ("montreal@example.org", "Montréal",
                                                                             "Dakar")):
        _sign_in(page, base, email)
        page.goto(base + f"/cities/{ids[city]}")
        page.click("a:has-text('Preferences')")
        page.wait_for_load_state("networkidle")
        page.select_option("#preferred_city_ids", [str(ids[partner])])
        if city == "Dakar":
            page.select_option("#language_1", "fr")
            page.select_option("#area_1", "open_data")
        page.click("button:has-text('Save the preferences')")
        page.wait_for_load_state("networkidle")
        assert page.locator(".flash--success").is_visible()
        if city == "Dakar":
            _shots(page, "requests-preferences-saved")
        _sign_out(page)

    _sign_in(page, base, "coord@example.org")
    page.goto(round_url)
    page.click("button:has-text('Run again')")
    page.wait_for_load_state("networkidle")
    after = _dakar_row(page)
    assert "Montréal" in after
    assert "Dakar asked for Montréal." in after and "Montréal asked for Dakar." in after
    met = page.locator("section", has=page.locator("#prefs-met-title"))
    assert "3 of 3 stated preferences met" in met.inner_text()  # two partners and a language
    met.scroll_into_view_if_needed()
    _shots(page, "rounds-round-preferences-met")
    page.locator("table.proposals tbody tr", has_text="Dakar").first.locator("a", has_text="Open").click()
    page.wait_for_load_state("networkidle")
    assert "Preferred partner" in page.locator("dl.components").inner_text()
    _shots(page, "rounds-proposal-preference")
    _sign_out(page)

    # Tunis has no mentor yet: its home suggests mentor cities with free places.
    _sign_in(page, base, "tunis@example.org")
    page.goto(base + "/")
    suggestions = page.locator("ol.suggestions li")
    assert suggestions.count() >= 1 and "free place" in suggestions.first.inner_text()
    _shots(page, "dashboard-home-suggestions")
    assert problems == []
