"""Issue 9 in the editor and on registration: the subdivision chosen from the country's list, the GeoNames
homonyms offered with their province and population."""
from __future__ import annotations

from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import AuditEvent, City
from mentoring.services import geography
from tests.conftest import login
from tests.html import find, texts

from .test_editor import _city, identity_form


def _subdivision(app, city_id):
    with app.app_context():
        city = db.session.get(City, city_id)
        return city.subdivision, city.geonames_id


def test_editor_offers_the_countrys_subdivisions_saves_one_and_refuses_another_countrys(app, client, people):
    login(client, people.rep_a)
    page = client.get(f"/cities/{people.city_a.id}/edit")
    options = [o.attrs["value"] for o in find(page, "select#subdivision option")]
    assert options[0] == "" and "FR-ARA" in options and "FR-IDF" in options and "CN-JS" not in options
    assert find(page, "input#geonames_id") == []  # the GeoNames id is the coordinators'
    response = client.post(f"/cities/{people.city_a.id}/edit", data=identity_form(1, subdivision="FR-ARA"))
    assert response.status_code == 302 and _subdivision(app, people.city_a.id) == ("FR-ARA", None)
    chosen = find(client.get(f"/cities/{people.city_a.id}/edit"), "select#subdivision option[selected]")
    assert [o.attrs["value"] for o in chosen] == ["FR-ARA"]

    refused = client.post(f"/cities/{people.city_a.id}/edit", data=identity_form(2, subdivision="CN-JS"))
    assert refused.status_code == 422 and _subdivision(app, people.city_a.id) == ("FR-ARA", None)
    assert any("province, state or region" in e for e in texts(refused, "#subdivision-error li"))
    assert _city(app, people.city_a.id)["version"] == 2  # nothing saved


def test_a_changed_country_shows_its_own_list_without_javascript(app, client, people):
    """The old country's subdivision comes back with the new country: refused, and the new list is shown."""
    login(client, people.rep_a)
    client.post(f"/cities/{people.city_a.id}/edit", data=identity_form(1, subdivision="FR-ARA"))
    moved = client.post(f"/cities/{people.city_a.id}/edit",
                        data=identity_form(2, country="CN", timezone="", subdivision="FR-ARA"))
    assert moved.status_code == 422 and _city(app, people.city_a.id)["version"] == 2
    options = [o.attrs["value"] for o in find(moved, "select#subdivision option")]
    assert "CN-JS" in options and "FR-ARA" not in options
    saved = client.post(f"/cities/{people.city_a.id}/edit",
                        data=identity_form(2, country="CN", timezone="", subdivision="CN-JS"))
    assert saved.status_code == 302 and _subdivision(app, people.city_a.id) == ("CN-JS", None)


def test_coordinators_edit_the_geonames_id_and_a_stale_form_still_gets_409(app, client, people, make_user):
    login(client, people.coordinator)
    form = identity_form(1, subdivision="FR-ARA", geonames_id="2996944")
    assert client.post(f"/cities/{people.city_a.id}/edit", data=form).status_code == 302
    assert _subdivision(app, people.city_a.id) == ("FR-ARA", 2996944)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "city.update"))
        assert event.after["subdivision"] == "FR-ARA" and event.after["geonames_id"] == 2996944
    stale = client.post(f"/cities/{people.city_a.id}/edit", data=identity_form(1, subdivision="FR-IDF"))
    assert stale.status_code == 409 and _subdivision(app, people.city_a.id) == ("FR-ARA", 2996944)
    assert any("Province, state or region" in row for row in texts(stale, ".alert li"))
    # a representative's form has no GeoNames id: saving it keeps the coordinator's
    login(client, people.rep_a)
    assert client.post(f"/cities/{people.city_a.id}/edit",
                       data=identity_form(2, subdivision="FR-ARA")).status_code == 302
    assert _subdivision(app, people.city_a.id) == ("FR-ARA", 2996944)


