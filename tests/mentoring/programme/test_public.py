"""The public programme page and the knowledge library: what visitors and members may read."""
from __future__ import annotations

from html.parser import HTMLParser

from mentoring.extensions import db
from mentoring.models import AuditEvent, NotePublication
from tests.conftest import login


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href"))


def note_links(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return [h for h in parser.hrefs if h and h.startswith("/programme/notes/")]


def test_public_page_for_visitors_in_three_languages(app, small):
    client = app.test_client()
    for lang, title in (("en", "City-to-city mentoring"), ("fr", "Mentorat"), ("es", "Mentoría")):
        page = client.get("/programme", headers={"Accept-Language": lang})
        assert page.status_code == 200
        assert title.lower() in page.get_data(as_text=True).lower(), lang
    data = client.get("/programme/map.json").get_json()
    # Countries only, never a city: FR → SN, FR → KE, BR → KE (active and completed mentorships).
    assert data["level"] == "country"
    assert sorted((e["source"], e["target"], e["ties"]) for e in data["edges"]) == [
        ("BR", "KE", 1), ("FR", "KE", 1), ("FR", "SN", 1)]
    text = str(data)
    assert "Alpha" not in text and "Beta" not in text
    assert all(n["cities"] is None for n in data["nodes"])  # one city per country: never shown


def test_a_note_is_public_only_when_both_cities_agree(app, small):
    note_id = small["ids"]["note"]
    visitor = app.test_client()
    assert note_links(visitor.get("/programme/notes").get_data(as_text=True)) == []
    assert visitor.get(f"/programme/notes/{note_id}").status_code == 404
    member = app.test_client()
    login(member, small["member"])
    assert note_links(member.get("/programme/notes").get_data(as_text=True)) == [f"/programme/notes/{note_id}"]

    alpha = app.test_client()
    login(alpha, small["rep_alpha"])
    response = alpha.post(f"/programme/notes/{note_id}/public", data={"agree": "1", "language": "en"})
    assert response.status_code == 303
    assert visitor.get(f"/programme/notes/{note_id}").status_code == 404  # one city is not enough
    # Someone who represents neither city cannot decide for them.
    assert member.post(f"/programme/notes/{note_id}/public", data={"agree": "1"}).status_code == 403
    beta = app.test_client()
    login(beta, small["rep_beta"])
    assert beta.post(f"/programme/notes/{note_id}/public", data={"agree": "1"}).status_code == 303
    assert visitor.get(f"/programme/notes/{note_id}").status_code == 200
    assert note_links(visitor.get("/programme").get_data(as_text=True)) == [f"/programme/notes/{note_id}"]
    with app.app_context():
        publication = db.session.get(NotePublication, note_id)
        assert publication.is_public and publication.language == "en"
        assert db.session.query(AuditEvent).filter_by(action="note.public_consent").count() == 2
    # Beta changes its mind: members only again.
    assert beta.post(f"/programme/notes/{note_id}/public", data={"agree": "0"}).status_code == 303
    assert visitor.get(f"/programme/notes/{note_id}").status_code == 404
    assert alpha.post(f"/programme/notes/{note_id}/public", data={"agree": "1", "language": "xx"}).status_code in (
        303, 422)
    with app.app_context():
        assert db.session.get(NotePublication, note_id).language == "en"


def test_library_search_and_filters(app, small):
    note = f"/programme/notes/{small['ids']['note']}"
    client = app.test_client()
    login(client, small["member"])
    for query, found in (("q=portal", True), ("q=PORTAL+budgets", True), ("q=transport", False),
                         ("area=open_data", True), ("area=energy", False), ("region=africa", True),
                         ("region=north_america", False), ("language=en", True), ("language=fr", False),
                         ("q=%25", False), ("area=<script>", True)):
        links = note_links(client.get(f"/programme/notes?{query}").get_data(as_text=True))
        assert (links == [note]) is found, query


def test_coordinator_pages_refuse_members(app, small):
    client = app.test_client()
    login(client, small["member"])
    for url in ("/programme/network", "/programme/network.json", "/programme/outcomes", "/programme/study"):
        assert client.get(url).status_code == 403, url
