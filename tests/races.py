"""Many clicks at the same moment: each in its own thread, application context and session.

Used by the capacity races (rounds' approvals, requests' accepts): every thread waits at a barrier,
then runs ``action(actor, item_id)`` and commits. A refusal (:class:`NotAllowed`) must carry the
capacity message; anything else is counted as an error, never raised in the thread.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from mentoring import database
from mentoring.extensions import db
from mentoring.models import User
from mentoring.services import NotAllowed

REFUSAL = "no free mentor place"


def pooled_app(app_factory, threads: int):
    """An application whose pool has a connection for every thread (the ``app`` fixture empties tables after)."""
    return app_factory(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": threads + 5, "max_overflow": 5, "pool_timeout": 60})


def race(app, item_ids, actor_id: int, action: Callable, *, deferred: bool = False, timeout: float = 180) -> dict:
    """``{"ok", "refused", "errors"}`` after ``action(actor, item_id)`` ran for every id at once.

    ``deferred``: on SQLite, BEGIN instead of BEGIN IMMEDIATE (what removing the lock means there).
    """
    barrier = threading.Barrier(len(item_ids))
    outcome = {"ok": 0, "refused": 0, "errors": []}
    guard = threading.Lock()

    def click(item_id):
        action(db.session.get(User, actor_id), item_id)
        db.session.commit()

    def worker(item_id):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                if deferred:
                    with database.read_only():
                        click(item_id)
                else:
                    click(item_id)
                with guard:
                    outcome["ok"] += 1
            except NotAllowed as refusal:
                db.session.rollback()
                with guard:
                    outcome["refused"] += 1
                    if REFUSAL not in refusal.message:
                        outcome["errors"].append(f"refused with another message: {refusal.message}")
            except Exception as error:  # noqa: BLE001 - every other failure is counted
                db.session.rollback()
                with guard:
                    outcome["errors"].append(f"{type(error).__name__}: {error}"[:200])
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(item_id,)) for item_id in item_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    if any(t.is_alive() for t in threads):
        pytest.fail("a click of the race did not finish")
    return outcome
