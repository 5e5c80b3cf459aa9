"""The human link between two cities, in Chromium: approve a pair with a memberless city (warned),
its programme contact endorses by e-mail link, the mentorship starts, the cities write to each
other, a session is planned with a link, moved and cancelled (three .ics e-mails parsed back), and
closing cancels the remaining session with notices. Screenshots of each new page at 390/1280 px.
"""
from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path

import icalendar
import pytest
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import (
    City,
    CityLanguage,
    CityMember,
    Mentorship,
    OutboxMessage,
    Proposal,
    User,
    utcnow,
)
from mentoring.security import hash_password
from tests.e2e.conftest import screenshot

PASSWORD = "correct horse battery"
SHOTS = Path(os.environ.get("PEOPLE_SHOTS", "")) if os.environ.get("PEOPLE_SHOTS") else None


@pytest.fixture(scope="module")
def pair(live_app):
    """Valparaíso (a confirmed representative) proposed to mentor Mexico City (nobody at all)."""
    with live_app.app_context():
        users = {
            "coord": User(email="coord@people.e2e", name="Cora Coordinator", role="coordinator", locale="en"),
            "valpo": User(email="rep@valpo.e2e", name="Valentina Rojas", locale="en"),
            "cdmx": User(email="rep@cdmx.e2e", name="Mateo Méndez", locale="en"),
        }
        for user in users.values():
            user.password_hash, user.email_confirmed_at = hash_password(PASSWORD), utcnow()
        valpo = City(name="Valparaíso", country="CL", region="latin_america", status="verified", mentor_capacity=2,
                     timezone="America/Santiago", languages=[CityLanguage(code="es")])
        cdmx = City(name="Mexico City", country="MX", region="latin_america", status="verified",
                    timezone="America/Mexico_City", languages=[CityLanguage(code="es")])
        db.session.add_all([*users.values(), valpo, cdmx])
        db.session.flush()
        db.session.add(CityMember(city_id=valpo.id, user_id=users["valpo"].id, role="representative"))
        proposal = Proposal(mentor_city_id=valpo.id, mentee_city_id=cdmx.id, areas=[], score=0.82,
                            state="proposed", explanation="Both cities publish open data.")
        db.session.add(proposal)
        db.session.commit()
        return {"proposal": proposal.id, "cdmx": cdmx.id, "cdmx_rep": users["cdmx"].id}


def submit(page, action) -> None:
    with page.expect_navigation():
        action()
    page.wait_for_load_state("networkidle")


def sign_in(page, base, email):
    page.goto(base + "/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    submit(page, lambda: page.locator("form:has(#password) [type=submit]").first.click())
    assert page.locator("text=Sign out").count() >= 1


def shoot(page, name):
    """1280 px (the page's size) and 390 px wide shots of the current page."""
    screenshot(page, f"people-{name}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"people-{name}-390")
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    if SHOTS:
        page.screenshot(path=str(SHOTS / f"{name}-1280.png"), full_page=True)


def mails(app, recipient, since=0):
    with app.app_context():
        return [m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == recipient)
                                              .order_by(OutboxMessage.id)) if m.id > since]


def last_id(app):
    with app.app_context():
        return db.session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1)) or 0


def calendars(messages):
    found = []
    for message in messages:
        for item in message.attachments or []:
            found.append(icalendar.Calendar.from_ical(item["content"]))
    return found


