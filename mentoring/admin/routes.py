"""Views of the admin blueprint: the people who use the service, their roles and access."""
from __future__ import annotations

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from mentoring.access import admin_required
from mentoring.admin import bp
from mentoring.admin.forms import ActiveForm, RoleForm
from mentoring.errors import apply_errors, json_error, wants_json
from mentoring.extensions import db
from mentoring.models import AuditEvent, User
from mentoring.services import ServiceError, accounts, mail


@bp.get("/")
@admin_required
def index():
    """The user list: search by name or e-mail, filter by role, paginated."""
    query = request.args.get("q", "")[:200]
    role = request.args.get("role", "")
    page = db.paginate(
        accounts.search_users(query, role),
        per_page=current_app.config["USERS_PER_PAGE"], max_per_page=200, error_out=False,
    )
    if wants_json():
        return jsonify({
            "users": [_user_json(u) for u in page.items],
            "page": page.page, "pages": page.pages, "total": page.total,
        })
    return render_template("admin/users.html", page=page, query=query, role=role,
                           outbox=mail.outbox_page_enabled())


def _user_json(user: User) -> dict:
    return {
        "id": user.id, "name": user.name, "email": user.email, "role": user.role,
        "active": user.active, "confirmed": user.is_confirmed,
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }


@bp.get("/users/<int:user_id>")
@admin_required
def user(user_id: int):
    person = db.get_or_404(User, user_id)
    if wants_json():
        return jsonify(_user_json(person))
    return _render_user(person, RoleForm(role=person.role or "none"), _active_form(person))


def _active_form(person: User) -> ActiveForm:
    """The form offering the opposite of the account's current state."""
    return ActiveForm(active="0" if person.active else "1")


def _render_user(person: User, role_form: RoleForm, active_form: ActiveForm, status: int = 200):
    events = db.session.scalars(
        select(AuditEvent)
        .where(or_(
            (AuditEvent.object_type == "user") & (AuditEvent.object_id == str(person.id)),
            AuditEvent.actor_id == person.id,
        ))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(20)
    ).all()
    actors = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({e.actor_id for e in events if e.actor_id}))
    )}
    return render_template(
        "admin/user.html", person=person, role_form=role_form, active_form=active_form,
        events=events, actors=actors,
    ), status


@bp.post("/users/<int:user_id>/role")
@admin_required
def set_role(user_id: int):
    person = db.get_or_404(User, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _invalid(person, form, _active_form(person), form)
    role = None if form.role.data == "none" else form.role.data
    try:
        accounts.set_role(current_user._get_current_object(), person, role, reason=form.reason.data or None)
    except ServiceError as error:
        return _refused(person, form, _active_form(person), form, _on_field(error, "role"))
    flash(_("The role of %(name)s is saved.", name=person.name), "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/active")
@admin_required
def set_active(user_id: int):
    person = db.get_or_404(User, user_id)
    form = ActiveForm()
    role_form = RoleForm(role=person.role or "none")
    if not form.validate_on_submit():
        return _invalid(person, role_form, form, form)
    active = form.active.data == "1"
    try:
        accounts.set_active(current_user._get_current_object(), person, active, reason=form.access_reason.data or None)
    except ServiceError as error:
        return _refused(person, role_form, form, form, _on_field(error, "access_reason"))
    if active:
        flash(_("The account of %(name)s is active again.", name=person.name), "success")
    else:
        flash(_("The account of %(name)s is deactivated; every session of it ended.", name=person.name), "success")
    return redirect(url_for("admin.user", user_id=person.id))


def _on_field(error: ServiceError, field: str) -> ServiceError:
    """``error`` shown under ``field`` when it names no field of its own."""
    if not error.errors:
        error.errors = {field: [error.message]}
    return error


def _invalid(person, role_form, active_form, form):
    """The submitted form did not validate (422)."""
    if wants_json():
        return json_error(422, _("Please correct the data and try again."), form.errors)
    return _render_user(person, role_form, active_form, 422)


def _refused(person, role_form, active_form, form, error: ServiceError):
    """The service refused the change: its messages go on ``form`` (or into the JSON error shape)."""
    if wants_json():
        return json_error(error.status, error.message, error.errors)
    return _render_user(person, role_form, active_form, apply_errors(form, error))
