"""Views of the auth blueprint: accounts, sign in and out, passwords, notifications.

Rate limits (Flask-Limiter, shared through Redis when configured): sign-in per account (the
normalised e-mail address, whatever the client address) and per client address; mails a visitor
can trigger per target address and per client address.
"""
from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import select

from mentoring.access import login_required, public
from mentoring.auth import bp
from mentoring.auth.forms import (
    AccountForm,
    ActionForm,
    ChangePasswordForm,
    EmailForm,
    LoginForm,
    NewPasswordForm,
    RegisterForm,
)
from mentoring.errors import apply_errors, wants_json
from mentoring.extensions import db, limiter
from mentoring.models import Notification
from mentoring.security import end_session, start_session
from mentoring.services import ServiceError, accounts
from mentoring.urls import safe_next


def _email_key() -> str:
    """Rate-limit key of the account a request is about: the normalised address it names."""
    return "account:" + accounts.normalize_email(request.form.get("email", ""))[:254]


def _user_key() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def _me():
    """The signed-in user as a model object (services record it by type in the audit trail)."""
    return current_user._get_current_object()


def _limit(setting: str):
    return lambda: current_app.config[setting]


# --- Sign in and out ----------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("LOGIN_LIMIT_PER_ACCOUNT"), key_func=_email_key, methods=["POST"])
@limiter.limit(_limit("LOGIN_LIMIT_PER_ADDRESS"), key_func=get_remote_address, methods=["POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            start_session(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("dashboard.index"))
        # One message whatever was wrong (unknown address, wrong password, deactivated).
        form.password.errors.append(_("The e-mail address or the password is not correct."))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    end_session()
    flash(_("You are signed out."), "info")
    return redirect(url_for("dashboard.index"))


@bp.post("/logout-everywhere")
@login_required
def logout_everywhere():
    if not ActionForm().validate_on_submit():
        abort(400)
    accounts.logout_everywhere(_me())
    end_session()
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("auth.login"))


# --- Registration and confirmation --------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_limit("REGISTER_LIMIT_PER_ADDRESS"), key_func=get_remote_address, methods=["POST"])
@limiter.limit(_limit("MAIL_LIMIT_PER_ACCOUNT"), key_func=_email_key, methods=["POST"])
@public
def register():
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    form = RegisterForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.register(form.email.data, form.name.data, form.password.data, locale=form.locale.data)
        except ServiceError as error:
            status = apply_errors(form, error)
        else:
            return redirect(url_for("auth.check_mail"))
    elif form.is_submitted():
        status = 422
    else:
        form.locale.data = str(_current_locale())
    return render_template("auth/register.html", form=form), status


def _current_locale():
    from flask_babel import get_locale

    return get_locale() or "en"


@bp.get("/check-mail")
@public
def check_mail():
    return render_template("auth/check_mail.html")


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_email(token: str):
    # GET only shows a button: opening the link (or a mail scanner fetching it) changes nothing.
    user = accounts.user_for_confirmation(token)
    form = ActionForm()
    if user is not None and form.validate_on_submit():
        accounts.confirm_email(token)
        flash(_("Thank you: your e-mail address is confirmed."), "success")
        return redirect(url_for("dashboard.index") if current_user.is_authenticated else url_for("auth.login"))
    return render_template("auth/confirm.html", user=user, form=form), (200 if user else 400)


@bp.post("/confirm/resend")
@limiter.limit(_limit("MAIL_LIMIT_PER_ACCOUNT"), key_func=_user_key)
@login_required
def resend_confirmation():
    if not ActionForm().validate_on_submit():
        abort(400)
    if current_user.is_confirmed:
        flash(_("Your e-mail address is already confirmed."), "info")
    else:
        accounts.send_confirmation(_me())
        flash(_("We sent a new confirmation link to %(email)s.", email=current_user.email), "info")
    return redirect(safe_next(request.form.get("next")) or url_for("auth.account"))


# --- Forgotten password -------------------------------------------------------------------------


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_limit("MAIL_LIMIT_PER_ACCOUNT"), key_func=_email_key, methods=["POST"])
@limiter.limit(_limit("MAIL_LIMIT_PER_ADDRESS"), key_func=get_remote_address, methods=["POST"])
@public
def forgot_password():
    form = EmailForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        return redirect(url_for("auth.check_mail"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("LOGIN_LIMIT_PER_ADDRESS"), key_func=get_remote_address, methods=["POST"])
@public
def reset_password(token: str):
    user = accounts.user_for_reset(token)
    if user is None:
        return render_template("auth/reset_password.html", form=None), 400
    form = NewPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data)
        except ServiceError as error:
            status = apply_errors(form, error)
        else:
            end_session()
            flash(_("Your new password is saved. Please sign in with it."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, user=user), status


# --- The account page ---------------------------------------------------------------------------


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = AccountForm(obj=current_user if request.method == "GET" else None)
    if request.method == "GET":
        form.locale.data = current_user.locale or str(_current_locale())
    status = 200
    if form.validate_on_submit():
        try:
            accounts.update_profile(_me(), name=form.name.data, locale=form.locale.data)
        except ServiceError as error:
            status = apply_errors(form, error)
        else:
            flash(_("Your account is saved."), "success")
            return redirect(url_for("auth.account"))
    if wants_json():
        return jsonify(accounts.personal_data(_me()))
    return render_template("auth/account.html", form=form, action=ActionForm()), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.change_password(_me(), form.current_password.data, form.password.data)
        except ServiceError as error:
            status = apply_errors(form, error)
        else:
            # The token rotated: every other session ended; this browser gets a fresh one.
            me = _me()
            end_session()
            start_session(me)
            flash(_("Your password is changed. Other devices were signed out."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form), status


@bp.get("/account/data")
@login_required
def personal_data():
    data = accounts.personal_data(_me())
    if wants_json() or request.args.get("format") == "json":
        response = jsonify(data)
        if request.args.get("format") == "json":
            response.headers["Content-Disposition"] = 'attachment; filename="my-mentoring-data.json"'
        return response
    return render_template("auth/personal_data.html", data=data)


# --- Notifications ------------------------------------------------------------------------------


@bp.get("/notifications")
@login_required
def notifications():
    page = db.paginate(
        select(Notification).where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        per_page=30, error_out=False,
    )
    if wants_json():
        return jsonify({"notifications": [
            {"id": n.id, "message": n.message, "link": safe_next(n.link),
             "created_at": n.created_at.isoformat(), "read": n.read_at is not None}
            for n in page.items
        ]})
    return render_template("auth/notifications.html", page=page, form=ActionForm(), safe_next=safe_next)


@bp.post("/notifications/read")
@login_required
def notifications_read():
    if not ActionForm().validate_on_submit():
        abort(400)
    accounts.mark_notifications_read(_me())
    return redirect(url_for("auth.notifications"))

