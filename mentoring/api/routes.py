"""Views of the api blueprint."""
from __future__ import annotations

from mentoring.api import bp  # noqa: F401