def test_registration_offers_every_suzhou_with_province_and_population_and_keeps_the_chosen_one(
        app, client, make_user):
    login(client, make_user())
    places = geography.cities_named("Suzhou", "CN")
    assert {geography.subdivision_of(p) for p in places} >= {"CN-JS", "CN-AH"}  # real GeoNames homonyms
    page = client.post("/cities/register", data={"name": "Suzhou", "country": "CN", "region": ""})
    assert page.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(City)) is None  # nothing registered before the choice
    labels = texts(page, "#geonames_id li")
    assert any("Suzhou — Jiangsu Sheng — 6,715,559 inhabitants" == label for label in labels)
    assert any("Suzhou — Anhui Sheng — 1,647,642 inhabitants" == label for label in labels)
    assert labels[-1] == "Another place, not in this list"
    anhui = client.post("/cities/register", data={"name": "Suzhou", "country": "CN", "geonames_id": "1793743"})
    assert anhui.status_code == 302
    with app.app_context():
        city = db.session.scalar(select(City))
        assert (city.subdivision, city.geonames_id, city.population) == ("CN-AH", 1793743, 1647642)
        assert round(city.latitude, 1) == 33.6  # Anhui's Suzhou, not the larger one in Jiangsu
    # the other Suzhou may register too; the one already taken is refused under the choice
    again = client.post("/cities/register", data={"name": "Suzhou", "country": "CN", "geonames_id": "1793743"})
    assert again.status_code == 422 and texts(again, "fieldset .errors li")
    marked = [label for label in texts(again, "#geonames_id li") if label.endswith("already registered")]
    assert marked == ["Suzhou — Anhui Sheng — 1,647,642 inhabitants — already registered"]
    jiangsu = client.post("/cities/register", data={"name": "Suzhou", "country": "CN", "geonames_id": "1886760"})
    assert jiangsu.status_code == 302
    with app.app_context():
        assert sorted(c.subdivision for c in db.session.scalars(select(City))) == ["CN-AH", "CN-JS"]


def test_registration_of_another_place_or_a_unique_name(app, client, make_user):
    login(client, make_user())
    other = client.post("/cities/register", data={"name": "Fuzhou", "country": "CN", "geonames_id": "other"})
    assert other.status_code == 302
    with app.app_context():
        city = db.session.scalar(select(City).where(City.name == "Fuzhou"))
        # not guessed from the more populous homonym
        assert (city.subdivision, city.geonames_id, city.latitude, city.population) == ("", None, None, None)
    # a choice made for another name is asked again for the new one
    renamed = client.post("/cities/register", data={"name": "Taizhou", "country": "CN", "geonames_id": "1793743"})
    assert renamed.status_code == 200 and any("Zhejiang" in label for label in texts(renamed, "#geonames_id li"))
    # one city of that name: no question, its province is filled in
    unique = client.post("/cities/register", data={"name": "Nanjing", "country": "CN"})
    assert unique.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(City.subdivision).where(City.name == "Nanjing")) == "CN-JS"


def test_a_homonymous_pair_is_told_apart_on_proposals_workspace_and_mail(app, client, make_user, make_city):
    from datetime import date

    from mentoring.models import Mentorship, OutboxMessage, Proposal
    from mentoring.services import notifications

    rep_js, rep_ah = make_user("rep@js.example", name="Rep JS"), make_user("rep@ah.example", name="Rep AH")
    coordinator = make_user("coord@example.org", role="coordinator")
    jiangsu = make_city("Suzhou", "CN", region="asia_pacific", subdivision="CN-JS", capacity=2,
                        members=[(rep_js, "representative")], timezone="Asia/Shanghai")
    anhui = make_city("Suzhou", "CN", region="asia_pacific", subdivision="CN-AH",
                      members=[(rep_ah, "representative")], timezone="Asia/Shanghai")
    with app.app_context():
        proposal = Proposal(mentor_city_id=jiangsu.id, mentee_city_id=anhui.id, areas=[], score=0.8,
                            state="approved", explanation="Both work on open data.")
        mentorship = Mentorship(mentor_city_id=jiangsu.id, mentee_city_id=anhui.id, areas=[],
                                start_date=date(2026, 1, 5), state="active")
        db.session.add_all([proposal, mentorship])
        db.session.commit()
        proposal_id, mentorship_id = proposal.id, mentorship.id
    pair = "Suzhou (Jiangsu Sheng) mentors Suzhou (Anhui Sheng)"
    login(client, coordinator)
    assert texts(client.get(f"/rounds/proposals/{proposal_id}"), "h1") == [pair]
    login(client, rep_ah)
    assert texts(client.get(f"/mentorships/{mentorship_id}"), "h1") == [pair]
    mine = texts(client.get("/rounds/proposals/mine"), "td")
    assert "Suzhou (Jiangsu Sheng)" in mine and "Suzhou (Anhui Sheng)" in mine
    partners = texts(client.get(f"/requests/preferences/{anhui.id}"), "option")
    assert "Suzhou (Jiangsu Sheng) (CN)" in partners  # the preferred-partner list tells the other Suzhou apart
    with app.test_request_context():
        notifications.proposal_approved(db.session.get(Proposal, proposal_id))
        db.session.commit()
        subjects = {m.subject for m in db.session.scalars(select(OutboxMessage))}
    assert subjects == {"Proposed pairing to endorse: Suzhou (Jiangsu Sheng) mentors Suzhou (Anhui Sheng)"}
