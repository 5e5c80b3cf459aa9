"""Views of the auth blueprint: sign in and sign out."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from mentoring.access import login_required, public
from mentoring.auth import bp
from mentoring.auth.forms import LoginForm
from mentoring.extensions import db
from mentoring.models import utcnow
from mentoring.security import verify_password
from mentoring.services.accounts import find_user_by_email
from mentoring.urls import safe_next


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        ok = verify_password(user.password_hash if user else None, form.password.data)
        if ok and user.active:
            session.clear()
            login_user(user, remember=form.remember.data)
            user.last_login_at = utcnow()
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("dashboard.index"))
        form.password.errors.append(_("The e-mail address or the password is not correct."))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("dashboard.index"))
