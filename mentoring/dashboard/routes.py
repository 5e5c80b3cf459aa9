"""Home page and language choice."""
from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from mentoring.access import public
from mentoring.dashboard import bp
from mentoring.extensions import db
from mentoring.urls import safe_next


@bp.get("/")
@public
def index():
    return render_template("dashboard/index.html")


@bp.post("/language")
@public
def set_language():
    """Remember the chosen language (for the account when signed in) and go back."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("dashboard.index"))
