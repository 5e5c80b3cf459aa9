"""Results kept until the data they were computed from changes.

A result's key holds a *fingerprint* of the tables it reads: per table, its row count, its largest
key, the time its newest row was written (``created_at``, or the table's own stamp) and — for tables
with an optimistic-lock ``version`` (SQLAlchemy's ``version_id_col``, which every UPDATE increments) —
the sum of the versions. An insert raises the count or the newest stamp (also when rows were deleted
first and ids are reused), a delete lowers the count, an update raises a version sum: any write
through the application changes the fingerprint, so a cached result is never served after the write
that changes it, in any worker (each worker recomputes once). The fingerprint is one query of aggregates.

The results themselves are kept per process in a small LRU (:class:`Memo`): what is cached is
derived data (programme figures, mentor suggestions) that is cheap to hold and costly to compute.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlalchemy import func, inspect, select

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
    return (str(db.engine.url), *db.session.execute(select(*columns)).one())


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
