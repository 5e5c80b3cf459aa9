"""The programme's rules on the round form (issue 10): stored, applied, refused on the form, explained.

Through the web form only: a coordinator sets the rule, runs the round from its page and reads, in
their language, which mentee a rule left out and why.
"""
from __future__ import annotations

import html

import pytest
from sqlalchemy import select, update

from mentoring.extensions import db
from mentoring.models import Commission, MatchRound, Proposal, User
from tests.conftest import login
from tests.mentoring.rounds.conftest import MENTEE_AREAS, MENTOR_AREAS, add_profile

WEAK_NEED = {"open_data": (3, 1, False), "digital_strategy": (3, 0, False), "online_services": (0, 3, False)}


@pytest.fixture
def rules_world(app, make_city):
    """Lyon (fr, 2 places) and Madrid (es, 1 place); two Senegalese mentees, Lima, and El Alto
    (Bolivia: lower-middle income, a priority mentee) whose need is weak."""
    cities = {}

    def city(name, country, *, areas, capacity=0, wants_mentor=False, languages=("fr",), region="europe"):
        c = make_city(name, country, capacity=capacity, wants_mentor=wants_mentor, languages=languages,
                      region=region, practices=f"{name} portal", needs=f"{name} needs")
        cities[name] = add_profile(app, c, areas=areas)

    city("Lyon", "FR", areas=MENTOR_AREAS, capacity=2)
    city("Madrid", "ES", areas=MENTOR_AREAS, capacity=1, languages=("es",))
    city("Dakar", "SN", areas=MENTEE_AREAS, wants_mentor=True, region="africa")
    city("Thiès", "SN", areas=MENTEE_AREAS, wants_mentor=True, region="africa")
    city("Lima", "PE", areas=MENTEE_AREAS, wants_mentor=True, languages=("es",), region="latin_america")
    city("El Alto", "BO", areas=WEAK_NEED, wants_mentor=True, languages=("es",), region="latin_america")
    return cities


def _form(app, **rules):
    with app.app_context():
        cid = db.session.scalar(select(Commission.id).where(Commission.key == "digital_cities"))
    data = {"name": "Rules round", "commissions": [str(cid)], "require_shared_language": "y",
            "objective": "max_coverage", "weight_complementarity": "0.7", "weight_text": "0.2",
            "weight_context": "0.1", "min_score": "0", "seed": "1", "cross_commission": "off",
            "cross_commission_bonus": "0.1"}
    data.update({k: str(v) for k, v in rules.items()})
    return data


def _open_and_run(app, client, **rules):
    opened = client.post("/rounds/new", data=_form(app, **rules))
    assert opened.status_code == 302, opened.get_data(as_text=True)
    url = opened.headers["Location"]
    assert client.post(url + "/run").status_code in (302, 303)
    with app.app_context():
        round_ = db.session.scalar(select(MatchRound))
        assert round_.status == "done", round_.error
        pairs = {(p.mentor_city.name, p.mentee_city.name): p.rules
                 for p in db.session.scalars(select(Proposal).where(Proposal.round_id == round_.id))}
    return url, pairs


def test_at_most_one_mentee_per_country_from_the_form_with_the_reason_in_the_readers_language(
        app, client, rules_world, make_user):
    coordinator = make_user(role="coordinator")
    login(client, coordinator)
    form = client.get("/rounds/new").get_data(as_text=True)
    assert "At most N mentees from one country in this round" in form
    url, pairs = _open_and_run(app, client, max_per_country=1)
    senegal = [mentee for _, mentee in pairs if mentee in ("Dakar", "Thiès")]
    assert len(senegal) == 1  # Lyon has two places and both could go to Senegal without the rule
    with app.app_context():
        round_ = db.session.scalar(select(MatchRound))
        assert round_.params["max_per_country"] == 1
        (left,) = [u for u in round_.unmatched if u["reason"] == "rule_max_per_country"]
        assert left["facts"]["country"] == "SN" and left["facts"]["max_per_country"] == 1
    other = ({"Dakar", "Thiès"} - set(senegal)).pop()
    page = html.unescape(client.get(url).get_data(as_text=True))
    assert "The round's limit of 1 mentee per country was reached for its country (Senegal)." in page
    assert other in page.split("Mentees without a mentor")[1]
    assert "At most 1 mentee from one country" in page  # the round's rules, in its parameters
    assert "The mentee's country (Senegal) reached the round's limit of 1 mentee per country." in page  # the matched one's explanation

    with app.app_context():
        db.session.execute(update(User).where(User.id == coordinator.id).values(locale="fr"))
        db.session.commit()
    page = html.unescape(client.get(url).get_data(as_text=True))
    assert "La limite du tour, 1 ville mentorée par pays, est atteinte pour ce pays (Sénégal)." in page


def test_rules_that_cannot_be_combined_come_back_as_a_field_error(app, client, rules_world, make_user):
    login(client, make_user(role="coordinator"))
    # Priority mentees (Senegal, Bolivia) span two regions, and Latin America has both kinds.
    response = client.post("/rounds/new", data=_form(app, priority_floor=50, min_per_region=1))
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    error = page.split('id="min_per_region-error"')[1].split("</ul>")[0]
    assert "cannot be combined with the places reserved for priority mentees" in error
    assert "Latin America" in error
    with app.app_context():
        assert db.session.scalar(select(MatchRound)) is None  # nothing was opened
    bad = client.post("/rounds/new", data=_form(app, max_per_country=0))
    assert bad.status_code == 422 and 'id="max_per_country-error"' in bad.get_data(as_text=True)


def test_the_priority_floor_gives_places_to_priority_mentees(app, client, rules_world, make_user):
    login(client, make_user(role="coordinator"))
    _, plain = _open_and_run(app, client)
    assert ("Madrid", "Lima") in plain  # Lima's need is the stronger one
    with app.app_context():
        db.session.query(Proposal).delete()
        db.session.query(MatchRound).delete()
        db.session.commit()
    url, floor = _open_and_run(app, client, priority_floor=100)
    # Every matched place goes to a low or lower-middle income country's city.
    assert {mentee for _, mentee in floor} == {"Dakar", "Thiès", "El Alto"}
    assert all(any(r["code"] == "priority_floor" for r in rules) for rules in floor.values())
    page = html.unescape(client.get(url).get_data(as_text=True))
    assert "It counts toward the places the round reserves for priority mentees (at least 100%)." in page
    assert "At least 100% of matched places for priority mentees" in page
    assert ("Some places are reserved by the programme's floors (at least 100% of the places for priority "
            "mentees).") in page.split("Mentees without a mentor")[1]  # Lima
