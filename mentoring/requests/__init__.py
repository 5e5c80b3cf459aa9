"""The requests blueprint: a city asks another to mentor it; each city states its preferences."""
from flask import Blueprint

bp = Blueprint("requests", __name__)

from mentoring.requests import routes  # noqa: E402,F401  (registers the views)
