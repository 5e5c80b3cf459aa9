"""Labels of the workspace's fixed choices, in the reader's language."""
from __future__ import annotations

from flask_babel import gettext as _


def session_format_labels() -> dict[str, str]:
    return {
        "video": _("Video call"),
        "call": _("Phone call"),
        "study_visit": _("Study visit"),
        "workshop": _("Workshop"),
        "email": _("E-mail exchange"),
    }


def goal_status_labels() -> dict[str, str]:
    return {"open": _("Open"), "achieved": _("Achieved"), "partly": _("Partly achieved"),
            "not_achieved": _("Not achieved"), "dropped": _("Dropped")}


def rating_labels() -> dict[int, str]:
    """The closing feedback's 1–5 scale, each point named."""
    return {1: _("Poor"), 2: _("Fair"), 3: _("Good"), 4: _("Very good"), 5: _("Excellent")}


def fit_labels() -> dict[str, str]:
    return {"good": _("Good fit"), "unsure": _("Not sure"), "poor": _("Poor fit")}


def state_labels() -> dict[str, str]:
    return {"active": _("Active"), "completed": _("Completed"), "withdrawn": _("Withdrawn")}
