"""Background work: running a matching round outside the request.

With ``REDIS_URL`` configured, rounds are queued on Redis with RQ (queue ``mentoring``; start a
worker with ``rq worker mentoring --url $REDIS_URL`` next to the application, with the same
``MENTORING_*`` environment). Without Redis, a single local worker thread in the web process
runs them (good for the embedded SQLite set-up; a restart loses a queued run, which can then be
retried from the round page).

:func:`run_round` is the job itself. It manages its own transactions, because progress must be
visible to other requests while the engine works:

1. mark the round ``running`` and read the cities' profiles (committed);
2. run the engine outside any transaction, writing progress in small separate transactions;
3. store the proposals and metrics, ``done`` (committed) — or ``failed`` with the error.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import update

from mentoring.extensions import db
from mentoring.models.base import utcnow

log = logging.getLogger("mentoring.jobs")
QUEUE_NAME = "mentoring"
JOB_TIMEOUT = 3600
_local_executor: ThreadPoolExecutor | None = None


# --- Jobs that stop reporting ------------------------------------------------------------------

def duration_setting(name: str, default: timedelta) -> timedelta:
    """A setting read as a timedelta (a number in the setting means seconds)."""
    value = current_app.config.get(name, default)
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


def last_sign_of_life(job) -> datetime | None:
    """When a job (a round's run, a survey check or import) last reported progress, started or was queued."""
    return job.progress_at or job.started_at or job.created_at


def is_stale(job, after: timedelta, now: datetime | None = None) -> bool:
    """A queued or running job silent for longer than ``after``: its process most likely died (server
    killed, worker lost), so it is shown as failed or interrupted. ``now``: tests pass a frozen clock."""
    last = last_sign_of_life(job)
    return job.is_busy and last is not None and (now or utcnow()) - last > after


def run_round(round_id: int, actor_id: int | None = None) -> str:
    """Run round ``round_id`` now (in the current application context); returns the final status."""
    from mentoring.models import MatchRound, User, utcnow
    from mentoring.services import matchmaking

    actor = db.session.get(User, actor_id) if actor_id else None
    round_ = db.session.get(MatchRound, round_id)
    if round_ is None:
        return "missing"
    try:
        started = utcnow()
        round_.status = "running"
        round_.started_at = started
        round_.progress_at = started
        round_.progress = 0.0
        round_.progress_message = "reading profiles"
        round_.error = None
        db.session.flush()
        records = matchmaking.participants(round_)
        params = matchmaking.engine_params(round_)
        db.session.commit()
    except Exception as error:  # noqa: BLE001 - any failure is recorded on the round
        db.session.rollback()
        return _fail(round_id, error)

    reporter = ProgressWriter(round_id, started)
    try:
        result = matchmaking.solve(records, params, progress=reporter)  # no database access
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        return _fail(round_id, error, started)

    try:
        round_ = db.session.get(MatchRound, round_id, populate_existing=True)
        if not _still_ours(round_, started):
            # Declared stale and started again meanwhile: the newer run owns the round.
            db.session.rollback()
            return "superseded"
        matchmaking.store_result(actor, round_, result)
        db.session.commit()
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        return _fail(round_id, error, started)
    return "done"


def _still_ours(round_, started) -> bool:
    """True while the round is still the run begun at ``started`` (not re-run after going stale)."""
    return round_ is not None and round_.status == "running" and round_.started_at == started


def _fail(round_id: int, error: Exception, started=None) -> str:
    from mentoring.models import MatchRound
    from mentoring.services import ServiceError, matchmaking

    if isinstance(error, ServiceError):
        message = error.message
    else:
        log.exception("round %s failed", round_id, exc_info=error)
        message = f"{type(error).__name__}: {error}"
    round_ = db.session.get(MatchRound, round_id, populate_existing=True)
    if started is not None and not _still_ours(round_, started):
        return "superseded"
    if round_ is not None:
        matchmaking.mark_failed(round_, message)
        db.session.commit()
    return "failed"


class ProgressWriter:
    """A progress callback: a small committed UPDATE of the run's row, at most every 0.3 s.

    ``table`` is the row's table (``match_round`` by default; ``survey_job`` has the same columns).
    While ``paused`` nothing is written (SQLite while the run holds the write lock).
    """

    def __init__(self, round_id: int, started=None, table=None):
        self.round_id = round_id
        self.started = started
        self.last = 0.0
        self.table = table
        self.paused = False

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if self.paused or (now - self.last < 0.3 and fraction < 1.0):
            return
        self.last = now
        from mentoring.models import MatchRound, utcnow

        # A separate connection: the version column is not bumped (progress is not an edit).
        # progress_at is the run's sign of life (see matchmaking.is_stale).
        table = self.table if self.table is not None else MatchRound.__table__
        statement = update(table).where(table.c.id == self.round_id)
        if self.started is not None:
            statement = statement.where(table.c.started_at == self.started)
        with db.engine.begin() as conn:
            conn.execute(statement.values(progress=float(fraction), progress_message=str(message)[:200],
                                          progress_at=utcnow()))


# --- Queues ---------------------------------------------------------------------------------

def rq_queue(app: Flask | None = None):
    """The RQ queue on the configured Redis, or None without ``REDIS_URL``."""
    app = app or current_app
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE_NAME, connection=Redis.from_url(url))


