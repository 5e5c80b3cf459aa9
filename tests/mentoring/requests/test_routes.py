"""The requests pages: asking, answering, deciding, seeing where a request stands (both databases)."""
from __future__ import annotations

from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import CityPreference, MentorRequest, Mentorship
from tests.conftest import login
from tests.html import parse
from tests.mentoring.requests.conftest import section as _section


def test_the_whole_journey_through_the_pages(app, world, coordinator):
    lyon, dakar = world.cities["Lyon"], world.cities["Dakar"]
    client = app.test_client()
    login(client, world.reps["Dakar"])
    directory = parse(client.get("/cities/"))
    asks = [a.attrs["href"] for a in directory.select("a.btn--small") if "/requests/new/" in a.attrs["href"]]
    assert f"/requests/new/{lyon.id}" in asks and f"/requests/new/{dakar.id}" not in asks
    page = parse(client.get(f"/requests/new/{lyon.id}"))
    offered = {i.attrs["value"] for i in page.select("input[name=areas]")}
    assert offered == {"open_data", "digital_strategy"}
    response = client.post(f"/requests/new/{lyon.id}", data={
        "mentee_city_id": dakar.id, "areas": ["open_data"], "message": "Bonjour", "language": "fr"})
    assert response.status_code == 303
    request_url = response.headers["Location"]
    with app.app_context():
        request_id = db.session.scalar(select(MentorRequest.id))
    assert request_url.endswith(f"/requests/{request_id}")
    # Dakar cannot answer for Lyon.
    assert client.post(f"/requests/{request_id}/accept", data={}).status_code == 403

    mentor = app.test_client()
    login(mentor, world.reps["Lyon"])
    incoming = parse(mentor.get("/requests/"))
    assert "Dakar" in _section(incoming, "#incoming-title").text
    assert mentor.post(f"/requests/{request_id}/accept", data={"version": "1"}).status_code == 303

    boss = app.test_client()
    login(boss, coordinator)
    rows = parse(boss.get("/requests/open")).select("tbody tr")
    assert len(rows) == 1 and "Lyon" in rows[0].text
    assert boss.post(f"/requests/{request_id}/approve", data={}).status_code == 303
    with app.app_context():
        mentorship = db.session.scalar(select(Mentorship))
        assert (mentorship.mentor_city_id, mentorship.mentee_city_id) == (lyon.id, dakar.id)
    stands = _section(parse(client.get(request_url)), "#where-title").text
    assert "Approved by a coordinator" in stands
    assert parse(boss.get("/requests/open")).select("tbody tr") == []


def test_refusals_show_on_the_form_with_nothing_saved(app, world):
    client = app.test_client()
    login(client, world.reps["Lima"])
    response = client.post(f"/requests/new/{world.cities['Lyon'].id}", data={
        "mentee_city_id": world.cities["Lima"].id, "areas": ["open_data"], "language": "es"})
    assert response.status_code == 422
    page = parse(response)
    assert "share no working language" in page.select("#language_waived-error")[0].text
    with app.app_context():
        assert db.session.scalar(select(MentorRequest)) is None


def test_strangers_cannot_see_a_request_and_non_representatives_cannot_ask(app, world, make_user):
    client = app.test_client()
    login(client, world.reps["Dakar"])
    client.post(f"/requests/new/{world.cities['Lyon'].id}", data={
        "mentee_city_id": world.cities["Dakar"].id, "areas": ["open_data"], "language": "en"})
    with app.app_context():
        request_id = db.session.scalar(select(MentorRequest.id))
    stranger = app.test_client()
    login(stranger, make_user())
    assert stranger.get(f"/requests/{request_id}").status_code == 403
    assert stranger.get(f"/requests/new/{world.cities['Lyon'].id}").status_code == 403
    assert stranger.get("/requests/new/999999").status_code == 404
    other = app.test_client()
    login(other, world.reps["Tunis"])
    assert other.get(f"/requests/{request_id}").status_code == 403
    assert other.post(f"/requests/{request_id}/approve").status_code == 403


def test_a_representative_states_preferences_on_the_city(app, world):
    dakar, lyon, lima = world.cities["Dakar"], world.cities["Lyon"], world.cities["Lima"]
    client = app.test_client()
    login(client, world.reps["Dakar"])
    profile = parse(client.get(f"/cities/{dakar.id}"))
    assert profile.select(f'a[href="/requests/preferences/{dakar.id}"]')[0]
    response = client.post(f"/requests/preferences/{dakar.id}", data={
        "preferred_city_ids": [lyon.id], "avoided_city_ids": [lima.id], "regions": ["europe"],
        "language_1": "fr", "language_2": "en", "area_1": "open_data"})
    assert response.status_code == 303
    with app.app_context():
        saved = db.session.get(CityPreference, dakar.id)
        assert (saved.preferred_city_ids, saved.avoided_city_ids, saved.regions, saved.languages, saved.areas) == (
            [lyon.id], [lima.id], ["europe"], ["fr", "en"], ["open_data"])
    page = parse(client.get(f"/requests/preferences/{dakar.id}"))
    assert [o.attrs["value"] for o in page.select("#preferred_city_ids option[selected]")] == [str(lyon.id)]
    other = app.test_client()
    login(other, world.reps["Lyon"])
    assert other.get(f"/requests/preferences/{dakar.id}").status_code == 403


def test_the_directory_asks_which_cities_a_reader_represents_only_of_representatives(app, world, make_user):
    """No ask links and no query for them for a reader who represents no city; a representative's links."""
    from sqlalchemy import event

    statements = []

    def seen(conn, cursor, statement, *_args):
        statements.append(statement.lower())

    stranger, rep = app.test_client(), app.test_client()
    login(stranger, make_user())
    login(rep, world.reps["Dakar"])
    with app.app_context():
        engine = db.engine  # (requests run outside this context: each has its own ``g``)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        stranger_page = parse(stranger.get("/cities/"))
        stranger_queries, statements[:] = list(statements), []
        rep_page = parse(rep.get("/cities/"))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    asks = [a for a in stranger_page.select("a") if "/requests/new/" in a.attrs.get("href", "")]
    assert asks == []
    assert not [s for s in stranger_queries if "from city_member" in s and "from user_session" not in s]
    rep_asks = [a.attrs["href"] for a in rep_page.select("a") if "/requests/new/" in a.attrs.get("href", "")]
    assert f"/requests/new/{world.cities['Lyon'].id}" in rep_asks, rep_asks
    assert [s for s in statements if "from city_member" in s and "from user_session" not in s]
