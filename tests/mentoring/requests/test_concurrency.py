"""Parallel clicks never over-book a mentor city (SQLite and PostgreSQL).

The mentor city's representatives accept 30 requests for a city of capacity 2 at the same moment,
each click in its own thread, application context and session; the window between the count and
the write is widened. Exactly two requests are accepted, the others refused with the capacity
message, and no click fails with an error. A second race then approves the two accepted requests
while 30 new hand-made clicks try to accept more: the mentor still has exactly two.
"""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    CapabilityArea,
    City,
    CityLanguage,
    CityMember,
    MentorRequest,
    utcnow,
)
from mentoring.services import requests as service
from tests.races import pooled_app, race

THREADS = 30
CAPACITY = 2


@pytest.fixture
def race_app(app_factory, app):
    return pooled_app(app_factory, THREADS)


def _setup(app, rep) -> list[int]:
    with app.app_context():
        area_id = db.session.scalar(select(CapabilityArea.id).where(CapabilityArea.key == "open_data"))
        mentor = City(name="Lyon", country="FR", region="europe", status="verified", mentor_capacity=CAPACITY)
        mentor.languages = [CityLanguage(code="fr")]
        db.session.add(mentor)
        mentees = [City(name=f"Mentee {i}", country="SN", region="africa", status="verified", wants_mentor=True)
                   for i in range(THREADS)]
        for m in mentees:
            m.languages = [CityLanguage(code="fr")]
        db.session.add_all(mentees)
        db.session.flush()
        db.session.add(CityMember(city_id=mentor.id, user_id=rep.id, role="representative"))
        db.session.add(Assessment(city_id=mentor.id, area_id=area_id, maturity=4, can_mentor=True))
        now = utcnow()
        requests_ = [MentorRequest(mentor_city_id=mentor.id, mentee_city_id=m.id, areas=["open_data"],
                                   created_at=now, expires_at=now + service.expires_after()) for m in mentees]
        db.session.add_all(requests_)
        db.session.commit()
        return [r.id for r in requests_]


def _race(app, request_ids, actor_id, *, deferred=False):
    return race(app, request_ids, actor_id, service.accept, deferred=deferred)


def test_thirty_parallel_accepts_never_overbook_a_mentor_of_capacity_two(race_app, make_user, monkeypatch):
    rep = make_user(email="rep-lyon@example.org")
    ids = _setup(race_app, rep)
    monkeypatch.setattr(rules, "before_reserving", lambda: time.sleep(0.02))
    outcome = _race(race_app, ids, rep.id)
    with race_app.app_context():
        accepted = db.session.scalar(select(func.count()).select_from(MentorRequest)
                                     .where(MentorRequest.state == "accepted"))
        lyon = db.session.scalar(select(City.id).where(City.name == "Lyon"))
        backend = db.engine.dialect.name
        print(f"\n[{backend}] accepted = {accepted}, refused = {outcome['refused']}, errors = {len(outcome['errors'])}")
        assert outcome["errors"] == []
        assert accepted == outcome["ok"] == CAPACITY
        assert outcome["refused"] == THREADS - CAPACITY
        assert rules.places_used(lyon) == CAPACITY


def test_without_the_lock_the_same_race_overbooks_or_fails(race_app, make_user, monkeypatch):
    """Proof that the test can fail: remove the lock and the same clicks over-book (or error)."""
    rep = make_user(email="rep-lyon@example.org")
    ids = _setup(race_app, rep)
    monkeypatch.setattr(rules, "lock_city", lambda city_id: None)
    monkeypatch.setattr(rules, "before_reserving", lambda: time.sleep(0.05))
    with race_app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
    outcome = _race(race_app, ids, rep.id, deferred=sqlite)
    with race_app.app_context():
        accepted = db.session.scalar(select(func.count()).select_from(MentorRequest)
                                     .where(MentorRequest.state == "accepted"))
    assert not (accepted == CAPACITY and outcome["errors"] == []), "the race was harmless without the lock"
