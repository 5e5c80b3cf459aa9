"""Shared fixtures: an application on each database backend, clients and model factories.

Every test that uses ``app`` runs on SQLite and, when ``TEST_DATABASE_URL`` names a PostgreSQL
server, on PostgreSQL too. In CI (``CI=true``) a missing component fails the run instead of
skipping tests.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url

from mentoring import create_app
from mentoring.extensions import db
from mentoring.models import Base

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip locally; in CI a missing component is an error, never a silent skip."""
    if IN_CI:
        pytest.fail(f"{reason} (required in CI)", pytrace=False)
    pytest.skip(reason)  # locally only: in CI (above) a missing component fails the run


BASE_TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "WTF_CSRF_ENABLED": False,
    "PASSWORD_HASHER": "fast",
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_NAME": "mentoring_session",
    "REMEMBER_COOKIE_SECURE": False,
    "RATELIMIT_ENABLED": False,
    "RATELIMIT_STORAGE_URI": "memory://",
    "SERVER_NAME": None,
    "MAIL_SERVER": None,
    "LOG_LEVEL": "WARNING",
}


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    """A freshly created, empty database for this test session on each backend."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.sqlite"
        url = f"sqlite:///{path}"
        _create_schema(url)
        yield url
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        skip_or_fail("TEST_DATABASE_URL is not set: PostgreSQL tests not run")
    base_url = make_url(base).set(drivername="postgresql+psycopg")
    name = f"mentoring_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        skip_or_fail(f"PostgreSQL is not reachable: {error}")
    url = base_url.set(database=name).render_as_string(hide_password=False)
    _create_schema(url)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _create_schema(url: str) -> None:
    app = create_app({**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        db.engine.dispose()


def _empty_tables() -> None:
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def app_factory(database_url):
    """Build extra applications on the same database (e.g. with CSRF switched on)."""
    apps = []

    def make(**overrides):
        app = create_app({**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **overrides})
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(app_factory):
    app = app_factory()
    with app.app_context():
        _seed_reference_data()
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        _empty_tables()


def _seed_reference_data() -> None:
    """Commissions and the taxonomy, as ``flask taxonomy load`` would load them."""
    try:
        from mentoring.services.taxonomy import load_commissions, load_taxonomy
    except ImportError:  # the taxonomy service is not there yet
        return
    load_taxonomy()
    load_commissions()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An application context for calling services directly."""
    with app.app_context():
        yield


def login(client, user) -> None:
    """Sign ``user`` in on ``client`` without the login form (a real, revocable session record)."""
    from mentoring.models.accounts import UserSession

    with client.application.app_context():
        record = UserSession(user_id=user.id)
        db.session.add(record)
        db.session.commit()
        sid = record.id
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_sid"] = sid
        session["_fresh"] = True


@pytest.fixture
def make_user(app):
    """Factory: ``make_user(role="coordinator")`` returns a confirmed, committed user."""
    from mentoring.models import User, utcnow
    from mentoring.security import hash_password

    counter = {"n": 0}

    def make(email=None, *, name=None, role=None, password="correct horse battery", locale=None,
             confirmed=True, active=True):
        counter["n"] += 1
        with app.app_context():
            user = User(
                email=(email or f"user{counter['n']}@example.org").lower(),
                name=name or f"User {counter['n']}",
                password_hash=hash_password(password),
                role=role,
                locale=locale,
                active=active,
                email_confirmed_at=utcnow() if confirmed else None,
            )
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return make


@pytest.fixture
def make_city(app):
    """Factory: ``make_city("Lyon", "FR", members=[(user, "representative")])``."""
    from mentoring.models import City, CityLanguage, CityMember

    counter = {"n": 0}

    def make(name=None, country="FR", *, region="europe", status="verified", languages=("fr", "en"),
             members=(), capacity=0, population=100_000, **fields):
        counter["n"] += 1
        with app.app_context():
            city = City(
                name=name or f"City {counter['n']}",
                country=country,
                region=region,
                status=status,
                population=population,
                mentor_capacity=capacity,
                **fields,
            )
            city.languages = [CityLanguage(code=c, position=i) for i, c in enumerate(languages)]
            db.session.add(city)
            db.session.flush()
            for user, role in members:
                db.session.add(CityMember(city_id=city.id, user_id=user.id, role=role))
            db.session.commit()
            db.session.refresh(city)
            db.session.expunge(city)
        return city

    return make


@contextmanager
def count_queries(engine):
    """Count the SQL statements run inside the block: ``with count_queries(db.engine) as n: …; n()``."""
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield lambda: len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", before)
