"""The application core: configuration, error pages, headers, logging, migrations."""
from __future__ import annotations

import json
import warnings

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from mentoring import create_app
from mentoring.extensions import db
from mentoring.models import Base
from tests.conftest import BASE_TEST_CONFIG


def test_config_precedence(tmp_path, monkeypatch):
    """Defaults < instance/config.py < MENTORING_* environment < test config."""
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("SECRET_KEY = 'from-file'\nCITIES_PER_PAGE = 7\nLOG_LEVEL = 'DEBUG'\n")
    monkeypatch.setenv("MENTORING_CITIES_PER_PAGE", "9")
    monkeypatch.setenv("MENTORING_DATABASE_URL", "sqlite:///" + str(tmp_path / "x.sqlite"))
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(instance))
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["CITIES_PER_PAGE"] == 9  # JSON-parsed from the environment
    assert app.config["LOG_LEVEL"] == "DEBUG"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("x.sqlite")
    app = create_app({"CITIES_PER_PAGE": 3})
    assert app.config["CITIES_PER_PAGE"] == 3


def test_missing_secret_key_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    monkeypatch.delenv("MENTORING_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_cookie_defaults(tmp_path, monkeypatch):
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_DURATION"].days <= 30
    assert app.config["SESSION_ABSOLUTE_LIFETIME"].total_seconds() == 12 * 3600
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 30 * 60
    assert app.config["PASSWORD_HASHER"] == "argon2id"


def test_not_found_html_and_json(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert b"Page not found" in page.data and b"<html" in page.data
    api = client.get("/api/no/such/thing")
    assert api.status_code == 404
    assert api.get_json() == {"message": "Page not found", "errors": {}}
    negotiated = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert negotiated.get_json()["message"] == "Page not found"


def test_method_not_allowed_names_allowed_methods(client):
    response = client.get("/language")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_unexpected_error_rolls_back_and_hides_the_trace(app, make_user):
    from mentoring.access import public
    from mentoring.models import User

    @public
    def explode():
        db.session.add(User(email="half@example.org", name="Half", password_hash="x"))
        db.session.flush()
        raise RuntimeError("secret internals")

    app.add_url_rule("/explode", "explode", explode)
    response = app.test_client().get("/explode")
    assert response.status_code == 500
    assert b"secret internals" not in response.data and b"Traceback" not in response.data
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "half@example.org")) is None


def test_security_headers_on_every_response(client):
    for path in ("/", "/no/such/page", "/static/css/app.css"):
        response = client.get(path)
        response.close()
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        max_age = int(headers["Strict-Transport-Security"].split("max-age=")[1].split(";")[0])
        assert max_age >= 365 * 24 * 3600
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]


def test_request_id_is_echoed_and_logged(app, client):
    import io
    import logging

    from mentoring.logs import JsonFormatter

    response = client.get("/", headers={"X-Request-ID": "abcdef123456"})
    assert response.headers["X-Request-ID"] == "abcdef123456"
    bogus = client.get("/", headers={"X-Request-ID": "<script>"})
    assert bogus.headers["X-Request-ID"] != "<script>"
    handler = next(h for h in logging.getLogger("mentoring").handlers if isinstance(h.formatter, JsonFormatter))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        with app.test_request_context(headers={"X-Request-ID": "fedcba654321"}):
            app.preprocess_request()
            logging.getLogger("mentoring.test").warning("hello")
    finally:
        handler.setStream(previous)
    line = stream.getvalue().strip().splitlines()[-1]
    entry = json.loads(line)
    assert entry["message"] == "hello" and entry["request_id"] == "fedcba654321"


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(tmp_path):
    app = create_app({**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.sqlite'}"})
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        db.engine.dispose()


def test_migrations_create_exactly_the_models(database_url, tmp_path):
    """Upgrading an empty database from the migrations gives the schema the models describe."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        fresh = f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        cleanup = None
    else:
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        name = url.database + "_mig"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        fresh = url.set(database=name).render_as_string(hide_password=False)

        def cleanup():
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    app = create_app({**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": fresh})
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(
                    conn, opts={"compare_type": True, "render_as_batch": True}
                )
                with warnings.catch_warnings():
                    # SQLite's reflection skips expression indexes (the directory's lower(name) sorts); Alembic
                    # then leaves them out of the comparison on both sides.
                    warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index",
                                            sa.exc.SAWarning)
                    warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based",
                                            UserWarning)
                    drift = compare_metadata(context, Base.metadata)
            db.engine.dispose()
        assert drift == []
    finally:
        if cleanup:
            cleanup()
