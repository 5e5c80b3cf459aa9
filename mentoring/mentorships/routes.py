"""Views of the mentorships blueprint."""
from __future__ import annotations

from flask import render_template

from mentoring.access import login_required
from mentoring.mentorships import bp


@bp.get("/")
@login_required
def index():
    return render_template("mentorships/index.html")
