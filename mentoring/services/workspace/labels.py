"""Labels of the workspace's fixed choices, in the reader's language.

Each list is translated once per language and process (the workspace asks for them on every page,
its lists of sessions and goals for each row); callers get their own copy.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask_babel import get_locale
from flask_babel import gettext as _


def _per_language(build: Callable[[], dict]) -> Callable[[], dict]:
    built: dict[str, dict] = {}

    @wraps(build)
    def labels() -> dict:
        language = str(get_locale())
        if language not in built:
            built[language] = build()
        return dict(built[language])

    return labels


@_per_language
def session_format_labels() -> dict[str, str]:
    return {
        "video": _("Video call"),
        "call": _("Phone call"),
        "study_visit": _("Study visit"),
        "workshop": _("Workshop"),
        "email": _("E-mail exchange"),
    }


@_per_language
def goal_status_labels() -> dict[str, str]:
    return {"open": _("Open"), "achieved": _("Achieved"), "partly": _("Partly achieved"),
            "not_achieved": _("Not achieved"), "dropped": _("Dropped")}


@_per_language
def rating_labels() -> dict[int, str]:
    """The closing feedback's 1–5 scale, each point named."""
    return {1: _("Poor"), 2: _("Fair"), 3: _("Good"), 4: _("Very good"), 5: _("Excellent")}


@_per_language
def fit_labels() -> dict[str, str]:
    return {"good": _("Good fit"), "unsure": _("Not sure"), "poor": _("Poor fit")}


@_per_language
def state_labels() -> dict[str, str]:
    return {"active": _("Active"), "completed": _("Completed"), "withdrawn": _("Withdrawn")}


@_per_language
def view_labels() -> dict[str, str]:
    """The filters of the workspace's sessions (:data:`.timeline.SESSION_VIEWS`)."""
    return {"": _("Coming up and latest"), "upcoming": _("Planned, to come"), "held": _("Held"),
            "to_log": _("Past, not logged yet"), "cancelled": _("Cancelled"), "all": _("All sessions")}
