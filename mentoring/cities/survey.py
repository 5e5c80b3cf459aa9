"""Survey import and export views (coordinators): upload → preview → confirm → result; CSV export.

The uploaded file is kept on the server between the preview and the confirmation (see
:func:`mentoring.services.survey.store_upload`), its token and SHA-256 in the signed session: the
confirmation imports exactly the content that was previewed, re-validated against the database of
that moment, in one transaction.

Exports are for coordinators only: the directory's pages show cities' profiles one at a time, while a
bulk file of every city's self-assessment and contacts is the kind of extraction a programme
secretariat should control.
"""
from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from mentoring import jobs
from mentoring.access import coordinator_required
from mentoring.cities import bp
from mentoring.cities.survey_forms import SurveyConfirmForm, SurveyUploadForm
from mentoring.extensions import db
from mentoring.models import SurveyJob
from mentoring.services import survey
from mentoring.services.cities import MAX_MENTOR_CAPACITY
from mentoring.services.taxonomy import active_areas

PENDING_KEY = "survey_upload"
RESULT_KEY = "survey_result"
MULTIPART_OVERHEAD = 64 * 1024
EXPORT_FILTERS = ("region", "country", "subdivision", "commission", "status")


@bp.route("/import", methods=["GET", "POST"])
@coordinator_required
def survey_upload():
    limit = current_app.config["CSV_IMPORT_MAX_BYTES"]
    if request.content_length and request.content_length > limit + MULTIPART_OVERHEAD:
        abort(413)
    form = SurveyUploadForm()
    problems = []
    status = 200
    if form.validate_on_submit():
        data = form.file.data.read(limit + 1)
        if len(data) > limit:
            abort(413)
        filename = (form.file.data.filename or "")[:120]
        if survey.runs_in_background(data):  # checked by a background run: never a worker timeout
            job = survey.create_job(current_user, data, filename, str(get_locale() or "") or None)
            jobs.enqueue_survey_after_commit(job.id)
            return redirect(url_for("cities.survey_job", job_id=job.id), code=303)
        preview = survey.preview_import(data, max_bytes=limit)
        if preview.rows:
            token, sha256 = survey.store_upload(data)
            session[PENDING_KEY] = {
                "token": token, "sha256": sha256, "user": current_user.id,
                "filename": filename,
            }
            return redirect(url_for("cities.survey_preview", token=token))
        problems = preview.errors
        status = 422
    elif form.is_submitted():
        status = 422
    return render_template("cities/survey_upload.html", form=form, problems=problems, limit=limit,
                           columns=_column_help()), status


@bp.get("/import/<token>")
@coordinator_required
def survey_preview(token: str):
    pending = _pending(token)
    data = survey.load_upload(token, pending["sha256"])
    if data is None:
        return _expired()
    report = survey.preview_report(survey.preview_import(data))
    return render_template("cities/survey_preview.html", report=report, form=SurveyConfirmForm(),
                           confirm_url=url_for("cities.survey_confirm", token=token),
                           filename=pending.get("filename"))


@bp.post("/import/<token>/confirm")
@coordinator_required
def survey_confirm(token: str):
    pending = _pending(token)
    form = SurveyConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    data = survey.load_upload(token, pending["sha256"])
    if data is None:
        return _expired()
    try:
        summary = survey.import_csv(data, current_user)
    except survey.SurveyError:
        flash(_("Nothing was imported: the file no longer passes the checks (the directory may have changed "
                "since the preview). See the problems below."), "error")
        return redirect(url_for("cities.survey_preview", token=token))
    survey.discard_upload(token)
    session.pop(PENDING_KEY, None)
    session[RESULT_KEY] = {"token": token, "filename": pending.get("filename"), **summary.as_dict()}
    return redirect(url_for("cities.survey_result", token=token))


@bp.get("/import/<token>/done")
@coordinator_required
def survey_result(token: str):
    result = session.get(RESULT_KEY)
    if not result or result.get("token") != token:
        abort(404)
    return render_template("cities/survey_result.html", result=result)


