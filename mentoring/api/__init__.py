"""The api blueprint."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from mentoring.api import routes  # noqa: E402,F401  (registers the views)
