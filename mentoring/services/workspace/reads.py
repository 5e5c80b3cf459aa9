"""Reading what the workspace page shows: statements built once, run on the request's connection.

The workspace asks a dozen small questions on every page (a page of sessions, the goals, the
feedback shown, the links). Building each ORM query and loading its objects cost more than running
it: the page's reads are Core statements built once per process with bound parameters
(:func:`prepared`), run by :func:`read` in the request's transaction, and give rows (``row.name``).
Anything that is changed goes through the services' model objects, never through these rows.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import cache

from sqlalchemy.engine import Result

from mentoring.extensions import db


def prepared(build: Callable[[], object]) -> Callable[[], object]:
    """Build the statement on first use only (mappers are configured by then), then reuse it."""
    return cache(build)


def read(statement, **params) -> Result:
    """Run a prepared statement in the request's transaction, after writing what the session holds."""
    db.session.flush()
    return db.session.connection().execute(statement, params)
