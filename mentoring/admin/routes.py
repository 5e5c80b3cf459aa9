"""Views of the admin blueprint."""
from __future__ import annotations

from mentoring.admin import bp  # noqa: F401
