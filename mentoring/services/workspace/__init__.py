"""The mentorship workspace: who may see it, mentors, goals, sessions, feedback, close-out, nudges.

Every operation takes plain arguments and the acting user, checks the business rules, records an
audit event in the same transaction and flushes; the caller (a request, or a CLI command for each
unit of work) commits once. Callers read ``from mentoring.services import workspace`` and then
``workspace.record_session(...)``; the modules below group the operations by subject.
"""
from __future__ import annotations

from mentoring.services.workspace.access import (
    can_edit,
    can_view,
    city_of_side,
    clean,
    in_language_of,
    is_participant,
    load_mentorship,
    participant_mentorship_ids,
    require_active,
    side_of,
    viewer_zone,
    visible_mentorships_query,
)
from mentoring.services.workspace.closeout import (
    can_reassess,
    close,
    maturity_before_after,
    reassess,
)
from mentoring.services.workspace.create import create_mentorship
from mentoring.services.workspace.feedback import (
    FeedbackOverview,
    comment_hidden,
    feedback_overview,
    give_feedback,
)
from mentoring.services.workspace.goals import add_goal, goals_with_history, update_goal
from mentoring.services.workspace.labels import (
    fit_labels,
    goal_status_labels,
    rating_labels,
    session_format_labels,
    state_labels,
    view_labels,
)
from mentoring.services.workspace.listing import ListedMentorship, mentorship_page
from mentoring.services.workspace.mentors import (
    assign_mentor,
    assignable_by_side,
    can_assign,
    unassign_mentor,
)
from mentoring.services.workspace.notes import draft_note, note_or_draft, save_note
from mentoring.services.workspace.reminders import (
    REMIND_AHEAD,
    SILENT_AFTER,
    RemindReport,
    filtered_mentorships,
    is_overdue,
    is_silent,
    last_session_at,
    overdue_goals,
    recipients,
    send_reminders,
    went_silent,
)
from mentoring.services.workspace.sessions import (
    MAX_DURATION_MINUTES,
    SessionData,
    Totals,
    cancel_session,
    find_by_idempotency_key,
    record_session,
    session_snapshot,
    totals,
    upcoming_planned,
    update_session,
)
from mentoring.services.workspace.shared_links import add_link, links_of, remove_link
from mentoring.services.workspace.timeline import (
    PER_PAGE,
    SESSION_VIEWS,
    UPCOMING_SHOWN,
    SessionCounts,
    SessionPage,
    session_counts,
    session_page,
)
from mentoring.services.workspace.zones import (
    PLAN_AHEAD_YEARS,
    check_session_start,
    city_zone,
    local_to_utc,
    programme_start,
    session_range,
    zone_choices,
    zone_or_utc,
)

__all__ = [
    "FeedbackOverview",
    "MAX_DURATION_MINUTES",
    "PER_PAGE",
    "PLAN_AHEAD_YEARS",
    "REMIND_AHEAD",
    "RemindReport",
    "SESSION_VIEWS",
    "SILENT_AFTER",
    "SessionCounts",
    "SessionData",
    "SessionPage",
    "Totals",
    "UPCOMING_SHOWN",
    "add_goal",
    "add_link",
    "assign_mentor",
    "assignable_by_side",
    "can_assign",
    "can_edit",
    "can_reassess",
    "can_view",
    "cancel_session",
    "check_session_start",
    "city_of_side",
    "city_zone",
    "clean",
    "close",
    "comment_hidden",
    "create_mentorship",
    "draft_note",
    "feedback_overview",
    "filtered_mentorships",
    "ListedMentorship",
    "mentorship_page",
    "find_by_idempotency_key",
    "fit_labels",
    "give_feedback",
    "goals_with_history",
    "goal_status_labels",
    "in_language_of",
    "is_overdue",
    "is_participant",
    "is_silent",
    "last_session_at",
    "links_of",
    "load_mentorship",
    "local_to_utc",
    "maturity_before_after",
    "note_or_draft",
    "overdue_goals",
    "participant_mentorship_ids",
    "programme_start",
    "rating_labels",
    "reassess",
    "recipients",
    "record_session",
    "remove_link",
    "require_active",
    "save_note",
    "send_reminders",
    "session_counts",
    "session_format_labels",
    "session_page",
    "session_range",
    "session_snapshot",
    "side_of",
    "state_labels",
    "totals",
    "unassign_mentor",
    "upcoming_planned",
    "update_goal",
    "update_session",
    "view_labels",
    "viewer_zone",
    "visible_mentorships_query",
    "went_silent",
    "zone_choices",
    "zone_or_utc",
]
