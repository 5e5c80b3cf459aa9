"""The cities blueprint."""
from flask import Blueprint

bp = Blueprint("cities", __name__)

from mentoring.cities import routes, survey  # noqa: E402,F401  (registers the views)
