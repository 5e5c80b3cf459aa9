"""Views of a mentorship's end: the close-out (with the re-assessment and each side's feedback) and the
Peer-Learning Note."""
from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from mentoring.access import login_required
from mentoring.errors import apply_errors
from mentoring.extensions import db
from mentoring.markdown import render_markdown
from mentoring.mentorships import bp
from mentoring.mentorships.access import mentorship_required, note_reader_required
from mentoring.mentorships.forms import (
    CloseFeedbackForm,
    CloseForm,
    ConfirmForm,
    NoteForm,
)
from mentoring.mentorships.routes import done, save_feedback, workspace_url
from mentoring.models import (
    City,
    Feedback,
    LearningNote,
    Mentorship,
)
from mentoring.services import ServiceError
from mentoring.services import workspace as service
from mentoring.services.taxonomy import area_labels, level_name
from mentoring.urls import attachment

# --- Close-out ---------------------------------------------------------------------------------

@bp.route("/<int:mentorship_id>/close", methods=["GET", "POST"])
@mentorship_required
def close(mentorship_id: int):
    """Complete or withdraw the mentorship, and give each city's final feedback."""
    mentorship = g.mentorship
    form = CloseForm()
    feedback_form = CloseFeedbackForm(prefix="final")
    if request.method == "GET":
        form.version.data = str(mentorship.version)
    open_goals = [goal for goal in mentorship.goals if goal.status == "open"]
    goal_errors: dict = {}
    if mentorship.state == "active" and form.submit.data and form.validate_on_submit():
        try:
            service.close(current_user, mentorship, state=form.state.data, reason=form.reason.data or "",
                          outcome=form.outcome.data or "", version=form.version.data or None,
                          goals={goal.id: request.form.get(f"goal-{goal.id}", "") for goal in open_goals})
        except ServiceError as error:
            goal_errors = {k: v for k, v in error.errors.items() if k.startswith("goal-")}
            # Each goal's message goes under its goal; the others under their fields.
            apply_errors(form, ServiceError(error.message, {
                k: v for k, v in error.errors.items() if k not in goal_errors}))
            status = error.status
        else:
            flash(_("The mentorship is closed."), "success")
            return redirect(url_for("mentorships.close", mentorship_id=mentorship.id))
    else:
        status = 422 if form.errors else 200
    side = service.side_of(current_user, mentorship)
    given = db.session.scalar(select(Feedback).where(
        Feedback.mentorship_id == mentorship.id, Feedback.at_close, Feedback.author_id == current_user.id))
    return render_template("mentorships/close.html", mentorship=mentorship, form=form,
                           feedback_form=feedback_form, side=side, given=given, open_goals=open_goals,
                           goal_errors=goal_errors, closing_statuses=service.goal_status_labels(),
                           states=service.state_labels(), maturity=service.maturity_before_after(mentorship),
                           labels=area_labels(), can_reassess=service.can_reassess(current_user, mentorship),
                           confirm=ConfirmForm(), level_names=[level_name(i) for i in range(5)],
                           will_cancel=service.upcoming_planned(mentorship) if mentorship.state == "active" else [],
                           zone=service.viewer_zone(current_user, mentorship)[0]), status


@bp.post("/<int:mentorship_id>/close/feedback")
@mentorship_required
def close_feedback(mentorship_id: int):
    form = CloseFeedbackForm(prefix="final")
    target = url_for("mentorships.close", mentorship_id=g.mentorship.id)
    return save_feedback(form, target, at_close=True, rating=form.rating.data)


@bp.post("/<int:mentorship_id>/reassess")
@mentorship_required
def reassess(mentorship_id: int):
    mentorship = g.mentorship
    if not ConfirmForm().validate_on_submit():
        abort(400)
    levels = {}
    for key in mentorship.areas:  # "— no change —" (an empty value) is recorded as no change
        raw = request.form.get(f"level-{key}")
        if raw is not None:
            levels[key] = None if raw == "" else int(raw) if raw.isdigit() else -1
    service.reassess(current_user, mentorship, levels)
    return done("", _("The new maturity levels were saved."),
                 url_for("mentorships.close", mentorship_id=mentorship.id))


# --- Peer-Learning Note ------------------------------------------------------------------------

@bp.route("/<int:mentorship_id>/note", methods=["GET", "POST"])
@mentorship_required
def note(mentorship_id: int):
    """Edit the Peer-Learning Note (pre-filled from the workspace), then publish it."""
    mentorship = g.mentorship
    if mentorship.state != "completed":
        flash(_("A Peer-Learning Note is written for a completed mentorship."), "info")
        return redirect(workspace_url(mentorship))
    labels = area_labels()
    note_obj = service.note_or_draft(mentorship, lambda key: labels.get(key, key))
    form = NoteForm(obj=note_obj)
    if form.validate_on_submit():
        try:
            service.save_note(current_user, mentorship, note_obj, form.markdown.data,
                              publish=bool(form.publish.data))
        except ServiceError as error:
            apply_errors(form, error)
        else:
            flash(_("The note was published.") if form.publish.data else _("The draft was saved."), "success")
            return redirect(url_for("mentorships.note", mentorship_id=mentorship.id))
    return render_template("mentorships/note.html", mentorship=mentorship, form=form, note=note_obj,
                           preview=render_markdown(form.markdown.data or "")), 422 if form.errors else 200


@bp.get("/<int:mentorship_id>/note/print")
@note_reader_required
def note_print(mentorship_id: int):
    return render_template("mentorships/note_print.html", mentorship=g.mentorship, note=g.note,
                           html=render_markdown(g.note.markdown))


@bp.get("/<int:mentorship_id>/note.md")
@note_reader_required
def note_markdown(mentorship_id: int):
    mentorship = g.mentorship
    stem = f"peer-learning-note-{mentorship.mentor_city.name}-{mentorship.mentee_city.name}"
    return Response(g.note.markdown, mimetype="text/markdown",
                    headers={"Content-Disposition": attachment(stem, "md")})


@bp.get("/notes")
@login_required
def notes():
    """Published Peer-Learning Notes, for every signed-in user of the programme."""
    items = list(db.session.execute(
        select(LearningNote, Mentorship).join(Mentorship, Mentorship.id == LearningNote.mentorship_id)
        .where(LearningNote.published_at.is_not(None)).order_by(LearningNote.published_at.desc())
    ).all())
    cities = {c.id: c for c in db.session.scalars(select(City).where(
        City.id.in_({m.mentor_city_id for _n, m in items} | {m.mentee_city_id for _n, m in items})))}
    return render_template("mentorships/notes.html", items=items, cities=cities)
