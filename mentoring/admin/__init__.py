"""The admin blueprint."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from mentoring.admin import outbox, routes  # noqa: E402,F401  (registers the views)