def rq_run_round(round_id: int, actor_id: int | None = None) -> str:
    """RQ entry point: uses the current app context (tests, in-process) or builds the app."""
    from flask import has_app_context

    if has_app_context():
        return run_round(round_id, actor_id)
    from mentoring import create_app

    with create_app().app_context():
        return run_round(round_id, actor_id)


def enqueue_round(round_, actor_id: int | None = None) -> str | Future:
    """Queue a run of ``round_`` (already marked ``queued`` and committed by the caller).

    Returns the RQ job id, or the local worker's Future.
    """
    return _enqueue(round_.id, actor_id)


def _enqueue(round_id: int, actor_id: int | None) -> str | Future:
    queue = rq_queue()
    if queue is not None:
        return queue.enqueue(rq_run_round, round_id, actor_id, job_timeout=JOB_TIMEOUT).id
    app = current_app._get_current_object()
    return _executor().submit(_run_in_app, app, round_id, actor_id)


def enqueue_after_commit(round_id: int, actor_id: int | None = None) -> None:
    """Queue a run once the request has committed (:func:`mentoring.database.after_commit`).

    The worker must find the round ``queued``: enqueued before the commit it could start on the
    old state. If the transaction rolls back instead, nothing is queued.
    """
    from mentoring.database import after_commit

    after_commit(_enqueue, round_id, actor_id)


def enqueue_survey_after_commit(job_id: int) -> None:
    """Queue a run of survey job ``job_id`` once the request has committed it (as :func:`enqueue_after_commit`)."""
    from mentoring.database import after_commit

    after_commit(_enqueue_survey, job_id)


def _run_in_app(app: Flask, round_id: int, actor_id: int | None, job=None) -> str:
    with app.app_context():
        try:
            return (job or run_round)(round_id, actor_id)
        finally:
            db.session.remove()


def _enqueue_survey(job_id: int) -> str | Future:
    from mentoring.survey_jobs import rq_run_survey_job, run_survey_job

    queue = rq_queue()
    if queue is not None:
        return queue.enqueue(rq_run_survey_job, job_id, job_timeout=JOB_TIMEOUT).id
    app = current_app._get_current_object()
    return _executor().submit(_run_in_app, app, job_id, None, lambda job_id, _actor: run_survey_job(job_id))


def _executor() -> ThreadPoolExecutor:
    global _local_executor
    if _local_executor is None:
        _local_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mentoring-jobs")
    return _local_executor


# --- Circulars --------------------------------------------------------------------------------

def deliver_circular(circular_id: int) -> int:
    """Deliver a circular batch by batch, committing after each (a crash resumes where it stopped)."""
    from mentoring.services import circulars

    total = 0
    while True:
        try:
            handled = circulars.deliver_batch(circular_id)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("circular %s delivery failed", circular_id)
            raise
        total += handled
        if not handled:
            return total


def rq_deliver_circular(circular_id: int) -> int:
    """RQ entry point for :func:`deliver_circular`."""
    from flask import has_app_context

    if has_app_context():
        return deliver_circular(circular_id)
    from mentoring import create_app

    with create_app().app_context():
        return deliver_circular(circular_id)
