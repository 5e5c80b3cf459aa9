"""The people blueprint: contacts, messages, notification preferences, circulars, endorsement links."""
from flask import Blueprint

bp = Blueprint("people", __name__)

from mentoring.people import routes  # noqa: E402,F401  (registers the views)
