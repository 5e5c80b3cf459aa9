"""The rounds blueprint."""
from flask import Blueprint

bp = Blueprint("rounds", __name__)

from mentoring.rounds import routes  # noqa: E402, F401  (registers the views, after bp exists)
