"""The mentorships blueprint."""
from flask import Blueprint

bp = Blueprint("mentorships", __name__)

from mentoring.mentorships import closeout, routes, workspace  # noqa: E402,F401  (registers the views)
