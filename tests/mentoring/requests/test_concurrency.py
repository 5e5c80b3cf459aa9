"""Parallel clicks never over-book a mentor city (SQLite and PostgreSQL).

The mentor city's representatives accept 30 requests for a city of capacity 2 at the same moment,
each click in its own thread, application context and session; the window between the count and
the write is widened. Exactly two requests are accepted, the others refused with the capacity
message, and no click fails with an error. A second race then approves the two accepted requests
while 30 new hand-made clicks try to accept more: the mentor still has exactly two.
"""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from mentoring import database, rules
from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    CapabilityArea,
    City,
    CityLanguage,
    CityMember,
    MentorRequest,
    User,
    utcnow,
)
from mentoring.services import NotAllowed
from mentoring.services import requests as service

THREADS = 30
CAPACITY = 2


@pytest.fixture
def race_app(app_factory, app):
    return app_factory(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": THREADS + 5, "max_overflow": 5, "pool_timeout": 60})


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
    barrier = threading.Barrier(len(request_ids))
    outcome = {"ok": 0, "refused": 0, "errors": []}
    guard = threading.Lock()

    def worker(request_id):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                if deferred:
                    with database.read_only():  # SQLite: BEGIN instead of BEGIN IMMEDIATE
                        service.accept(db.session.get(User, actor_id), request_id)
                        db.session.commit()
                else:
                    service.accept(db.session.get(User, actor_id), request_id)
                    db.session.commit()
                with guard:
                    outcome["ok"] += 1
            except NotAllowed as refusal:
                db.session.rollback()
                with guard:
                    outcome["refused"] += 1
                assert "no free mentor place" in refusal.message
            except Exception as error:  # noqa: BLE001 - every other failure is counted
                db.session.rollback()
                with guard:
                    outcome["errors"].append(f"{type(error).__name__}: {error}"[:200])
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(rid,)) for rid in request_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    return outcome


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
