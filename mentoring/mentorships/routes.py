"""Views of the mentorships blueprint: lists, the workspace, sessions, goals, feedback, close-out.

Views are thin: they check access (one decorator each, :mod:`mentoring.mentorships.access`), call
:mod:`mentoring.services.workspace`, and either show a refused change on its form
(:func:`mentoring.errors.apply_errors`) or let the ``ServiceError`` reach the app's handler. The
request commits once, after the view (:func:`mentoring.database.commit_response`).
"""
from __future__ import annotations

import uuid

from flask import (
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from mentoring import rules
from mentoring.access import coordinator_required, login_required, public
from mentoring.errors import apply_errors, json_error, wants_json
from mentoring.extensions import db
from mentoring.links import external_url
from mentoring.mentorships import bp
from mentoring.mentorships.access import mentorship_required
from mentoring.mentorships.forms import (
    ConfirmForm,
    CreateMentorshipForm,
    GoalForm,
    GoalProgressForm,
    LinkForm,
    SessionFeedbackForm,
    SessionForm,
    choices,
)
from mentoring.models import (
    City,
    MentoringSession,
    Mentorship,
    utcnow,
)
from mentoring.services import ServiceError
from mentoring.services import calendar as calendar_service
from mentoring.services import workspace as service
from mentoring.services.cities.directory import display_name
from mentoring.services.taxonomy import area_labels


def workspace_url(mentorship: Mentorship, anchor: str = "") -> str:
    return url_for("mentorships.show", mentorship_id=mentorship.id) + (f"#{anchor}" if anchor else "")


def done(anchor: str, message: str | None = None, target: str | None = None):
    """Say that the change was made and go back to that part of the workspace."""
    if message:
        flash(message, "success")
    return redirect(target or workspace_url(g.mentorship, anchor))


def valid_or_refuse(form, message: str) -> None:
    """A small form posted from the workspace page: refuse it whole when a field is invalid."""
    if not form.validate_on_submit():
        raise ServiceError(message, form.errors)


# --- Lists -------------------------------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    """My mentorships; coordinators see all, with filters for the programme's health."""
    state = request.args.get("state") or None
    silent = request.args.get("silent") == "1"
    overdue = request.args.get("overdue") == "1"
    if not current_user.is_coordinator:
        silent = overdue = False
    pagination = service.mentorship_page(current_user, state=state, silent=silent, overdue=overdue, now=utcnow())
    rows = pagination.items
    return render_template("mentorships/index.html", rows=rows, pagination=pagination, state=state,
                           silent=silent, overdue=overdue, states=service.state_labels())


@bp.route("/new", methods=["GET", "POST"])
@coordinator_required
def create():
    """A coordinator matches two verified cities by hand."""
    form = CreateMentorshipForm()
    cities = list(db.session.scalars(select(City).where(City.status == "verified").order_by(City.name)))
    places = rules.places_by_city(c for c in cities if c.mentor_capacity > 0)
    placeholder = [(0, _("— choose a city —"))]
    form.mentor_city_id.choices = choices(placeholder + [
        (c.id, _("%(city)s (%(country)s) · %(free)d of %(capacity)d places free", city=display_name(c),
                 country=c.country, free=places[c.id].free, capacity=places[c.id].capacity))
        for c in cities if c.id in places])
    form.mentee_city_id.choices = choices(placeholder + [(c.id, f"{display_name(c)} ({c.country})") for c in cities])
    labels = area_labels(active_only=True)
    form.areas.choices = choices(sorted(labels.items(), key=lambda item: item[1]))
    if request.method == "GET" and form.start_date.data is None:
        form.start_date.data = utcnow().date()
    if form.validate_on_submit():
        try:
            mentorship = service.create_mentorship(
                current_user, mentor_city_id=form.mentor_city_id.data, mentee_city_id=form.mentee_city_id.data,
                areas=form.areas.data, start_date=form.start_date.data, planned_end=form.planned_end.data)
        except ServiceError as error:
            status = apply_errors(form, error)
        else:
            flash(_("The mentorship was created."), "success")
            return redirect(workspace_url(mentorship))
    else:
        status = 422 if form.errors else 200
    return render_template("mentorships/new.html", form=form), status


# --- People (the workspace itself is in workspace.py) ----------------------------------------

@bp.post("/<int:mentorship_id>/mentors")
@mentorship_required
def assign_mentor(mentorship_id: int):
    mentorship = g.mentorship
    if not ConfirmForm().validate_on_submit():
        abort(400)
    side = request.form.get("side", "")
    user_id = request.form.get(f"{side}-user_id", "")
    service.assign_mentor(current_user, mentorship, side, int(user_id) if user_id.isdigit() else -1)
    return done("people", _("The person was assigned."))


@bp.post("/<int:mentorship_id>/mentors/<int:user_id>/remove")
@mentorship_required
def unassign_mentor(mentorship_id: int, user_id: int):
    service.unassign_mentor(current_user, g.mentorship, user_id)
    return done("people", _("The person is no longer assigned."))


# --- Goals -------------------------------------------------------------------------------------

@bp.post("/<int:mentorship_id>/goals")
@mentorship_required
def add_goal(mentorship_id: int):
    mentorship = g.mentorship
    form = GoalForm()
    form.area_key.choices = choices((k, k) for k in mentorship.areas)
    valid_or_refuse(form, _("The goal could not be saved."))
    service.add_goal(current_user, mentorship, area_key=form.area_key.data,
                     statement=form.statement.data, target_date=form.target_date.data)
    return done("goals", _("The goal was added."))


@bp.post("/<int:mentorship_id>/goals/<int:goal_id>")
@mentorship_required
def update_goal(mentorship_id: int, goal_id: int):
    goal = g.goal
    form = GoalProgressForm(prefix=f"goal{goal.id}")
    valid_or_refuse(form, _("The goal could not be saved."))
    service.update_goal(current_user, goal, progress=form.progress.data, status=form.status.data,
                        target_date=form.target_date.data)
    return done(f"goal-{goal.id}", _("The goal was updated."))


# --- Sessions ----------------------------------------------------------------------------------

def _session_form(mentorship: Mentorship, obj: MentoringSession | None = None) -> SessionForm:
    form = SessionForm()
    form.timezone.choices = choices(service.zone_choices(mentorship))
    labels = area_labels()
    form.areas.choices = choices((k, labels.get(k, k)) for k in mentorship.areas)
    if request.method == "GET":
        if obj is not None:
            zone = service.zone_or_utc(obj.timezone)
            form.starts_at.data = obj.starts_at.astimezone(zone).replace(tzinfo=None)
            form.timezone.data = obj.timezone
            for name in ("duration_minutes", "format", "travel", "attendees", "notes", "outcomes", "next_steps"):
                getattr(form, name).data = getattr(obj, name)
            form.areas.data = list(obj.areas or [])
            form.version.data = str(obj.version)
        else:
            zone, _city = service.viewer_zone(current_user, mentorship)
            form.timezone.data = zone.key
            form.areas.data = list(mentorship.areas)
            form.idempotency_key.data = uuid.uuid4().hex
    return form


def _session_data(form: SessionForm) -> service.SessionData:
    return service.SessionData(
        local_start=form.starts_at.data, timezone=form.timezone.data,
        duration_minutes=form.duration_minutes.data, format=form.format.data,
        travel=form.travel.data or "", areas=tuple(form.areas.data or ()),
        attendees=form.attendees.data or "", notes=form.notes.data or "",
        outcomes=form.outcomes.data or "", next_steps=form.next_steps.data or "",
        meeting_url=form.meeting_url.data or "", place=form.place.data or "", place_city=form.place_city.data or "",
    )


@bp.route("/<int:mentorship_id>/sessions/new", methods=["GET", "POST"])
@mentorship_required
def new_session(mentorship_id: int):
    """Plan a future session (``?kind=plan``) or log one that was held (``?kind=log``)."""
    mentorship = g.mentorship
    held = request.args.get("kind", "plan") == "log"
    if mentorship.state != "active":
        flash(_("This mentorship is closed; it can no longer be changed."), "error")
        return redirect(workspace_url(mentorship))
    form = _session_form(mentorship)
    if form.validate_on_submit():
        try:
            session, created = service.record_session(current_user, mentorship, _session_data(form),
                                                      held=held, idempotency_key=form.idempotency_key.data)
        except ServiceError as error:
            apply_errors(form, error)
        else:
            if wants_json():
                return jsonify({"id": session.id, "created": created}), 201 if created else 200
            if created:
                flash(_("The session was logged.") if held else _("The session was planned."), "success")
            else:
                flash(_("This session was already saved; nothing was added."), "info")
            return redirect(workspace_url(mentorship, f"session-{session.id}"))
    if form.errors and wants_json():
        return json_error(422, _("The session could not be saved."), form.errors)
    _zone, own_city = service.viewer_zone(current_user, mentorship)
    return render_template("mentorships/session_form.html", form=form, mentorship=mentorship, held=held,
                           session=None, own_city=own_city), 422 if form.errors else 200


@bp.route("/<int:mentorship_id>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@mentorship_required
def edit_session(mentorship_id: int, session_id: int):
    """Edit a session; ``?log=1`` records a planned session as held."""
    mentorship, session = g.mentorship, g.session_obj
    held = session.held or request.args.get("log") == "1"
    if mentorship.state != "active":
        flash(_("This mentorship is closed; it can no longer be changed."), "error")
        return redirect(workspace_url(mentorship))
    form = _session_form(mentorship, session)
    if form.validate_on_submit():
        try:
            service.update_session(current_user, session, _session_data(form), held=held,
                                   version=form.version.data or None)
        except ServiceError as error:
            status = apply_errors(form, error)
        else:
            flash(_("The session was saved."), "success")
            return redirect(workspace_url(mentorship, f"session-{session.id}"))
    else:
        status = 422 if form.errors else 200
    _zone, own_city = service.viewer_zone(current_user, mentorship)
    return render_template("mentorships/session_form.html", form=form, mentorship=mentorship, held=held,
                           session=session, own_city=own_city), status


@bp.post("/<int:mentorship_id>/sessions/<int:session_id>/cancel")
@mentorship_required
def cancel_session(mentorship_id: int, session_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    service.cancel_session(current_user, g.session_obj)
    return done("sessions", _("The planned session was cancelled."))


@bp.get("/<int:mentorship_id>/sessions/<int:session_id>.ics")
@mentorship_required
def session_ics(mentorship_id: int, session_id: int):
    session = g.session_obj
    if not calendar_service.can_export(session):
        raise ServiceError(_("This session's date is outside what calendars can hold; correct the date first."))
    body = calendar_service.calendar_for([session], _session_link)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="mentoring-session-{session.id}.ics"'})


def _session_link(session: MentoringSession) -> str:
    return external_url("mentorships.show", mentorship_id=session.mentorship_id) + f"#session-{session.id}"


@bp.post("/<int:mentorship_id>/sessions/<int:session_id>/feedback")
@mentorship_required
def session_feedback(mentorship_id: int, session_id: int):
    form = SessionFeedbackForm()
    target = workspace_url(g.mentorship, f"session-{session_id}")
    return save_feedback(form, target, session=g.session_obj)


# --- Links -------------------------------------------------------------------------------------

@bp.post("/<int:mentorship_id>/links")
@mentorship_required
def add_link(mentorship_id: int):
    mentorship = g.mentorship
    form = LinkForm()
    valid_or_refuse(form, _("The link could not be saved."))
    service.add_link(current_user, mentorship, title=form.title.data, url=form.url.data)
    return done("links")


@bp.post("/<int:mentorship_id>/links/<int:link_id>/remove")
@mentorship_required
def remove_link(mentorship_id: int, link_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    service.remove_link(current_user, g.link)
    return done("links")


def save_feedback(form, target: str, **details):
    """Record a fit check (after a session) or the closing feedback, then go back to ``target``."""
    mentorship = g.mentorship
    valid_or_refuse(form, _("The feedback could not be saved."))
    service.give_feedback(current_user, mentorship, fit=form.fit.data, comment=form.comment.data or "",
                          coordinators_only=form.coordinators_only.data,
                          link=external_url("mentorships.show", mentorship_id=mentorship.id), **details)
    return done("", _("Thank you for your feedback."), target)


# --- Calendar ----------------------------------------------------------------------------------

@bp.get("/calendar")
@login_required
def calendar():
    """The personal subscription feed: create, renew (revokes the old address) or revoke it."""
    return render_template("mentorships/calendar.html", form=ConfirmForm(), feed_url=None,
                           has_feed=current_user.calendar_token is not None)


@bp.post("/calendar/token")
@login_required
def calendar_token():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    token = calendar_service.new_feed_token(current_user)
    feed_url = external_url("mentorships.calendar_feed", token=token)
    return render_template("mentorships/calendar.html", form=ConfirmForm(), feed_url=feed_url, has_feed=True)


@bp.post("/calendar/revoke")
@login_required
def calendar_revoke():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    calendar_service.revoke_feed_token(current_user)
    flash(_("The calendar address was revoked."), "success")
    return redirect(url_for("mentorships.calendar"))


@bp.get("/calendar/<token>.ics")
@public
def calendar_feed(token: str):
    """The subscription feed: the secret token is the only credential (calendar apps send no cookie)."""
    user = calendar_service.user_for_token(token)
    if user is None:
        abort(404)
    body = calendar_service.calendar_for(calendar_service.feed_sessions(user), _session_link,
                                         name=_("Mentoring sessions"))
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "no-store"})