def test_a_memberless_city_endorses_by_link_and_the_two_cities_work_together(live_app, live_server, browser, pair):
    base = live_server
    coord = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    problems = []
    coord.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    sign_in(coord, base, "coord@people.e2e")

    # The proposal warns before approval: nobody can endorse for Mexico City.
    coord.goto(f"{base}/rounds/proposals/{pair['proposal']}")
    warning = coord.locator(".consent-warning")
    assert "Mexico City has no confirmed representative" in warning.inner_text()
    submit(coord, lambda: coord.click("button:has-text('Approve')"))
    # Approval leads to the consent gate, which offers the fixes.
    assert f"/people/proposals/{pair['proposal']}/consent" in coord.url
    shoot(coord, "consent")
    submit(coord, lambda: coord.click("text=Record a programme contact"))
    coord.fill("#name", "Lucía Hernández")
    coord.fill("#email", "lucia@cdmx.e2e")
    coord.fill("#role", "Director of international affairs")
    coord.fill("#languages", "es, en")
    coord.fill("#timezone", "America/Mexico_City")
    shoot(coord, "contacts")
    submit(coord, lambda: coord.click("button:has-text('Add the contact')"))
    assert f"/people/proposals/{pair['proposal']}/consent" in coord.url
    submit(coord, lambda: coord.click("button:has-text('Send the endorsement request')"))
    assert "asked by e-mail" in coord.locator("#gap-mentee").inner_text()

    # The contact follows the e-mailed link, without an account, and endorses.
    request = mails(live_app, "lucia@cdmx.e2e")
    assert len(request) == 1 and request[0].html
    link = re.search(r"https?://\S+/people/endorse/[A-Za-z0-9_-]+", request[0].body).group(0)
    anonymous = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    anonymous.goto(base + urlpath(link))
    shoot(anonymous, "endorse")
    submit(anonymous, lambda: anonymous.click("button:has-text('Endorse for Mexico City')"))
    assert "Mexico City endorsed the pairing" in anonymous.content()

    # Valparaíso endorses too: the mentorship starts.
    valpo = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    sign_in(valpo, base, "rep@valpo.e2e")
    valpo.goto(f"{base}/rounds/proposals/{pair['proposal']}")
    submit(valpo, lambda: valpo.click("button:has-text('Endorse for Valparaíso')"))
    with live_app.app_context():
        mentorship = db.session.scalar(select(Mentorship).where(Mentorship.proposal_id == pair["proposal"]))
        assert mentorship is not None and mentorship.state == "active"
        mentorship_id = mentorship.id
        # Mexico City's representative joins (the invitation flow, tested elsewhere, ends like this).
        db.session.add(CityMember(city_id=pair["cdmx"], user_id=pair["cdmx_rep"], role="representative"))
        db.session.commit()
    workspace = f"{base}/mentorships/{mentorship_id}"
    valpo.goto(workspace)
    assert "Lucía Hernández" in valpo.locator("#people").inner_text()  # the other side's contacts

    # Messages both ways, each told by e-mail.
    mark = last_id(live_app)
    valpo.goto(f"{base}/people/mentorships/{mentorship_id}/messages")
    valpo.fill("#body", "¡Hola! Our open data portal: https://datos.valpo.example")
    submit(valpo, lambda: valpo.click("button:has-text('Send the message')"))
    assert len(mails(live_app, "rep@cdmx.e2e", mark)) == 1
    cdmx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    sign_in(cdmx, base, "rep@cdmx.e2e")
    assert cdmx.locator(".badge-count").count() >= 1  # unread in the bell
    cdmx.goto(f"{base}/people/mentorships/{mentorship_id}/messages")
    assert cdmx.locator("a[href='https://datos.valpo.example']").count() == 1
    cdmx.fill("#body", "Gracias, Valparaíso. Let us meet next week.")
    submit(cdmx, lambda: cdmx.click("button:has-text('Send the message')"))
    assert len(mails(live_app, "rep@valpo.e2e", mark)) == 1
    shoot(cdmx, "thread")

    # A session with a link, planned, moved and cancelled: three invitations for both cities.
    mark = last_id(live_app)
    valpo.goto(f"{workspace}/sessions/new?kind=plan")
    day = date.today() + timedelta(days=7)
    valpo.fill("#starts_at", f"{day.isoformat()}T10:00")
    valpo.fill("#duration_minutes", "60")
    valpo.select_option("#format", "video")
    valpo.fill("#meeting_url", "https://meet.example/valpo-cdmx")
    submit(valpo, lambda: valpo.click("button:has-text('Plan session')"))
    assert valpo.locator("a[href='https://meet.example/valpo-cdmx']").count() >= 1
    submit(valpo, lambda: valpo.locator(".ms-session--planned a:has-text('Edit')").first.click())
    valpo.fill("#starts_at", f"{(day + timedelta(days=1)).isoformat()}T11:00")
    submit(valpo, lambda: valpo.click("button:has-text('Plan session')"))
    valpo.once("dialog", lambda dialog: dialog.accept())
    submit(valpo, lambda: valpo.locator(".ms-session--planned button:has-text('Cancel session')").first.click())
    for recipient in ("rep@valpo.e2e", "rep@cdmx.e2e"):
        invitations = calendars(mails(live_app, recipient, mark))
        assert [str(c["method"]) for c in invitations] == ["REQUEST", "REQUEST", "CANCEL"]
        events = [c.walk("VEVENT")[0] for c in invitations]
        assert len({str(e["uid"]) for e in events}) == 1
        sequences = [int(e["sequence"]) for e in events]
        assert sequences[0] < sequences[1] < sequences[2]

    # Close-out: the page lists the session that will be cancelled; confirming sends the notices.
    valpo.goto(f"{workspace}/sessions/new?kind=plan")
    valpo.fill("#starts_at", f"{(day + timedelta(days=14)).isoformat()}T10:00")
    valpo.fill("#duration_minutes", "45")
    valpo.select_option("#format", "video")
    valpo.fill("#place", "Municipalidad, Condell 1490")
    valpo.fill("#place_city", "Valparaíso")
    submit(valpo, lambda: valpo.click("button:has-text('Plan session')"))
    mark = last_id(live_app)
    valpo.goto(f"{workspace}/close")
    assert valpo.locator(".ms-will-cancel li").count() == 1
    shoot(valpo, "close")
    valpo.check("input[value=withdrawn]")
    valpo.fill("#reason", "Change of administration")
    valpo.once("dialog", lambda dialog: dialog.accept())
    submit(valpo, lambda: valpo.locator("form.ms-form [type=submit]").first.click())
    cancels = calendars(mails(live_app, "rep@cdmx.e2e", mark))
    assert [str(c["method"]) for c in cancels] == ["CANCEL"]

    # The other new pages, for the record.
    valpo.goto(f"{base}/people/preferences")
    shoot(valpo, "preferences")
    coord.goto(f"{base}/people/circulars/new")
    coord.fill("#title_en", "Call for mentors 2027")
    coord.fill("#body_en", "Dear members,\n\n**Apply** before 31 January.")
    coord.fill("#title_es", "Convocatoria de mentores 2027")
    coord.fill("#body_es", "Estimados miembros,\n\n**Postulen** antes del 31 de enero.")
    coord.select_option("#audience", "representatives")
    shoot(coord, "circular-form")
    submit(coord, lambda: coord.click("button:has-text('Save and preview')"))
    shoot(coord, "circular-preview")
    coord.once("dialog", lambda dialog: dialog.accept())
    submit(coord, lambda: coord.click("button:has-text('Send')"))
    assert "2 of 2 delivered" in coord.content()
    coord.goto(f"{base}/people/circulars")
    shoot(coord, "circulars")
    assert problems == []


def urlpath(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path
