"""The whole journey in Chromium: a coordinator opens and runs a round, reads an explanation,
approves a pair, both representatives endorse, and the mentorship exists. Screenshots of the round
page and the proposal page in English and Spanish."""
from __future__ import annotations

import re

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
    Mentorship,
    Proposal,
    User,
    utcnow,
)
from mentoring.security import hash_password
from tests.e2e.conftest import screenshot

PASSWORD = "correct horse battery"
MENTOR = {"open_data": (4, 0, True), "digital_strategy": (3, 0, True), "data_governance": (3, 0, True)}
MENTEE = {"open_data": (1, 3, False), "digital_strategy": (1, 2, False), "data_governance": (0, 2, False)}


def _seed(app):
    with app.app_context():
        users = {}
        for key, role in (("coord", "coordinator"), ("lyon", None), ("dakar", None), ("bcn", None),
                          ("lima", None), ("tunis", None)):
            user = User(email=f"{key}@example.org", name=f"{key.title()} Person", role=role,
                        password_hash=hash_password(PASSWORD), email_confirmed_at=utcnow())
            db.session.add(user)
            users[key] = user
        db.session.flush()
        commission = db.session.scalar(select(Commission).where(Commission.key == "digital_cities"))
        areas = {a.key: a.id for a in db.session.scalars(select(CapabilityArea))}
        specs = [
            ("lyon", "Lyon", "FR", "europe", 520_000, ("fr", "en"), MENTOR, 2, False),
            ("bcn", "Barcelona", "ES", "europe", 1_600_000, ("es", "ca", "en"), MENTOR, 1, False),
            ("dakar", "Dakar", "SN", "africa", 1_100_000, ("fr", "wo"), MENTEE, 0, True),
            ("lima", "Lima", "PE", "latin_america", 9_700_000, ("es",), MENTEE, 0, True),
            ("tunis", "Tunis", "TN", "africa", 640_000, ("ar", "fr"), MENTEE, 0, True),
        ]
        for key, name, country, region, population, languages, profile, capacity, wants in specs:
            city = City(name=name, country=country, region=region, population=population, status="verified",
                        mentor_capacity=capacity, wants_mentor=wants,
                        practices=f"{name} publishes open data and runs a digital strategy office.",
                        needs=f"{name} wants to open its data and write a data governance policy.")
            city.languages = [CityLanguage(code=c, position=i) for i, c in enumerate(languages)]
            db.session.add(city)
            db.session.flush()
            db.session.add(CityMember(city_id=city.id, user_id=users[key].id, role="representative"))
            db.session.add(CityCommission(city_id=city.id, commission_id=commission.id))
            for area, (maturity, need, can_mentor) in profile.items():
                db.session.add(Assessment(city_id=city.id, area_id=areas[area], maturity=maturity, need=need,
                                          can_mentor=can_mentor))
        incomplete = City(name="Emptyville", country="IT", region="europe", status="verified", wants_mentor=True)
        db.session.add(incomplete)
        db.session.flush()
        db.session.add(CityCommission(city_id=incomplete.id, commission_id=commission.id))
        db.session.commit()


def _sign_in(page, base, email):
    page.goto(base + "/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")


def _sign_out(page):
    page.click("form.inline button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_coordinator_runs_a_round_and_both_cities_endorse(live_server, live_app, page):
    _seed(live_app)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    base = live_server
    _sign_in(page, base, "coord@example.org")

    page.goto(base + "/rounds/")
    page.click("text=Open a round")
    page.fill("input[name=name]", "Digital cities — spring round")
    page.check("input[name=commissions] >> nth=0")
    page.click("button:has-text('Open the round')")
    assert page.locator("h2", has_text="Who takes part").is_visible()
    assert page.locator("text=Emptyville").count() == 1
    page.click("button:has-text('Run the round')")
    page.wait_for_load_state("networkidle")
    assert page.locator("text=The round ran").is_visible()
    assert page.locator("h3", has_text="Coverage by region").is_visible()
    round_url = page.url
    screenshot(page, "rounds-round-en")

    # Read an explanation: Lima shares Spanish only with Barcelona.
    row = page.locator("table.proposals tbody tr", has_text="Lima")
    explanation = row.locator("td.why p").first.inner_text()
    assert "Lima" in explanation and "Barcelona" in explanation
    row.locator("a", has_text="Open").click()
    proposal_url = page.url
    proposal_id = int(re.search(r"/proposals/(\d+)", proposal_url).group(1))
    assert page.locator(".explanation").inner_text() == explanation
    page.click("button:has-text('Approve')")
    page.wait_for_load_state("networkidle")
    assert page.locator("text=Approved. Both cities are asked").is_visible()
    screenshot(page, "rounds-proposal-en")

    # The same two pages in Spanish.
    with page.expect_navigation():  # the switcher submits its form on change
        page.select_option("#lang-select", "es")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "es"
    assert "Datos abiertos y transparencia" in page.locator(".explanation").inner_text()
    screenshot(page, "rounds-proposal-es")
    page.goto(round_url)
    screenshot(page, "rounds-round-es")
    with page.expect_navigation():  # the switcher submits its form on change
        page.select_option("#lang-select", "fr")
    page.wait_for_load_state("networkidle")
    assert "Données ouvertes et transparence" in page.locator("table.proposals td.why p").first.inner_text()
    screenshot(page, "rounds-round-fr")
    page.goto(proposal_url)
    assert "Données ouvertes et transparence" in page.locator(".explanation").inner_text()
    screenshot(page, "rounds-proposal-fr")
    with page.expect_navigation():  # the switcher submits its form on change
        page.select_option("#lang-select", "en")
    page.wait_for_load_state("networkidle")
    _sign_out(page)

    for email, city in (("lima@example.org", "Lima"), ("bcn@example.org", "Barcelona")):
        _sign_in(page, base, email)
        page.goto(base + "/rounds/proposals/mine")
        page.click("text=Read and decide")
        assert page.locator(".explanation").inner_text() == explanation
        if city == "Lima":
            screenshot(page, "rounds-proposal-representative-en")
        page.click(f"button:has-text('Endorse for {city}')")
        page.wait_for_load_state("networkidle")
        assert page.locator(".flash--success").is_visible()
        _sign_out(page)

    with live_app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        assert proposal.state == "endorsed"
        mentorship = db.session.scalar(select(Mentorship).where(Mentorship.proposal_id == proposal_id))
        assert mentorship is not None and mentorship.state == "active" and mentorship.areas == proposal.areas
    assert problems == []
