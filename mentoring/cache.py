"""Results kept until the data they were computed from changes.

A result's key holds a *fingerprint* of the tables it reads: per table, its row count, its largest
key, the time its newest row was written (``created_at``, or the table's own stamp) and — for tables
with an optimistic-lock ``version`` (SQLAlchemy's ``version_id_col``, which every UPDATE increments) —
the sum of the versions. An insert raises the count or the newest stamp (also when rows were deleted
first and ids are reused), a delete lowers the count, an update raises a version sum: any write
through the application changes the fingerprint, so a cached result is never served after the write
that changes it, in any worker (each worker recomputes once). The fingerprint is one query of aggregates.

The results themselves are kept per process in a small LRU (:class:`Memo`): what is cached is
derived data (programme figures, mentor suggestions, rows of HTML kept under everything they are written
from) that is cheap to hold and costly to compute.

:func:`per_request` keeps what several parts of one page ask for (the capability areas, the unread
counts of the bell) for the rest of the request, until the request writes: a flush, or the end of
the transaction (commit, rollback, close), forgets it all.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import g, has_app_context
from flask_babel import get_locale
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session

from mentoring.extensions import db

#: The column telling when a row was written, by preference.
STAMPS = ("created_at", "assessed_at", "updated_at")


def fingerprint(*models) -> tuple:
    """``(database, (count, largest key, newest stamp, sum of versions) per model)`` in one query."""
    columns = []
    for model in models:
        key = inspect(model).primary_key[0]
        columns.append(select(func.count()).select_from(model).scalar_subquery())
        columns.append(select(func.coalesce(func.max(key), 0)).scalar_subquery())
        stamp = next((getattr(model, name) for name in STAMPS if hasattr(model, name)), None)
        if stamp is not None:
            columns.append(select(func.max(stamp)).scalar_subquery())
        if hasattr(model, "version"):
            columns.append(select(func.coalesce(func.sum(model.version), 0)).scalar_subquery())
    return (database_key(), *db.session.execute(select(*columns)).one())


def database_key() -> str:
    """Which database a kept result was computed from: every key of a result kept across requests holds
    it, so that two applications of one process (tests, benchmarks) never see each other's results."""
    return str(db.engine.url)


def html_context() -> tuple:
    """What every piece of HTML kept across requests is written in besides its own values: the database
    and the reader's language."""
    return database_key(), str(get_locale() or "en")


class Memo:
    """A thread-safe LRU of computed results, keyed by anything hashable (a fingerprint included)."""

    def __init__(self, maxsize: int = 1024):
        self.maxsize = maxsize
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], object]):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def per_request(key: Hashable, compute: Callable[[], object]):
    """``compute()``, asked once per request (app context) for ``key`` until the request writes."""
    if not has_app_context():
        return compute()
    memo = g.setdefault("_per_request", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_transaction_end")  # commit, rollback, close
def _forget_per_request(_session, *_args) -> None:
    if has_app_context():
        g.pop("_per_request", None)


#: Stands for the request's CSRF token in HTML kept across requests (a token never contains it): the token
#: differs on every request, the rest of a kept form does not.
TOKEN_SLOT = "\x00csrf-token\x00"


def with_token(kept: list, token: str) -> list:
    """Kept HTML (``Markup``) with the request's CSRF ``token`` in each :data:`TOKEN_SLOT`."""
    return [html.replace(TOKEN_SLOT, token) if TOKEN_SLOT in html else html for html in kept]
