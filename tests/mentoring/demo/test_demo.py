"""flask demo load / logins: the demonstration programme."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import Assessment, City, CityMember, User
from mentoring.models.cities import REGIONS
from mentoring.security import verify_password
from mentoring.services import ServiceError
from mentoring.services.demo import DEMO_PASSWORD, load_demo


@pytest.fixture
def demo_app(app_factory, app):
    """The test application with DEMO switched on (the reference data is loaded by ``app``)."""
    return app_factory(DEMO=True)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_load_builds_a_programme_across_every_region(demo_app):
    """One load (``--if-empty`` on an empty database) checked from every side, then loaded again."""
    runner = demo_app.test_cli_runner()
    empty = runner.invoke(args=["demo", "logins"])
    assert empty.exit_code == 0 and "No demo accounts" in empty.output
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    from mentoring.services.demo import DEMO_CITIES, DEMO_HOMONYMS

    expected = len(DEMO_CITIES) + len(DEMO_HOMONYMS)  # the named cities and one homonymous pair
    assert result.exit_code == 0 and f"{expected} created" in result.output, result.output
    with demo_app.app_context():
        cities = db.session.scalars(select(City)).all()
        assert len(cities) >= 60 and all(c.is_demo for c in cities)
        per_region = {r: sum(1 for c in cities if c.region == r) for r in REGIONS}
        assert min(per_region.values()) >= 5, per_region
        mentors = [c for c in cities if c.mentor_capacity > 0]
        assert len(mentors) >= 15 and all(1 <= c.mentor_capacity <= 3 for c in mentors)
        for city in cities:
            assert city.latitude is not None and city.population and city.timezone
            assert city.languages and city.practices and city.needs and city.commission_keys
            offered = [a for a in city.assessments if a.can_mentor]
            assert all(a.maturity >= 3 for a in offered)
            assert bool(offered) == (city.mentor_capacity > 0)
        lyon = next(c for c in cities if c.name == "Lyon")
        assert lyon.language_codes[0] == "fr" and lyon.practices.startswith("Lyon est")
        # One current assessment per area; the demo history's close-out re-assessments keep earlier versions.
        assert count(Assessment, Assessment.is_current) == len(cities) * 25
        assert {c.status for c in cities} == {"verified", "pending"}
        before = (count(City), count(User), count(CityMember), count(Assessment))

    # The accounts: one password, hashed once, and their roles.
    with demo_app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@demo.mentoring.example"))
        assert admin.role == "admin" and verify_password(admin.password_hash, DEMO_PASSWORD)
        assert db.session.scalar(select(User.role).where(User.email == "coordinator@demo.mentoring.example")) \
            == "coordinator"
        rep = db.session.scalar(select(User).where(User.email == "rep.lyon@demo.mentoring.example"))
        assert [(m.city.name, m.role) for m in rep.memberships] == [("Lyon", "representative")]
        assert count(CityMember, CityMember.role == "mentor") >= 3
        assert len(set(db.session.scalars(select(User.password_hash)))) == 1
    response = demo_app.test_client().post("/auth/login", data={"email": "rep.lyon@demo.mentoring.example",
                                                                "password": DEMO_PASSWORD})
    assert response.status_code == 302

    # `flask demo logins` prints them.
    lines = runner.invoke(args=["demo", "logins"]).output.splitlines()
    assert any("admin@demo.mentoring.example" in line and DEMO_PASSWORD in line and "admin" in line for line in lines)
    assert any("rep.lyon@demo.mentoring.example" in line and "representative" in line and "Lyon" in line
               for line in lines)
    assert any("coordinator@demo.mentoring.example" in line and "coordinator" in line for line in lines)

    # Loading again creates nothing.
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and "0 created" in second.output
    with demo_app.app_context():
        assert (count(City), count(User), count(CityMember), count(Assessment)) == before


def test_if_empty_does_nothing_when_a_city_exists(demo_app, make_city):
    make_city("Somewhere", "FR")
    result = demo_app.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0 and "not loaded" in result.output
    with demo_app.app_context():
        assert count(City) == 1 and count(User) == 0


def test_refused_without_the_demo_setting_unless_forced(app, runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code != 0 and "DEMO" in result.output
    with app.app_context():
        assert count(City) == 0 and count(User) == 0
        with pytest.raises(ServiceError):
            load_demo()
    forced = runner.invoke(args=["demo", "load", "--force"])
    assert forced.exit_code == 0
    with app.app_context():
        assert count(City) >= 60
