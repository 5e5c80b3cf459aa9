"""Preferences reach the engine: avoid-lists exclude, wishes add a bounded bonus the explanations
name, the round page counts what was met, and a representative's home suggests mentors (both DBs)."""
from __future__ import annotations

from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import City, MatchRound, Proposal
from mentoring.services import matchmaking, preferences, suggestions
from tests.conftest import login
from tests.html import parse
from tests.mentoring.requests.conftest import section as _section
from tests.mentoring.rounds.conftest import MENTOR_AREAS, add_profile, open_and_run


def _prefs(app, city, **values):
    with app.app_context():
        preferences.save(None, db.session.get(City, city.id), **values)
        db.session.commit()


def _pairs(app, round_id):
    with app.app_context():
        rows = db.session.execute(select(Proposal.mentee_city_id, Proposal.mentor_city_id, Proposal.explanation)
                                  .where(Proposal.round_id == round_id))
        names = {c.id: c.name for c in db.session.scalars(select(City))}
        return {names[a]: (names[b], text) for a, b, text in rows}


def test_two_cities_preferences_change_the_round_and_the_explanation_says_so(app, world, coordinator, make_user,
                                                                            make_city):
    rep = make_user(email="rep-montreal@example.org")
    montreal = make_city("Montréal", "CA", region="north_america", capacity=1, population=4_000_000,
                         members=[(rep, "representative")], practices="Montréal open data portal")
    add_profile(app, montreal, areas=MENTOR_AREAS)
    first = _pairs(app, open_and_run(app, coordinator))
    assert first["Dakar"][0] != "Montréal"
    _prefs(app, world.cities["Dakar"], preferred_city_ids=[montreal.id])
    _prefs(app, montreal, preferred_city_ids=[world.cities["Dakar"].id])
    second = _pairs(app, open_and_run(app, coordinator))
    assert second["Dakar"][0] == "Montréal"
    assert "Dakar asked for Montréal." in second["Dakar"][1]
    assert "Montréal asked for Dakar." in second["Dakar"][1]
    with app.app_context():
        round_ = db.session.scalar(select(MatchRound).order_by(MatchRound.id.desc()))
        assert round_.metrics["certified"]
        report = preferences.met_in_round(round_)
        assert (report.met, report.stated) == (2, 2)
        round_id = round_.id
        proposal_id = db.session.scalar(select(Proposal.id).where(
            Proposal.round_id == round_id, Proposal.mentee_city_id == world.cities["Dakar"].id))
    page = app.test_client()
    login(page, coordinator)
    soup = parse(page.get(f"/rounds/{round_id}"))
    section = _section(soup, "#prefs-met-title")
    assert "2 of 2 stated preferences met" in section.text
    shown = parse(page.get(f"/rounds/proposals/{proposal_id}"))
    assert "Dakar asked for Montréal." in shown.select(".explanation")[0].text
    assert "Preferred partner" in shown.select("dl.components")[0].text

def test_an_avoid_list_is_a_hard_exclusion_in_a_round(app, world, coordinator):
    first = _pairs(app, open_and_run(app, coordinator))
    assert first["Lima"][0] == "Barcelona"  # the only Spanish-speaking mentor
    _prefs(app, world.cities["Barcelona"], avoided_city_ids=[world.cities["Lima"].id])
    second = _pairs(app, open_and_run(app, coordinator))
    assert "Lima" not in second


def test_a_representative_home_suggests_mentors_with_free_places(app, world, coordinator):
    client = app.test_client()
    login(client, world.reps["Dakar"])
    soup = parse(client.get("/"))
    section = _section(soup, f"#suggest-{world.cities['Dakar'].id}-title")
    items = section.select("ol.suggestions li")
    names = [li.select("strong")[0].text for li in items]
    assert set(names) == {"Lyon", "Barcelona"}  # both share English with Dakar
    assert all(li.select(".btn")[0].attrs["href"].startswith("/requests/new/") for li in items)
    assert "free place" in items[0].text
    # A mentor city without a free place is not suggested.
    with app.app_context():
        db.session.get(City, world.cities["Barcelona"].id).mentor_capacity = 0
        db.session.commit()
        dakar = db.session.get(City, world.cities["Dakar"].id)
        assert [s["mentor"].name for s in suggestions.suggestions_for_city(dakar)] == ["Lyon"]


def test_suggestions_are_computed_once_and_recomputed_after_any_write_they_read(app, world, monkeypatch):
    calls = []
    real = matchmaking.matching.suggest_mentors
    monkeypatch.setattr(matchmaking.matching, "suggest_mentors", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    with app.app_context():
        dakar = db.session.get(City, world.cities["Dakar"].id)
        first = [s["mentor"].name for s in suggestions.suggestions_for_city(dakar)]
        again = [s["mentor"].name for s in suggestions.suggestions_for_city(dakar)]
        assert first == again and set(first) == {"Lyon", "Barcelona"} and len(calls) == 1
    # An avoid-list (another table than the cities') changes the suggestions at once.
    _prefs(app, world.cities["Dakar"], avoided_city_ids=[world.cities["Lyon"].id])
    with app.app_context():
        dakar = db.session.get(City, world.cities["Dakar"].id)
        assert [s["mentor"].name for s in suggestions.suggestions_for_city(dakar)] == ["Barcelona"]
        assert len(calls) == 2
