"""Goals of a mentorship and their dated progress."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from mentoring.extensions import db
from mentoring.models import Goal, GoalProgress, Mentorship, User, utcnow
from mentoring.models.mentorships import GOAL_CLOSING_STATUSES, GOAL_STATUSES
from mentoring.services import ServiceError
from mentoring.services.audit import record
from mentoring.services.workspace.access import clean, require_active
from mentoring.services.workspace.reads import prepared, read


def _goal_errors(mentorship: Mentorship, area_key: str, statement: str, progress: int, status: str):
    errors: dict[str, list[str]] = {}
    if area_key not in mentorship.areas:
        errors["area_key"] = [_("Choose one of the mentorship's focus areas.")]
    if not clean(statement):
        errors["statement"] = [_("Describe the goal.")]
    if not isinstance(progress, int) or not 0 <= progress <= 100:
        errors["progress"] = [_("Progress is a percentage from 0 to 100.")]
    if status not in GOAL_STATUSES:
        errors["status"] = [_("Unknown status.")]
    return errors


def add_goal(actor: User, mentorship: Mentorship, *, area_key: str, statement: str,
             target_date: date | None = None) -> Goal:
    require_active(mentorship)
    errors = _goal_errors(mentorship, area_key, statement, 0, "open")
    if errors:
        raise ServiceError(_("The goal could not be saved."), errors)
    goal = Goal(area_key=area_key, statement=clean(statement), target_date=target_date,
                progress=0, status="open")
    mentorship.goals.append(goal)
    db.session.flush()
    goal.history.append(GoalProgress(progress=0, status="open", by_id=actor.id, at=utcnow()))
    record(actor, "goal.create", goal, after={"area_key": area_key, "statement": goal.statement,
                                              "target_date": target_date.isoformat() if target_date else None})
    db.session.flush()
    return goal


def update_goal(actor: User, goal: Goal, *, progress: int, status: str,
                statement: str | None = None, target_date: date | None = None) -> Goal:
    """Change progress and status (a dated history entry when either changes)."""
    mentorship = goal.mentorship
    require_active(mentorship)
    statement = goal.statement if statement is None else statement
    if status == "achieved" and progress < 100:
        progress = 100
    errors = _goal_errors(mentorship, goal.area_key, statement, progress, status)
    if errors:
        raise ServiceError(_("The goal could not be saved."), errors)
    before = {"progress": goal.progress, "status": goal.status, "statement": goal.statement,
              "target_date": goal.target_date.isoformat() if goal.target_date else None}
    changed_progress = progress != goal.progress or status != goal.status
    goal.progress, goal.status, goal.statement = progress, status, clean(statement)
    goal.target_date = target_date
    after = {"progress": goal.progress, "status": goal.status, "statement": goal.statement,
             "target_date": goal.target_date.isoformat() if goal.target_date else None}
    if changed_progress:
        goal.history.append(GoalProgress(progress=progress, status=status, by_id=actor.id, at=utcnow()))
    if before != after:
        changed = [k for k in before if before[k] != after[k]]
        record(actor, "goal.update", goal, before={k: before[k] for k in changed},
               after={k: after[k] for k in changed})
    db.session.flush()
    return goal


def closing_goal_errors(mentorship: Mentorship, outcomes: dict[int, str], *, required: bool) -> dict:
    """Field errors (``goal-<id>``) of what the close-out says became of each open goal."""
    errors: dict[str, list[str]] = {}
    for goal in mentorship.goals:
        if goal.status != "open":
            continue
        outcome = outcomes.get(goal.id) or ""
        if outcome and outcome not in GOAL_CLOSING_STATUSES:
            errors[f"goal-{goal.id}"] = [_("Unknown status.")]
        elif not outcome and required:
            errors[f"goal-{goal.id}"] = [_("Say what became of this goal.")]
    return errors


def close_goals(actor: User, mentorship: Mentorship, outcomes: dict[int, str]) -> None:
    """Record what became of each open goal at the close (checked by :func:`closing_goal_errors`);
    an open goal without an answer (a withdrawal) is dropped. Each change is dated and audited."""
    for goal in mentorship.goals:
        if goal.status != "open":
            continue
        status = outcomes.get(goal.id) or "dropped"
        before = {"progress": goal.progress, "status": goal.status}
        goal.status = status
        if status == "achieved":
            goal.progress = 100
        goal.history.append(GoalProgress(progress=goal.progress, status=status, by_id=actor.id, at=utcnow()))
        record(actor, "goal.close", goal, before=before, after={"progress": goal.progress, "status": status})
    db.session.flush()


# --- What the workspace shows ----------------------------------------------------------------------

@prepared
def _goal_statements():
    mentorship_id = bindparam("mentorship_id")
    goals = select(*Goal.__table__.c).where(Goal.mentorship_id == mentorship_id).order_by(Goal.id)
    history = (select(*GoalProgress.__table__.c)
               .where(GoalProgress.goal_id.in_(select(Goal.id).where(Goal.mentorship_id == mentorship_id)))
               .order_by(GoalProgress.at, GoalProgress.id))
    return goals, history


def goals_with_history(mentorship_id: int) -> list[SimpleNamespace]:
    """The mentorship's goals as rows, each with its ``history`` (oldest first), in two queries."""
    goals_statement, history_statement = _goal_statements()
    goals = [SimpleNamespace(**row._asdict(), history=[]) for row in read(goals_statement, mentorship_id=mentorship_id)]
    by_id = {goal.id: goal for goal in goals}
    for row in read(history_statement, mentorship_id=mentorship_id):
        by_id[row.goal_id].history.append(row)
    return goals
