"""Roles and ownership on every city route, and no XSS on city pages."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import Assessment, CapabilityArea, City, User
from tests.conftest import login
from tests.html import parse

ROLES = ("anonymous", "rep_a", "rep_b", "mentor_a", "coordinator", "admin")
# (endpoint, method, path template, form data); POST data is chosen so that an allowed request
# reaches the view without changing anything (stale version → 409, bad e-mail → 422, unknown member).
ROUTES = [
    ("directory", "GET", "/cities/", None),
    ("mine", "GET", "/cities/mine", None),
    ("register", "GET", "/cities/register", None),
    ("verification_queue", "GET", "/cities/verification", None),
    ("profile", "GET", "/cities/{id}", None),
    ("edit_identity", "GET", "/cities/{id}/edit", None),
    ("edit_identity", "POST", "/cities/{id}/edit", {"version": "0", "name": "Pwned", "country": "FR"}),
    ("edit_texts", "GET", "/cities/{id}/edit/texts", None),
    ("edit_texts", "POST", "/cities/{id}/edit/texts", {"version": "0", "practices": "Pwned"}),
    ("edit_capabilities", "GET", "/cities/{id}/edit/capabilities", None),
    ("edit_capabilities", "POST", "/cities/{id}/edit/capabilities", {"version": "0", "open_data_maturity": "1"}),
    ("members", "GET", "/cities/{id}/members", None),
    ("members", "POST", "/cities/{id}/members", {"email": "not-an-address", "role": "mentor"}),
    ("remove_member", "POST", "/cities/{id}/members/999999/remove", {}),
    ("change_status", "POST", "/cities/{id}/status", {"action": "bogus"}),
]


def _expected(role: str, endpoint: str, city: str, verified: bool) -> bool:
    if role == "anonymous":
        return False
    coordinator = role in ("coordinator", "admin")
    if endpoint in ("directory", "mine", "register"):
        return True
    if endpoint in ("verification_queue", "change_status"):
        return coordinator
    member = {"rep_a": ("A", "P"), "mentor_a": ("A",), "rep_b": ("B",)}.get(role, ())
    representative = {"rep_a": ("A", "P"), "rep_b": ("B",)}.get(role, ())
    if endpoint == "profile":
        return verified or coordinator or city in member
    return coordinator or city in representative


def _allowed(response) -> bool:
    if response.status_code in (401, 403, 404):
        return False
    if response.status_code == 302 and "/auth/login" in response.headers["Location"]:
        return False
    assert response.status_code < 500
    return True


def test_authorization_matrix(app, people, make_city):
    pending = make_city("Pendia", "IT", status="pending", members=[(people.rep_a, "representative")])
    cities = {"A": (people.city_a.id, True), "B": (people.city_b.id, True), "P": (pending.id, False)}
    with app.app_context():
        snapshot = {c.id: (c.version, c.name, c.status, c.practices) for c in db.session.scalars(select(City))}
    cells = unexpected_allow = 0
    failures = []
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            login(client, getattr(people, role))
        for endpoint, method, template, data in ROUTES:
            targets = cities.items() if "{id}" in template else [("-", (0, True))]
            for city, (city_id, verified) in targets:
                path = template.format(id=city_id)
                for accept in ("text/html", "application/json"):
                    response = client.open(path, method=method, data=data, headers={"Accept": accept})
                    allowed, expected = _allowed(response), _expected(role, endpoint, city, verified)
                    cells += 1
                    if allowed and not expected:
                        unexpected_allow += 1
                    if allowed != expected:
                        failures.append((role, endpoint, method, city, accept, response.status_code))
    print(f"authorization matrix: cells checked = {cells}; unexpected allow = {unexpected_allow}")
    assert failures == []
    with app.app_context():
        db.session.expire_all()
        assert {c.id: (c.version, c.name, c.status, c.practices) for c in db.session.scalars(select(City))} == snapshot


PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)", "{{7*7}}"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_city_pages_escape_stored_payloads(app, people, payload):
    with app.app_context():
        city = db.session.get(City, people.city_a.id)
        city.name = f"Alpha {payload}"
        city.practices = payload
        city.needs = payload
        city.website = payload
        city.status_reason = payload
        db.session.get(User, people.rep_a.id).name = payload
        area = db.session.scalar(select(CapabilityArea).where(CapabilityArea.key == "open_data"))
        db.session.add(Assessment(city_id=city.id, area_id=area.id, maturity=3, need=1, evidence=payload))
        db.session.commit()
    pages = ["/cities/", "/cities/mine", f"/cities/{people.city_a.id}", f"/cities/{people.city_a.id}/edit",
             f"/cities/{people.city_a.id}/edit/texts", f"/cities/{people.city_a.id}/edit/capabilities",
             f"/cities/{people.city_a.id}/members", "/cities/verification?status=verified"]
    reflections = 0
    for role in ("rep_a", "coordinator"):
        client = app.test_client()
        login(client, getattr(people, role))
        for page in pages:
            response = client.get(page)
            if response.status_code == 403:
                continue
            assert response.status_code == 200, page
            body = response.get_data(as_text=True)
            if "<script>alert(1)" in body or "<img src=x" in body or re.search(r'href="\s*javascript:', body, re.I):
                reflections += 1
            if payload == "{{7*7}}":
                assert "49" not in re.sub(r"\d{3,}|\d+\.\d+", "", _shown(body)) or "{{7*7}}" in body, page
                if page.startswith("/cities/") and "{{7*7}}" not in body:
                    assert page == "/cities/mine" and role == "coordinator"  # no city of theirs
    print(f"unescaped reflections = {reflections}")
    assert reflections == 0
    # The JSON profile returns the text as data, and never a javascript: website.
    client = app.test_client()
    login(client, people.rep_b)
    data = client.get(f"/cities/{people.city_a.id}", headers={"Accept": "application/json"}).get_json()
    assert data["practices"] == payload and data["website"] is None


def _shown(body: str) -> str:
    """What a page shows and holds in its fields, without its random tokens (CSRF, nonces)."""
    document = parse(body)
    values = [e.attrs.get(name, "") for e in document.iter() for name in ("value", "href", "title", "alt")
              if e.attrs.get("type") != "hidden"]
    return document.text + " " + " ".join(values)
