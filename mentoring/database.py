"""Database set-up: the Flask-SQLAlchemy binding and SQLite's safety settings.

SQLite runs with WAL (readers never block the writer), foreign keys on, a busy timeout, and
``BEGIN IMMEDIATE`` for transactions that may write, so two writers queue up instead of one failing
with "database is locked" half-way through (SECURITY.md). Read-only requests (GET, HEAD, OPTIONS)
begin deferred transactions so they do not queue behind writers.
"""
from __future__ import annotations

import logging
import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from mentoring.extensions import db

_write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)
SQLITE_BUSY_TIMEOUT_MS = 30_000


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own handling is broken).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


#: The escape character of :func:`contains_pattern`'s LIKE patterns (``like(pattern, escape=LIKE_ESCAPE)``).
LIKE_ESCAPE = "/"


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching every value that contains ``text`` as written: its wildcards (``%``, ``_``)
    and :data:`LIKE_ESCAPE` escaped. For a bound value (``contains(…, autoescape=True)`` escapes only
    literals) or several columns sharing one pattern."""
    return "%" + "".join(LIKE_ESCAPE + c if c in ("%", "_", LIKE_ESCAPE) else c for c in text) + "%"


def write_intent() -> bool:
    """Whether the current transaction began (or will begin) as a write (``BEGIN IMMEDIATE``)."""
    return _write_intent.get()


@contextmanager
def read_only():
    """Begin deferred transactions inside this block (only meaningful on SQLite)."""
    token = _write_intent.set(False)
    try:
        yield
    finally:
        _write_intent.reset(token)


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        # Copies: the defaults are module constants shared by every app built in this process.
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        options["connect_args"] = connect_args
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)

    @app.before_request
    def _declare_write_intent():
        request.environ["mentoring.write_token"] = _write_intent.set(
            request.method not in ("GET", "HEAD", "OPTIONS")
        )

    @app.teardown_request
    def _reset_write_intent(exc):
        # Flask-SQLAlchemy removes the session after this, rolling back anything not committed.
        token = request.environ.pop("mentoring.write_token", None)
        if token is not None:
            _write_intent.reset(token)


_AFTER_COMMIT = "mentoring.after_commit"


def after_commit(function, *args) -> None:
    """Run ``function(*args)`` once this request's changes are committed (never if they roll back).

    For work another process or a later transaction must find committed: queueing a job whose
    worker reads the rows this request wrote, or delivering what the request queued. It runs after
    :func:`commit_response` committed, in a new transaction that is committed after it (rolled back
    and logged if it fails: what the request committed stays, the answer stays the same).
    """
    db.session().info.setdefault(_AFTER_COMMIT, []).append((function, args))


@event.listens_for(Session, "after_rollback")
def _forget_after_commit(session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


def commit_response(response):
    """The one commit point of a request (ARCHITECTURE.md, "A request's life").

    Views and services never commit: services flush, views return. A successful answer
    (status below 400) commits what the request changed; any other answer rolls it back, so an
    error never leaves half of a change behind. A commit that the database refuses (a unique
    key taken by a concurrent request) becomes a 409 answer, never a 500. Registered by
    :mod:`mentoring.errors` after every other ``after_request`` function, so it runs first.
    """
    from flask import make_response
    from sqlalchemy.exc import IntegrityError

    from mentoring import errors
    from mentoring.services import ServiceError

    if response.status_code >= 400:
        db.session.rollback()
        return response
    session = db.session()
    # The page is rendered and nothing reads the request's objects after this commit unless work
    # waits for it: expiring every loaded object (hundreds on a list page) would be work for nothing.
    expire = session.expire_on_commit
    session.expire_on_commit = expire and bool(session.info.get(_AFTER_COMMIT))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return errors.error_response(409)
    except ServiceError as error:  # a value its column cannot hold (models.base), found at commit
        db.session.rollback()
        return make_response(errors.handle_service_error(error))
    finally:
        session.expire_on_commit = expire
    pending = db.session().info.pop(_AFTER_COMMIT, [])
    if pending:
        try:
            for function, args in pending:
                function(*args)
            db.session.commit()
        except Exception:
            db.session.rollback()
            logging.getLogger("mentoring.database").exception("work after the commit failed")
    return response


def render_migration_item(type_, obj, autogen_context):
    """Write our column types into migrations as plain SQLAlchemy types.

    Migrations then never import application code, which may change after they are written.
    """
    from mentoring.models.base import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
