"""Home page and language choice."""
from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mentoring.access import public
from mentoring.dashboard import bp
from mentoring.services import dashboard as service
from mentoring.services.geography import REGION_LABELS
from mentoring.urls import safe_next


@bp.get("/")
@public
def index():
    """The public hero for visitors; for signed-in users, what needs their attention."""
    if not current_user.is_authenticated:
        return render_template("dashboard/index.html")
    mine = service.personal(current_user)
    programme = chart = None
    if current_user.is_coordinator:
        programme = service.programme(current_user)
        chart = service.region_chart_data(
            programme.regions, REGION_LABELS,
            {"active": _("Active mentorships"), "coverage": _("Coverage of mentees wanting a mentor (%)")},
        )
    return render_template(
        "dashboard/home.html", mine=mine, programme=programme, chart=chart,
        region_labels=REGION_LABELS, limit=service.LIST_LIMIT,
    )


@bp.post("/language")
@public
def set_language():
    """Remember the chosen language (for the account when signed in) and go back."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang  # committed with the response
    return redirect(safe_next(request.form.get("next")) or url_for("dashboard.index"))
