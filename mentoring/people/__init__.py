"""The people blueprint: contacts, messages, notification preferences, circulars, endorsement links."""
from flask import Blueprint

bp = Blueprint("people", __name__, cli_group="people")

from mentoring.people import cli, routes  # noqa: E402,F401  (registers the views and commands)
