"""SECURITY.md family K: capacity is never over-booked, on SQLite and PostgreSQL.

50 threads, each with its own application context and session, approve 50 different proposals
for one mentor city of capacity 2 at the same moment. Exactly 2 must be approved, the others
refused with the capacity message, and no thread may fail with an error. The second test removes
the lock (and widens the window between the count and the write) and shows that the first test
would then fail: the lock is what holds the promise.
"""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import City, CityLanguage, MatchRound, Proposal
from mentoring.services import proposals as service
from tests.races import pooled_app, race

THREADS = 50
CAPACITY = 2


@pytest.fixture
def race_app(app_factory, app):
    return pooled_app(app_factory, THREADS)


def _setup(app, coordinator) -> list[int]:
    with app.app_context():
        mentor = City(name="Lyon", country="FR", region="europe", status="verified", mentor_capacity=CAPACITY)
        mentor.languages = [CityLanguage(code="fr")]
        db.session.add(mentor)
        round_ = MatchRound(name="Race", status="done", params={"mentors_per_mentee": 1})
        db.session.add(round_)
        mentees = [City(name=f"Mentee {i}", country="SN", region="africa", status="verified") for i in range(THREADS)]
        db.session.add_all(mentees)
        db.session.flush()
        proposals = [Proposal(round_id=round_.id, mentor_city_id=mentor.id, mentee_city_id=m.id, score=1.0,
                              explanation="race") for m in mentees]
        db.session.add_all(proposals)
        db.session.commit()
        return [p.id for p in proposals]


def _race(app, proposal_ids, actor_id, *, deferred=False):
    outcome = race(app, proposal_ids, actor_id, service.approve, deferred=deferred, timeout=120)
    with app.app_context():
        approved = db.session.scalar(select(func.count()).select_from(Proposal).where(Proposal.state == "approved"))
        backend = db.engine.dialect.name
    return approved, outcome, backend


def test_fifty_concurrent_approvals_never_overbook_a_mentor_of_capacity_two(race_app, make_user):
    coordinator = make_user(role="coordinator")
    ids = _setup(race_app, coordinator)
    approved, outcome, backend = _race(race_app, ids, coordinator.id)
    print(f"\nfamily K [{backend}]: approvals = {approved}, refused = {outcome['refused']}, "
          f"errors = {len(outcome['errors'])}")
    assert outcome["errors"] == []
    assert approved == CAPACITY == outcome["ok"]
    assert outcome["refused"] == THREADS - CAPACITY
    with race_app.app_context():
        assert rules.places_used(db.session.scalar(select(City.id).where(City.name == "Lyon"))) == CAPACITY


def test_without_the_lock_the_same_race_overbooks_or_fails(race_app, make_user, monkeypatch):
    """Proof that the lock matters: remove it and widen the count→write window by 50 ms."""
    coordinator = make_user(role="coordinator")
    ids = _setup(race_app, coordinator)
    monkeypatch.setattr(rules, "lock_city", lambda city_id: None)
    monkeypatch.setattr(rules, "before_reserving", lambda: time.sleep(0.05))
    with race_app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
    # On SQLite the lock is BEGIN IMMEDIATE: removing it means deferred transactions.
    approved, outcome, backend = _race(race_app, ids, coordinator.id, deferred=sqlite)
    print(f"\nfamily K without the lock [{backend}]: approvals = {approved}, refused = {outcome['refused']}, "
          f"errors = {len(outcome['errors'])}")
    assert not (approved == CAPACITY and outcome["errors"] == []), "the race was harmless without the lock"
    if not sqlite:
        assert approved > CAPACITY  # PostgreSQL, READ COMMITTED: a real over-booking
