"""Close-out: complete or withdraw, the mentee city's re-assessment, maturity before and after."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import Assessment, CapabilityArea, Mentorship, User, utcnow
from mentoring.services import NotAllowed, ServiceError
from mentoring.services.audit import record
from mentoring.services.workspace.access import clean, side_of
from mentoring.services.workspace.goals import close_goals, closing_goal_errors
from mentoring.services.workspace.sessions import mark_cancelled


def close(actor: User, mentorship: Mentorship, *, state: str, reason: str = "", outcome: str = "",
          version: int | None = None, goals: dict[int, str] | None = None) -> Mentorship:
    """``active → completed`` (with an outcome) or ``active → withdrawn`` (with a reason).

    ``goals`` says what became of each goal still open (achieved, partly, not achieved, dropped):
    required for a completion; a withdrawal drops the goals it says nothing about.
    """
    if state not in ("completed", "withdrawn"):
        raise NotAllowed(_("A mentorship can only be completed or withdrawn."))
    if mentorship.state != "active":
        raise NotAllowed(_("This mentorship is already closed."))
    rules.check_version(mentorship, version)
    reason, outcome, goals = clean(reason), clean(outcome), goals or {}
    errors = closing_goal_errors(mentorship, goals, required=state == "completed")
    if state == "withdrawn" and not reason:
        errors["reason"] = [_("Say why the mentorship is withdrawn.")]
    if errors:
        message = errors["reason"][0] if "reason" in errors else _("Say what became of each open goal.")
        raise ServiceError(message, errors)
    close_goals(actor, mentorship, goals)
    before = {"state": mentorship.state}
    # Planned sessions that will not take place are cancelled, not deleted: both cities receive a
    # cancellation for their calendars (future ones) and the feeds mark them CANCELLED.
    now = utcnow()
    for session in [s for s in mentorship.sessions if not s.held and s.cancelled_at is None]:
        mark_cancelled(actor, session, reason=_("The mentorship was closed."), notify=session.starts_at > now)
    mentorship.state = state
    mentorship.closed_at = utcnow()
    if state == "withdrawn":
        mentorship.withdraw_reason = reason.strip()
    mentorship.outcome = outcome.strip() or None
    db.session.flush()
    record(actor, f"mentorship.{'complete' if state == 'completed' else 'withdraw'}", mentorship,
           before=before, after={"state": state, "outcome": mentorship.outcome},
           reason=reason.strip() or None)
    return mentorship


def can_reassess(user: User, mentorship: Mentorship) -> bool:
    return user.is_coordinator or side_of(user, mentorship) == "mentee"


def reassess(actor: User, mentorship: Mentorship, levels: dict[str, int | None]) -> list[Assessment]:
    """The mentee city re-assesses its maturity in the focus areas after close-out.

    New current :class:`Assessment` rows are dated at the close (history kept: the earlier ones
    stay, no longer current), so the workspace can show the levels before and after. A level of
    ``None`` means "no change": the current level is recorded again, so the area reads as
    re-assessed with no change (+0), not as "not re-assessed yet".
    """
    if mentorship.state != "completed":
        raise NotAllowed(_("Re-assessment follows a completed mentorship."))
    if not can_reassess(actor, mentorship):
        raise NotAllowed(_("The mentee city re-assesses its own maturity."))
    errors = {}
    for key, level in levels.items():
        if key not in mentorship.areas:
            errors[key] = [_("Not a focus area of this mentorship.")]
        elif level is not None and (not isinstance(level, int) or not 0 <= level <= 4):
            errors[key] = [_("Choose a level from 0 to 4.")]
    if errors or not levels:
        raise ServiceError(_("The re-assessment could not be saved."), errors)
    areas = {a.key: a for a in db.session.scalars(
        select(CapabilityArea).where(CapabilityArea.key.in_(list(levels))))}
    created = []
    when = max(utcnow(), mentorship.closed_at or utcnow())
    for key, level in levels.items():
        area = areas[key]
        current = db.session.scalar(select(Assessment).where(
            Assessment.city_id == mentorship.mentee_city_id, Assessment.area_id == area.id,
            Assessment.is_current))
        unchanged = level is None
        if unchanged:  # no change: the level stands, re-assessed at the close (once)
            if current is None or (mentorship.closed_at and current.assessed_at >= mentorship.closed_at):
                continue
            level = current.maturity
        need = 0
        if current is not None:
            need = current.need
            current.is_current = False
            db.session.flush()  # the partial unique index allows one current row per area
        assessment = Assessment(
            city_id=mentorship.mentee_city_id, area_id=area.id, maturity=level, need=need,
            can_mentor=bool(current.can_mentor and level >= 3) if current else False,
            evidence=(_("Re-assessed at the close of mentorship #%(id)d: no change.", id=mentorship.id) if unchanged
                      else _("Re-assessed at the close of mentorship #%(id)d.", id=mentorship.id)),
            is_current=True, assessed_at=when, assessed_by_id=actor.id,
        )
        db.session.add(assessment)
        db.session.flush()
        record(actor, "assessment.reassess", assessment,
               before={"maturity": current.maturity if current else None},
               after={"maturity": level, "area": key, "mentorship_id": mentorship.id})
        created.append(assessment)
    return created


def maturity_before_after(mentorship: Mentorship) -> list[dict]:
    """For each focus area: the level before the close and the re-assessed level (or None)."""
    areas = {a.key: a for a in db.session.scalars(
        select(CapabilityArea).where(CapabilityArea.key.in_(list(mentorship.areas))))}
    rows = []
    history = list(db.session.scalars(
        select(Assessment).where(Assessment.city_id == mentorship.mentee_city_id,
                                 Assessment.area_id.in_([a.id for a in areas.values()]))
        .order_by(Assessment.assessed_at, Assessment.id)))
    for key in mentorship.areas:
        area = areas.get(key)
        if area is None:
            continue
        before, after = rules.levels_before_after([a for a in history if a.area_id == area.id],
                                                  mentorship.closed_at)
        rows.append({"area": area, "before": before, "after": after})
    return rows
