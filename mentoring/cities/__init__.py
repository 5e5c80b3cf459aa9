"""The cities blueprint."""
from flask import Blueprint

bp = Blueprint("cities", __name__)

from mentoring.cities import routes  # noqa: E402,F401  (registers the views)
from mentoring.cities import survey  # noqa: E402,F401  (survey import/export views)
