"""Fixtures for the city tests: two cities (A and B) with their people, and a coordinator."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from mentoring.extensions import db
from mentoring.models import City


@pytest.fixture
def people(make_user, make_city):
    """rep_a / mentor_a of city A, rep_b of city B, a coordinator, an admin, an outsider."""
    rep_a = make_user("rep.a@example.org", name="Rep A")
    mentor_a = make_user("mentor.a@example.org", name="Mentor A")
    rep_b = make_user("rep.b@example.org", name="Rep B")
    coordinator = make_user("coord@example.org", name="Coordinator", role="coordinator")
    admin = make_user("admin@example.org", name="Admin", role="admin")
    outsider = make_user("outsider@example.org", name="Outsider")
    city_a = make_city("Alpha", "FR", members=[(rep_a, "representative"), (mentor_a, "mentor")])
    city_b = make_city("Beta", "ES", members=[(rep_b, "representative")], languages=("es",))
    return SimpleNamespace(rep_a=rep_a, mentor_a=mentor_a, rep_b=rep_b, coordinator=coordinator,
                           admin=admin, outsider=outsider, city_a=city_a, city_b=city_b)


def get_city(city_id: int) -> City:
    db.session.expire_all()
    return db.session.get(City, city_id)


@pytest.fixture
def ctx(app):
    """A request context: the services' messages go through Flask-Babel, whose locale selector
    (mentoring.i18n) reads the session."""
    with app.test_request_context():
        yield
