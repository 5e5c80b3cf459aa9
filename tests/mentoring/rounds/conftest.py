"""Fixtures of the rounds tests: cities with profiles, a coordinator, an opened round."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import Assessment, CapabilityArea, CityCommission, Commission


def add_profile(app, city, *, commission="digital_cities", areas=None):
    """Put ``city`` in a commission and give it current assessments.

    ``areas`` maps area key -> (maturity, need, can_mentor).
    """
    with app.app_context():
        commission_id = db.session.scalar(select(Commission.id).where(Commission.key == commission))
        db.session.add(CityCommission(city_id=city.id, commission_id=commission_id))
        for key, (maturity, need, can_mentor) in (areas or {}).items():
            area_id = db.session.scalar(select(CapabilityArea.id).where(CapabilityArea.key == key))
            db.session.add(Assessment(city_id=city.id, area_id=area_id, maturity=maturity, need=need,
                                      can_mentor=can_mentor))
        db.session.commit()
    return city


MENTOR_AREAS = {"open_data": (4, 0, True), "digital_strategy": (3, 0, True), "online_services": (2, 1, False)}
MENTEE_AREAS = {"open_data": (1, 3, False), "digital_strategy": (1, 2, False), "online_services": (2, 1, False)}


@pytest.fixture
def coordinator(make_user):
    return make_user(role="coordinator", email="coord@example.org", name="Carla Coordinator")


@pytest.fixture
def world(app, make_user, make_city):
    """Two mentors (Lyon cap 2, Barcelona cap 1), three mentees, one incomplete city, reps for each."""
    reps = {}
    cities = {}

    def city(name, country, *, areas, capacity=0, wants_mentor=False, languages=("fr", "en"), region="europe"):
        rep = make_user(email=f"rep-{name.lower()}@example.org", name=f"Rep {name}")
        c = make_city(name, country, members=[(rep, "representative")], capacity=capacity,
                      wants_mentor=wants_mentor, languages=languages, region=region,
                      practices=f"{name} open data portal", needs=f"{name} needs open data")
        add_profile(app, c, areas=areas)
        reps[name] = rep
        cities[name] = c
        return c

    city("Lyon", "FR", areas=MENTOR_AREAS, capacity=2)
    city("Barcelona", "ES", areas=MENTOR_AREAS, capacity=1, languages=("es", "en"))
    city("Dakar", "SN", areas=MENTEE_AREAS, wants_mentor=True, region="africa")
    city("Lima", "PE", areas=MENTEE_AREAS, wants_mentor=True, languages=("es",), region="latin_america")
    city("Tunis", "TN", areas=MENTEE_AREAS, wants_mentor=True, languages=("fr", "ar"), region="africa")
    # Verified, in the commission, but without any assessment: too incomplete.
    rep = make_user(email="rep-empty@example.org")
    empty = make_city("Emptyville", "IT", members=[(rep, "representative")], wants_mentor=True)
    add_profile(app, empty, areas={})
    cities["Emptyville"] = empty

    class World:
        pass

    w = World()
    w.cities, w.reps = cities, reps
    return w


def open_and_run(app, coordinator, **params):
    """Open a round on the digital commission and run it; returns the round id."""
    from mentoring import jobs
    from mentoring.services import matchmaking

    with app.app_context():
        commission_id = db.session.scalar(select(Commission.id).where(Commission.key == "digital_cities"))
        actor = db.session.get(type(coordinator), coordinator.id)
        round_ = matchmaking.open_round(actor, name="Spring round", commission_ids=[commission_id], params=params)
        matchmaking.request_run(actor, round_)
        db.session.commit()
        round_id = round_.id
        assert jobs.run_round(round_id, coordinator.id) == "done"
    return round_id
