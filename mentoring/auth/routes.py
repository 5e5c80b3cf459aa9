"""Views of the auth blueprint."""
from __future__ import annotations

from mentoring.auth import bp  # noqa: F401