@bp.get("/import/job/<int:job_id>")
@coordinator_required
def survey_job(job_id: int):
    """A background job's page: its progress, then the check's preview, the import's result or its failure."""
    job = _job(job_id)
    status = survey.display_status(job)
    if status == "done" and job.stage == "check":
        return render_template("cities/survey_preview.html", report=job.report, form=SurveyConfirmForm(),
                               confirm_url=url_for("cities.survey_job_confirm", job_id=job.id),
                               filename=job.filename)
    if status == "done":
        return render_template("cities/survey_result.html", result={"filename": job.filename, **job.summary})
    return render_template("cities/survey_job.html", job=job, status=status,
                           stale_minutes=max(1, int(survey.background.stale_after().total_seconds() // 60)))


@bp.get("/import/job/<int:job_id>/status")
@coordinator_required
def survey_job_status(job_id: int):
    """The job's progress for the progress page's script (``static/js/job-progress.js``)."""
    job = _job(job_id)
    return jsonify({"status": survey.display_status(job), "stage": job.stage, "progress": job.progress,
                    "message": job.progress_message})


@bp.post("/import/job/<int:job_id>/confirm")
@coordinator_required
def survey_job_confirm(job_id: int):
    job = _job(job_id)
    if not SurveyConfirmForm().validate_on_submit():
        abort(400)
    survey.request_import(job)
    jobs.enqueue_survey_after_commit(job.id)
    return redirect(url_for("cities.survey_job", job_id=job.id), code=303)


def _job(job_id: int):
    """This user's survey job; anyone else's is not found."""
    job = db.session.get(SurveyJob, job_id)
    if job is None or job.user_id != current_user.id:
        abort(404)
    return job


@bp.get("/import/template.csv")
@coordinator_required
def survey_template():
    return _csv_response("\ufeff" + survey.template_csv(), "city-survey-template.csv")


@bp.get("/export.csv")
@coordinator_required
def export_csv():
    filters = {name: (request.args.get(name) or "").strip()[:60] or None for name in EXPORT_FILTERS}
    text = survey.export_csv(bom=True, **filters)  # BOM: spreadsheets then read the file as UTF-8
    return _csv_response(text, survey.export_filename(**filters))


def _csv_response(text: str, filename: str) -> Response:
    response = Response(text.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _pending(token: str) -> dict:
    """The upload this user's session is previewing; anything else is not found."""
    pending = session.get(PENDING_KEY)
    if not pending or pending.get("token") != token or pending.get("user") != current_user.id:
        abort(404)
    return pending


def _expired():
    session.pop(PENDING_KEY, None)
    flash(_("The uploaded file has expired or was already imported. Please upload it again."), "warning")
    return redirect(url_for("cities.survey_upload"))


def _column_help() -> list[tuple[str, str]]:
    """(column, what it holds) for the reference table of the upload page."""
    help_ = [
        ("name", _("The city's name (required).")),
        ("country", _("ISO 3166-1 alpha-2 code, e.g. FR, BR, KE (required).")),
        ("region", _("UCLG region key; empty: derived from the country.")),
        ("population", _("Whole number of inhabitants.")),
        ("latitude", _("Decimal degrees, −90 to 90.")),
        ("longitude", _("Decimal degrees, −180 to 180.")),
        ("languages", _("ISO 639-1 codes separated by “;”, e.g. fr;en.")),
        ("commissions", _("Commission keys separated by “;”.")),
        ("capacity", _("How many mentees the city can mentor at once (0–%(n)d).", n=MAX_MENTOR_CAPACITY)),
        ("practices", _("Good practices the city can share (text).")),
        ("needs", _("What the city wants to learn (text).")),
    ]
    areas = active_areas()
    if areas:
        help_.append((
            "<area>_maturity, <area>_need, <area>_can_mentor",
            _("For each capability area: maturity 0–4, need 0–3, can mentor 0/1 (1 only at maturity 3–4)."),
        ))
    return help_
