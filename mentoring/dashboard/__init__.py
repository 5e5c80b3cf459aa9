"""The dashboard blueprint."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from mentoring.dashboard import routes  # noqa: E402, F401  (registers the views, after bp exists)
