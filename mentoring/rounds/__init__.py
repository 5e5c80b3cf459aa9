"""The rounds blueprint."""
from flask import Blueprint

bp = Blueprint("rounds", __name__)

from mentoring.rounds import routes  # noqa: F401  (registers the views)
