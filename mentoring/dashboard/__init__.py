"""The dashboard blueprint."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from mentoring.dashboard import routes  # noqa: F401  (registers the views)
