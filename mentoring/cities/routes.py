"""Views of the cities blueprint."""
from __future__ import annotations

from mentoring.cities import bp  # noqa: F401
