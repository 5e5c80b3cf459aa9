"""Who may open a workspace page: the checks behind the blueprint's access decorators.

Members of either city, assigned mentors and coordinators open the workspace; anybody else gets
404, so nothing leaks about a mentorship one does not take part in. The objects a check loads are
kept on ``g`` for the view.
"""
from __future__ import annotations

from flask import abort, g
from sqlalchemy import select

from mentoring.access import owner_required
from mentoring.extensions import db
from mentoring.models import (
    Goal,
    LearningNote,
    MentoringSession,
    Mentorship,
    SharedLink,
)
from mentoring.services import workspace
from mentoring.services.taxonomy import area_labels


def _mentorship_or_404(mentorship_id: int) -> Mentorship:
    mentorship = g.get("mentorship")
    if mentorship is None or mentorship.id != mentorship_id:
        mentorship = workspace.load_mentorship(mentorship_id)
        if mentorship is None:
            abort(404)
        g.mentorship = mentorship
    return mentorship


def _child_or_404(model, object_id: int, mentorship: Mentorship):
    obj = db.session.get(model, object_id)
    if obj is None or obj.mentorship_id != mentorship.id:
        abort(404)
    return obj


def check_mentorship(user, mentorship_id: int, session_id: int | None = None, goal_id: int | None = None,
                     link_id: int | None = None, **_ignored) -> bool:
    """Members of either city, assigned mentors and coordinators; others get 404 (nothing leaks)."""
    mentorship = _mentorship_or_404(mentorship_id)
    if not workspace.can_view(user, mentorship):
        abort(404)
    if session_id is not None:
        g.session_obj = _child_or_404(MentoringSession, session_id, mentorship)
    if goal_id is not None:
        g.goal = _child_or_404(Goal, goal_id, mentorship)
    if link_id is not None:
        g.link = _child_or_404(SharedLink, link_id, mentorship)
    return True


def check_note(user, mentorship_id: int, **_ignored) -> bool:
    """A published note is read by every signed-in user; a draft only by the workspace's people."""
    mentorship = _mentorship_or_404(mentorship_id)
    note = db.session.scalar(select(LearningNote).where(LearningNote.mentorship_id == mentorship.id))
    if note is not None and note.published_at is not None:
        g.note = note
        return True
    if not workspace.can_view(user, mentorship) or (note is None and mentorship.state != "completed"):
        abort(404)
    if note is None:
        labels = area_labels()
        note = workspace.note_or_draft(mentorship, lambda key: labels.get(key, key))
    g.note = note
    return True


mentorship_required = owner_required("mentorship", check_mentorship)
note_reader_required = owner_required("note", check_note)
