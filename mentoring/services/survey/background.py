"""Large survey files, checked and imported in the background (:class:`~mentoring.models.SurveyJob`).

A file of more than ``SURVEY_BACKGROUND_ROWS`` rows (counted from its lines, before any parsing) is not
checked during the request: :func:`create_job` keeps it in a job row, a background run
(:func:`mentoring.jobs.run_survey_job`) checks it and stores the preview's report; the coordinator
confirms (:func:`request_import`) and a second run imports it in one transaction. The job's status
``done`` is committed in the same transaction as the cities, so a run killed half-way leaves no city
and a job that stops reporting; after ``SURVEY_STALE_AFTER`` it is shown as interrupted.

The upload is cleared from the row as soon as the import ends (done or failed), and from any job left
unconfirmed or interrupted for longer than :data:`~mentoring.services.survey.uploads.UPLOAD_MAX_AGE`.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, update

from mentoring import jobs
from mentoring.extensions import db
from mentoring.models import SurveyJob, utcnow
from mentoring.services import NotAllowed
from mentoring.services.survey.uploads import UPLOAD_MAX_AGE


def estimated_rows(data: bytes) -> int:
    """Data rows of the file, from its line count (a quoted line break counts once more: an upper bound)."""
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    return max(0, lines - 1)


def runs_in_background(data: bytes) -> bool:
    return estimated_rows(data) > int(current_app.config.get("SURVEY_BACKGROUND_ROWS", 1000))


def create_job(user, data: bytes, filename: str, locale: str | None) -> SurveyJob:
    """A queued check of ``data`` for ``user`` (the caller queues the run after its commit)."""
    purge_uploads()
    job = SurveyJob(user_id=user.id, filename=(filename or "")[:120], locale=locale, data=data,
                    sha256=hashlib.sha256(data).hexdigest(), rows=estimated_rows(data), stage="check",
                    status="queued", progress=0.0, progress_at=utcnow(),
                    progress_message=_("Waiting for the worker…"))
    db.session.add(job)
    db.session.flush()
    return job


def request_import(job: SurveyJob) -> None:
    """Queue the import of a checked file that passed every check (the caller queues the run)."""
    if job.stage != "check" or job.status != "done" or not (job.report or {}).get("ok") or job.data is None:
        raise NotAllowed(_("This file cannot be imported: check it again."))
    job.stage = "import"
    job.status = "queued"
    job.progress = 0.0
    job.progress_at = utcnow()
    job.progress_message = _("Waiting for the worker…")
    job.started_at = job.finished_at = None


def stale_after() -> timedelta:
    """``SURVEY_STALE_AFTER`` (default 5 minutes)."""
    return jobs.duration_setting("SURVEY_STALE_AFTER", timedelta(minutes=5))


def is_stale(job: SurveyJob, now: datetime | None = None) -> bool:
    """A queued or running job silent for longer than ``SURVEY_STALE_AFTER`` (:func:`mentoring.jobs.is_stale`)."""
    return jobs.is_stale(job, stale_after(), now)


def display_status(job: SurveyJob, now: datetime | None = None) -> str:
    """``queued``, ``running``, ``done``, ``failed`` or ``interrupted`` (busy but stale)."""
    return "interrupted" if is_stale(job, now) else job.status


def purge_uploads(now: datetime | None = None) -> int:
    """Clear the uploads of jobs nobody will import any more (finished, unconfirmed or interrupted)."""
    cutoff = (now or utcnow()) - max(timedelta(seconds=UPLOAD_MAX_AGE), stale_after())
    table = SurveyJob.__table__
    result = db.session.execute(
        update(table)
        .where(table.c.data.is_not(None), table.c.created_at < cutoff,
               or_(table.c.status.in_(("done", "failed")), table.c.progress_at < cutoff))
        .values(data=None)
    )
    return result.rowcount or 0
