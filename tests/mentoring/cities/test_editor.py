"""The profile editor over HTTP: validation, optimistic locking, mass assignment, history."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import Assessment, AuditEvent, City
from tests.conftest import login
from tests.html import texts


def _city(app, city_id):
    with app.app_context():
        city = db.session.get(City, city_id)
        return {"version": city.version, "name": city.name, "population": city.population,
                "status": city.status, "website": city.website, "languages": city.language_codes,
                "region": city.region, "timezone": city.timezone, "practices": city.practices,
                "priority": city.priority, "is_demo": city.is_demo, "verified_by_id": city.verified_by_id,
                "id": city.id, "capacity": city.mentor_capacity}


def identity_form(version, **overrides):
    form = {"version": str(version), "name": "Alpha", "country": "FR", "region": "", "population": "120000",
            "latitude": "45.76", "longitude": "4.84", "timezone": "Europe/Paris", "languages": ["fr", "en"],
            "website": "https://alpha.example.org", "commissions": ["digital_cities"],
            "mentor_capacity": "2", "wants_mentor": "y"}
    form.update(overrides)
    return form


def test_register_page_creates_a_pending_city_and_refuses_unconfirmed_users(app, client, make_user):
    unconfirmed = make_user(confirmed=False)
    login(client, unconfirmed)
    page = client.get("/cities/register")
    assert b"confirm your e-mail" in page.data
    assert client.post("/cities/register", data={"name": "Lyon", "country": "FR"}).status_code == 403
    user = make_user()
    login(client, user)
    response = client.post("/cities/register", data={"name": "Lyon", "country": "FR", "region": ""})
    assert response.status_code == 302 and "/edit" in response.headers["Location"]
    with app.app_context():
        city = db.session.scalar(select(City))
        assert (city.name, city.status, city.region) == ("Lyon", "pending", "europe")
    bad = client.post("/cities/register", data={"name": "Lyon", "country": "FR"})
    assert bad.status_code == 422 and b"already registered" in bad.data


def test_identity_editor_saves_and_audits(app, client, people):
    login(client, people.rep_a)
    page = client.get(f"/cities/{people.city_a.id}/edit")
    assert page.status_code == 200 and b'name="version"' in page.data
    response = client.post(f"/cities/{people.city_a.id}/edit", data=identity_form(1))
    assert response.status_code == 302
    city = _city(app, people.city_a.id)
    assert (city["population"], city["website"], city["capacity"], city["version"]) == (
        120000, "https://alpha.example.org", 2, 2)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "city.update"))
        assert event.before["population"] == 100000 and event.after["population"] == 120000


def test_time_zone_field_offers_the_countrys_zones_first_and_keeps_a_stored_alias(app, client, people):
    login(client, people.rep_a)
    url = f"/cities/{people.city_a.id}/edit"
    page = client.get(url, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    select_ = page.split('name="timezone"')[1].split("</select>")[0]
    groups = select_.split("<optgroup")
    assert 'label="Fuseaux horaires\u202f: France"' in groups[1] and ">Paris (UTC+0" in groups[1]
    assert 'label="Autres fuseaux horaires"' in groups[2] and "Chili : Île de Pâques (UTC−0" in groups[2]
    assert "US/Samoa" not in select_ and "Etc/GMT" not in select_
    # A city saved earlier with an alias keeps it: offered, selected, and saved again unchanged.
    assert client.post(url, data=identity_form(1, timezone="US/Samoa")).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert '<option selected value="US/Samoa">US/Samoa</option>' in page
    assert client.post(url, data=identity_form(2, timezone="US/Samoa")).status_code == 302
    assert _city(app, people.city_a.id)["timezone"] == "US/Samoa"


@pytest.mark.parametrize("overrides, message", [
    ({"country": "ZZ"}, b"Choose a country from the list"),
    ({"languages": ["fr", "qq"]}, b"Choose languages from the list"),
    ({"website": "javascript:alert(1)"}, b"starting with https://"),
    ({"website": "ftp://example.org"}, b"starting with https://"),
    ({"mentor_capacity": "21"}, b"between 0 and 20"),
    ({"mentor_capacity": "-1"}, b"between 0 and 20"),
    ({"population": "-5"}, b"at least 0"),
    ({"population": "many"}, b"Not a valid integer"),
    ({"latitude": "90.5"}, b"between -90 and 90"),
    ({"longitude": "200"}, b"between -180 and 180"),
    ({"timezone": "Mars/Olympus"}, b"Choose a time zone"),
    ({"region": "atlantis"}, b"Choose a region"),
    ({"commissions": ["secret"]}, b"Choose commissions"),
    ({"name": ""}, b"This field is required"),
])
def test_identity_editor_rejects_bad_values_and_saves_nothing(app, client, people, overrides, message):
    login(client, people.rep_a)
    before = _city(app, people.city_a.id)
    response = client.post(f"/cities/{people.city_a.id}/edit", data=identity_form(1, **overrides))
    assert response.status_code == 422
    assert message in response.data
    assert _city(app, people.city_a.id) == before


def test_two_stale_edits_the_second_gets_409_and_keeps_its_input(app, client, people, make_user):
    other = app.test_client()
    login(client, people.rep_a)
    login(other, people.coordinator)
    assert client.post(f"/cities/{people.city_a.id}/edit",
                       data=identity_form(1, population="200000")).status_code == 302
    stale = other.post(f"/cities/{people.city_a.id}/edit", data=identity_form(1, population="999"))
    assert stale.status_code == 409
    assert b"Someone else saved" in stale.data
    assert b'value="999"' in stale.data  # the user's input is kept on the page
    assert _city(app, people.city_a.id)["population"] == 200000  # nothing overwritten
    # The texts section carries its own version and is refused the same way.
    stale_texts = other.post(f"/cities/{people.city_a.id}/edit/texts",
                             data={"version": "1", "practices": "Mine", "needs": ""})
    assert stale_texts.status_code == 409 and b"Mine" in stale_texts.data
    assert _city(app, people.city_a.id)["practices"] == ""


def test_capability_grid_saves_history_and_refuses_mentoring_below_level_3(app, client, people):
    login(client, people.rep_a)
    url = f"/cities/{people.city_a.id}/edit/capabilities"
    page = client.get(url)
    assert page.status_code == 200 and b"Leading: a recognised reference" in page.data
    bad = client.post(url, data={"version": "1", "open_data_maturity": "2", "open_data_need": "1",
                                 "open_data_can_mentor": "1", "broadband_maturity": "4"})
    assert bad.status_code == 422 and b"only in areas where it is at level 3" in bad.data
    assert b'<option value="2" selected>' in bad.data  # input kept
    ok = client.post(url, data={"version": "1", "open_data_maturity": "3", "open_data_need": "1",
                                "open_data_can_mentor": "1", "open_data_evidence": "Portal"})
    assert ok.status_code == 302
    again = client.post(url, data={"version": "2", "open_data_maturity": "4", "open_data_need": "0"})
    assert again.status_code == 302
    stale = client.post(url, data={"version": "2", "open_data_maturity": "1", "open_data_need": "0"})
    assert stale.status_code == 409 and b"Someone else saved" in stale.data
    with app.app_context():
        rows = list(db.session.scalars(select(Assessment).order_by(Assessment.id)))
        assert [(r.maturity, r.is_current) for r in rows] == [(3, False), (4, True)]
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "city.assess")) == 2


def test_mass_assignment_changes_nothing_protected(app, client, people):
    login(client, people.rep_a)
    before = _city(app, people.city_a.id)
    protected = {"status": "suspended", "id": "999", "verified_by_id": str(people.rep_a.id),
                 "is_demo": "y", "priority": "9", "status_reason": "x", "verified_at": "2020-01-01"}
    for url, form in [
        (f"/cities/{people.city_a.id}/edit", identity_form(1, **protected)),
        (f"/cities/{people.city_a.id}/edit/texts", {"version": "2", "practices": "P", "needs": "N", **protected}),
        (f"/cities/{people.city_a.id}/edit/capabilities", {"version": "3", "open_data_maturity": "1", **protected}),
    ]:
        assert client.post(url, data=form).status_code == 302, url
    after = _city(app, people.city_a.id)
    for key in ("id", "status", "verified_by_id", "is_demo", "priority"):
        assert after[key] == before[key], key
    # A posted version cannot move the counter either: it only selects which version is expected.
    assert after["version"] == 4


def test_members_page_invites_and_removes(app, client, people):
    login(client, people.rep_a)
    url = f"/cities/{people.city_a.id}/members"
    assert client.post(url, data={"email": "bad", "role": "mentor"}).status_code == 422
    assert client.post(url, data={"email": "new@example.org", "role": "mentor"}).status_code == 302
    page = client.get(url)
    assert b"new@example.org" in page.data and b"Last representative" in page.data
    response = client.post(f"/cities/{people.city_a.id}/members/{people.rep_a.id}/remove")
    assert response.status_code == 302
    assert b"last representative cannot be removed" in client.get(url).data
    assert client.post(f"/cities/{people.city_a.id}/members/{people.mentor_a.id}/remove").status_code == 302
    assert not any("Mentor A" in row for row in texts(client.get(url), "tbody tr"))


def test_invitation_pages(app, client, people, make_user):
    from mentoring.models import OutboxMessage

    login(client, people.rep_a)
    client.post(f"/cities/{people.city_a.id}/members", data={"email": "joiner@example.org", "role": "representative"})
    with app.app_context():
        body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.recipient == "joiner@example.org"))
    path = "/cities/invitations/" + body.split("/cities/invitations/")[1].split()[0]
    anonymous = app.test_client()
    page = anonymous.get(path)
    assert page.status_code == 200 and b"Sign in" in page.data
    assert anonymous.post(path).status_code == 302  # to the sign-in page
    wrong = app.test_client()
    login(wrong, people.rep_b)
    assert b"another e-mail address" in wrong.get(path).data
    wrong.post(path)
    joiner = make_user("joiner@example.org")
    right = app.test_client()
    login(right, joiner)
    assert right.post(path).status_code == 302
    assert b"Alpha" in right.get("/cities/mine").data
    assert b"already used" in right.get(path).data
    assert anonymous.get("/cities/invitations/forged").status_code == 404


def test_verification_queue_and_status_changes(app, client, people, make_city):
    pending = make_city("Pendia", "IT", status="pending", members=[(people.rep_b, "representative")])
    login(client, people.coordinator)
    page = client.get("/cities/verification")
    queue = texts(page, "article.queue__item")
    assert any("Pendia" in item for item in queue) and not any("Alpha" in item for item in queue)
    refused = client.post(f"/cities/{pending.id}/status", data={"action": "reject", "reason": ""},
                          headers={"Accept": "application/json"})
    assert refused.status_code == 422 and "reason" in refused.get_json()["errors"]
    impossible = client.post(f"/cities/{pending.id}/status", data={"action": "suspend", "reason": "x"},
                             headers={"Accept": "application/json"})
    assert impossible.status_code == 409
    assert client.post(f"/cities/{pending.id}/status", data={"action": "verify"}).status_code == 302
    assert _city(app, pending.id)["status"] == "verified"
