"""Background survey runs (see :mod:`mentoring.services.survey.background`): a check, then an import.

Like :func:`mentoring.jobs.run_round`, each run is its own commit point:

* ``check`` — the file is validated in a read-only transaction while progress is committed alongside
  (separate small transactions); the preview's report is stored with ``done``;
* ``import`` — :func:`~mentoring.services.survey.import_csv` validates again and writes in ONE
  transaction, which also marks the job ``done`` with its summary and clears the upload: the cities and the
  job's success are committed together or not at all. On PostgreSQL progress goes on being committed from
  another connection; SQLite holds its write lock for the whole import, so progress pauses meanwhile.

A run killed half-way (SIGKILL, a lost worker) leaves its transaction uncommitted — no city — and a job
that stops reporting: :func:`~mentoring.services.survey.background.display_status` shows it
``interrupted`` after ``SURVEY_STALE_AFTER``.
"""
from __future__ import annotations

import logging

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import update

from mentoring.database import read_only
from mentoring.extensions import db
from mentoring.jobs import ProgressWriter

log = logging.getLogger("mentoring.jobs")


def run_survey_job(job_id: int) -> str:
    """Run survey job ``job_id`` now (in the current application context); returns the final status."""
    from mentoring.models import SurveyJob, utcnow

    job = db.session.get(SurveyJob, job_id)
    if job is None or job.status != "queued":
        return "missing"
    started = utcnow()
    job.status = "running"
    job.started_at = job.progress_at = started
    job.progress = 0.0
    job.error = None
    stage, data, locale, user_id = job.stage, job.data, job.locale, job.user_id
    db.session.commit()
    writer = ProgressWriter(job_id, started, SurveyJob.__table__)
    try:
        with force_locale(locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
            if stage == "check":
                return _check(job_id, started, data, writer)
            return _import(job_id, started, data, user_id, writer)
    except Exception as error:  # noqa: BLE001 - any failure is recorded on the job
        db.session.rollback()
        from mentoring.services import ServiceError

        if not isinstance(error, ServiceError):
            log.exception("survey job %s failed", job_id, exc_info=error)
        message = error.message if isinstance(error, ServiceError) else f"{type(error).__name__}: {error}"
        return _finish(job_id, started, status="failed", error=message, data=None)


def _check(job_id: int, started, data: bytes, writer) -> str:
    from mentoring.services import survey

    writer(0.0, _("Checking the file…"))
    with read_only():  # a deferred transaction: the progress writer commits beside it
        preview = survey.preview_import(data, progress=lambda done, total: writer(
            0.99 * done / max(total, 1), _("Checked %(done)s of %(total)s lines", done=done, total=total)))
        report = survey.preview_report(preview)
    db.session.rollback()
    if not report["ok"]:  # the coordinator uploads a corrected file: this one is of no further use
        return _finish(job_id, started, status="done", report=report, data=None)
    return _finish(job_id, started, status="done", report=report)


def _import(job_id: int, started, data: bytes, user_id: int, writer) -> str:
    from mentoring.models import SurveyJob, User, utcnow
    from mentoring.services import survey

    writer(0.0, _("Checking the file again and writing the cities…"))
    writer.paused = db.engine.dialect.name == "sqlite"  # this transaction holds SQLite's write lock
    actor = db.session.get(User, user_id)

    def written(done: int, total: int) -> None:
        writer(done / max(total, 1), _("Checked and wrote %(done)s of %(total)s lines", done=done, total=total))

    try:
        summary = survey.import_csv(data, actor, progress=written)
    except survey.SurveyError as error:  # the directory changed since the check: say what, as the check did
        db.session.rollback()
        report = {"ok": False, "problems": len(error.cell_errors), "errors": [
            {"row": e.row, "column": e.column, "message": e.message} for e in error.cell_errors[:2000]]}
        return _finish(job_id, started, status="failed", error=error.message, report=report, data=None)
    # The job's success is part of the import's transaction (all or nothing, also for the page).
    job = db.session.get(SurveyJob, job_id, populate_existing=True)
    if job is None or job.started_at != started:
        db.session.rollback()
        return "superseded"
    job.status = "done"
    job.summary = summary.as_dict()
    job.data = None
    job.progress = 1.0
    job.progress_at = job.finished_at = utcnow()
    job.progress_message = None
    db.session.commit()
    return "done"


def _finish(job_id: int, started, **values) -> str:
    """Record the end of a run (``done`` of a check, or ``failed``) unless a newer run owns the job."""
    from mentoring.models import SurveyJob, utcnow

    table = SurveyJob.__table__
    now = utcnow()
    values.setdefault("progress", 1.0)
    db.session.execute(update(table).where(table.c.id == job_id, table.c.started_at == started)
                       .values(progress_at=now, finished_at=now, progress_message=None, **values))
    db.session.commit()
    return values["status"]


def rq_run_survey_job(job_id: int) -> str:
    """RQ entry point: uses the current app context (tests, in-process) or builds the app."""
    from flask import has_app_context

    if has_app_context():
        return run_survey_job(job_id)
    from mentoring import create_app

    with create_app().app_context():
        return run_survey_job(job_id)
