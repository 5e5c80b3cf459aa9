"""A small world for the workspace tests: two cities in a mentorship, an unrelated city, roles."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from mentoring.extensions import db
from mentoring.models import MentoringSession, Mentorship, User, utcnow


@dataclass
class World:
    coordinator: User
    admin: User
    mentor_rep: User  # representative of the mentor city (Lyon, Europe/Paris)
    mentor: User  # an official of Lyon assigned as mentor
    mentee_rep: User  # representative of the mentee city (Pune, Asia/Kolkata)
    outsider: User  # representative of an unrelated city
    mentor_city_id: int
    mentee_city_id: int
    outsider_city_id: int
    mentorship_id: int

    def get(self, user: User) -> User:
        return db.session.get(User, user.id)

    def mentorship(self) -> Mentorship:
        db.session.expire_all()
        return db.session.get(Mentorship, self.mentorship_id)


@pytest.fixture
def world(app, make_user, make_city) -> World:
    coordinator = make_user("coord@example.org", name="Cora Coordinator", role="coordinator")
    admin = make_user("admin@example.org", name="Ada Admin", role="admin")
    mentor_rep = make_user("rep@lyon.example", name="Louise Lyon")
    mentor = make_user("mentor@lyon.example", name="Marc Mentor")
    mentee_rep = make_user("rep@pune.example", name="Priya Pune")
    outsider = make_user("rep@quito.example", name="Omar Outsider")
    lyon = make_city("Lyon", "FR", capacity=2, timezone="Europe/Paris",
                     members=[(mentor_rep, "representative"), (mentor, "mentor")])
    pune = make_city("Pune", "IN", region="asia_pacific", timezone="Asia/Kolkata",
                     members=[(mentee_rep, "representative")])
    quito = make_city("Quito", "EC", region="latin_america", timezone="America/Guayaquil", capacity=1,
                      members=[(outsider, "representative")])
    from mentoring.services import workspace as service

    with app.app_context():
        mentorship = service.create_mentorship(
            db.session.get(User, coordinator.id), mentor_city_id=lyon.id, mentee_city_id=pune.id,
            areas=_two_area_keys(), start_date=date(2026, 1, 5), planned_end=date(2026, 12, 31))
        service.assign_mentor(db.session.get(User, mentor_rep.id), mentorship, "mentor", mentor.id)
        db.session.commit()
        mentorship_id = mentorship.id
    return World(coordinator, admin, mentor_rep, mentor, mentee_rep, outsider,
                 lyon.id, pune.id, quito.id, mentorship_id)


def _two_area_keys() -> list[str]:
    from mentoring.services.taxonomy import active_areas

    return [a.key for a in active_areas()[:2]]


def add_session(mentorship_id: int, *, days: float, held: bool, duration: int = 60, fmt: str = "video",
                key: str | None = None, zone: str = "Europe/Paris", **fields) -> MentoringSession:
    """Insert a session directly (no rules), ``days`` from now."""
    session = MentoringSession(
        mentorship_id=mentorship_id, starts_at=utcnow() + timedelta(days=days), timezone=zone,
        duration_minutes=duration, format=fmt, held=held, idempotency_key=key, areas=[], **fields)
    db.session.add(session)
    db.session.commit()
    return session


def aware(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def rctx(app):
    """A request context: services speak the user's language, which needs one."""
    with app.test_request_context():
        yield
