"""Views of the rounds blueprint."""
from __future__ import annotations

from flask import render_template

from mentoring.access import coordinator_required
from mentoring.rounds import bp


@bp.get("/")
@coordinator_required
def index():
    return render_template("rounds/index.html")
