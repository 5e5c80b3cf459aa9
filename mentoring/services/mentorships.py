"""The mentorship workspace: who may see it, mentors, goals, sessions, feedback, close-out, nudges.

Every operation takes plain arguments and the acting user, checks the business rules, records an
audit event in the same transaction and flushes; the caller (a view or a CLI command) commits once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    CapabilityArea,
    City,
    CityMember,
    Feedback,
    Goal,
    GoalProgress,
    LearningNote,
    MentoringSession,
    Mentorship,
    MentorshipMentor,
    Notification,
    ReminderSent,
    SharedLink,
    User,
    utcnow,
)
from mentoring.models.mentorships import FITS, GOAL_STATUSES, SESSION_FORMATS
from mentoring import rules
from mentoring.services import Conflict, NotAllowed, ServiceError
from mentoring.services.audit import record
from mentoring.services.mail import send_mail

SILENT_AFTER = timedelta(days=30)
REMIND_AHEAD = timedelta(hours=48)
MAX_DURATION_MINUTES = 14 * 24 * 60  # a study visit may last up to two weeks


def clean(value: str | None) -> str:
    """Text as stored: trimmed, without NUL characters (which PostgreSQL refuses in text)."""
    return (value or "").replace("\x00", "").strip()


# --- Time zones --------------------------------------------------------------------------------

def city_zone(city: City | None) -> ZoneInfo:
    """The city's IANA zone, or UTC when it has none (or an unknown one)."""
    return zone_or_utc(city.timezone if city is not None else None)


def zone_or_utc(name: str | None) -> ZoneInfo:
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")


def local_to_utc(local: datetime, zone_name: str) -> datetime:
    """Interpret a naive local date-time in ``zone_name`` and return it as aware UTC.

    Refuses a time that does not exist in that zone (skipped by a clock change); an ambiguous
    time (repeated by a clock change) is read as the first occurrence.
    """
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ServiceError(_("Unknown time zone."), {"timezone": [_("Unknown time zone.")]}) from None
    aware = local.replace(tzinfo=zone, fold=0)
    result = aware.astimezone(timezone.utc)
    if result.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        message = _("This time does not exist in that time zone (the clocks change then).")
        raise ServiceError(message, {"starts_at": [message]})
    return result


# --- Who is who --------------------------------------------------------------------------------

def load_mentorship(mentorship_id: int) -> Mentorship | None:
    return db.session.scalar(
        select(Mentorship)
        .where(Mentorship.id == mentorship_id)
        .options(
            selectinload(Mentorship.mentor_city),
            selectinload(Mentorship.mentee_city),
            selectinload(Mentorship.mentors).selectinload(MentorshipMentor.user),
            selectinload(Mentorship.goals).selectinload(Goal.history),
            selectinload(Mentorship.sessions),
        )
    )


def _member_city_ids(user: User) -> set[int]:
    return set(db.session.scalars(select(CityMember.city_id).where(CityMember.user_id == user.id)))


def side_of(user: User, mentorship: Mentorship) -> str | None:
    """``"mentor"`` or ``"mentee"`` when the user takes part for one of the two cities, else None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    for assignment in mentorship.mentors:
        if assignment.user_id == user.id:
            return assignment.side
    cities = _member_city_ids(user)
    if mentorship.mentor_city_id in cities:
        return "mentor"
    if mentorship.mentee_city_id in cities:
        return "mentee"
    return None


def is_participant(user: User, mentorship: Mentorship) -> bool:
    return side_of(user, mentorship) is not None


def can_view(user: User, mentorship: Mentorship) -> bool:
    """Members of either city, assigned mentors and coordinators see the workspace."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.is_coordinator or is_participant(user, mentorship)


def can_edit(user: User, mentorship: Mentorship) -> bool:
    """Participants and coordinators plan and record the work of a mentorship."""
    return can_view(user, mentorship)


def is_representative(user: User, city_id: int) -> bool:
    return db.session.scalar(
        select(func.count()).select_from(CityMember).where(
            CityMember.user_id == user.id,
            CityMember.city_id == city_id,
            CityMember.role == "representative",
        )
    ) > 0


def city_of_side(mentorship: Mentorship, side: str) -> City:
    return mentorship.mentor_city if side == "mentor" else mentorship.mentee_city


def viewer_zone(user: User, mentorship: Mentorship) -> tuple[ZoneInfo, City | None]:
    """The zone a viewer reads times in: their own city's; coordinators read the mentor city's."""
    side = side_of(user, mentorship) or "mentor"
    city = city_of_side(mentorship, side)
    return city_zone(city), city


def visible_mentorships_query(user: User):
    """Mentorships the user may see (all for coordinators)."""
    statement = select(Mentorship)
    if user.is_coordinator:
        return statement
    cities = select(CityMember.city_id).where(CityMember.user_id == user.id)
    assigned = select(MentorshipMentor.mentorship_id).where(MentorshipMentor.user_id == user.id)
    return statement.where(
        or_(
            Mentorship.mentor_city_id.in_(cities),
            Mentorship.mentee_city_id.in_(cities),
            Mentorship.id.in_(assigned),
        )
    )


def participant_mentorship_ids(user: User) -> list[int]:
    """Mentorships the user takes part in (coordinators included only where they take part)."""
    cities = select(CityMember.city_id).where(CityMember.user_id == user.id)
    assigned = select(MentorshipMentor.mentorship_id).where(MentorshipMentor.user_id == user.id)
    return list(
        db.session.scalars(
            select(Mentorship.id).where(
                or_(
                    Mentorship.mentor_city_id.in_(cities),
                    Mentorship.mentee_city_id.in_(cities),
                    Mentorship.id.in_(assigned),
                )
            )
        )
    )


def _require_active(mentorship: Mentorship) -> None:
    if mentorship.state != "active":
        raise NotAllowed(_("This mentorship is closed; it can no longer be changed."))


def _check_version(obj, version: int | None) -> None:
    if version is not None and obj.version != version:
        raise Conflict(_("Someone else changed this in the meantime. Reload the page and try again."))


# --- Creating a mentorship ---------------------------------------------------------------------

def create_mentorship(
    actor: User,
    *,
    mentor_city_id: int,
    mentee_city_id: int,
    areas: list[str],
    start_date: date,
    planned_end: date | None = None,
    proposal_id: int | None = None,
) -> Mentorship:
    """Create an active mentorship, respecting the mentor city's capacity under concurrency.

    The mentor city's row is locked first (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite write
    transactions already start with ``BEGIN IMMEDIATE``), so two coordinators cannot both take
    its last place.
    """
    errors: dict[str, list[str]] = {}
    if mentor_city_id == mentee_city_id:
        errors["mentee_city_id"] = [_("A city cannot mentor itself.")]
    # One capacity rule for the whole programme (services.proposals): active mentorships plus
    # approved or endorsed proposals still waiting to become one, counted under the city's lock.
    rules.lock_city(mentor_city_id)
    mentor = db.session.get(City, mentor_city_id, populate_existing=True)
    mentee = db.session.get(City, mentee_city_id)
    if mentor is None or mentor.status != "verified":
        errors["mentor_city_id"] = [_("Choose a verified city.")]
    if mentee is None or mentee.status != "verified":
        errors["mentee_city_id"] = [_("Choose a verified city.")]
    known = set(db.session.scalars(select(CapabilityArea.key).where(CapabilityArea.active)))
    areas = list(dict.fromkeys(areas))
    if not areas:
        errors["areas"] = [_("Choose at least one focus area.")]
    elif any(a not in known for a in areas):
        errors["areas"] = [_("Unknown focus area.")]
    if planned_end is not None and planned_end < start_date:
        errors["planned_end"] = [_("The planned end cannot be before the start.")]
    if errors:
        raise ServiceError(_("The mentorship could not be created."), errors)
    active = rules.places_used(mentor.id)
    if active >= mentor.mentor_capacity:
        message = _(
            "%(city)s has no free mentoring place (capacity %(capacity)d, active %(active)d).",
            city=mentor.name, capacity=mentor.mentor_capacity, active=active,
        )
        raise ServiceError(message, {"mentor_city_id": [message]})
    duplicate = db.session.scalar(
        select(func.count()).select_from(Mentorship).where(
            Mentorship.mentor_city_id == mentor.id,
            Mentorship.mentee_city_id == mentee.id,
            Mentorship.state == "active",
        )
    )
    if duplicate:
        message = _("These two cities already have an active mentorship.")
        raise ServiceError(message, {"mentee_city_id": [message]})
    mentorship = Mentorship(
        mentor_city_id=mentor.id,
        mentee_city_id=mentee.id,
        areas=areas,
        start_date=start_date,
        planned_end=planned_end,
        state="active",
        proposal_id=proposal_id,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(mentorship)
    db.session.flush()
    record(actor, "mentorship.create", mentorship, after={
        "mentor_city_id": mentor.id, "mentee_city_id": mentee.id, "areas": areas,
        "start_date": start_date.isoformat(),
        "planned_end": planned_end.isoformat() if planned_end else None,
        "proposal_id": proposal_id,
    })
    return mentorship


# --- Mentors -----------------------------------------------------------------------------------

def assignable_members(mentorship: Mentorship, side: str) -> list[User]:
    city = city_of_side(mentorship, side)
    return list(
        db.session.scalars(
            select(User)
            .join(CityMember, CityMember.user_id == User.id)
            .where(CityMember.city_id == city.id, User.active)
            .order_by(User.name)
        )
    )


def can_assign(user: User, mentorship: Mentorship, side: str) -> bool:
    return user.is_coordinator or is_representative(user, city_of_side(mentorship, side).id)


def assign_mentor(actor: User, mentorship: Mentorship, side: str, user_id: int) -> MentorshipMentor:
    """A representative (or a coordinator) assigns one of the city's members to the mentorship."""
    _require_active(mentorship)
    if side not in ("mentor", "mentee"):
        raise ServiceError(_("Unknown side."), {"side": [_("Unknown side.")]})
    if not can_assign(actor, mentorship, side):
        raise NotAllowed(_("Only a representative of the city or a coordinator can assign people."))
    city = city_of_side(mentorship, side)
    member = db.session.get(CityMember, (city.id, user_id))
    if member is None:
        message = _("Choose a member of %(city)s.", city=city.name)
        raise ServiceError(message, {"user_id": [message]})
    if any(m.user_id == user_id for m in mentorship.mentors):
        message = _("This person is already assigned.")
        raise ServiceError(message, {"user_id": [message]})
    assignment = MentorshipMentor(mentorship_id=mentorship.id, user_id=user_id, side=side)
    mentorship.mentors.append(assignment)
    db.session.flush()
    record(actor, "mentorship.assign_mentor", mentorship, after={"user_id": user_id, "side": side})
    return assignment


def unassign_mentor(actor: User, mentorship: Mentorship, user_id: int) -> None:
    _require_active(mentorship)
    assignment = next((m for m in mentorship.mentors if m.user_id == user_id), None)
    if assignment is None:
        raise ServiceError(_("This person is not assigned."))
    if not can_assign(actor, mentorship, assignment.side):
        raise NotAllowed(_("Only a representative of the city or a coordinator can assign people."))
    mentorship.mentors.remove(assignment)
    db.session.flush()
    record(actor, "mentorship.unassign_mentor", mentorship,
           before={"user_id": user_id, "side": assignment.side})


# --- Goals -------------------------------------------------------------------------------------

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
    _require_active(mentorship)
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
    _require_active(mentorship)
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
        b, a = {k: before[k] for k in before if before[k] != after[k]}, {k: after[k] for k in after if before[k] != after[k]}
        record(actor, "goal.update", goal, before=b, after=a)
    db.session.flush()
    return goal


# --- Sessions ----------------------------------------------------------------------------------

@dataclass
class SessionData:
    """What a session form carries, already parsed."""

    local_start: datetime  # naive, in ``timezone``
    timezone: str
    duration_minutes: int
    format: str
    travel: str = ""
    areas: tuple[str, ...] = ()
    attendees: str = ""
    notes: str = ""
    outcomes: str = ""
    next_steps: str = ""


def _session_values(mentorship: Mentorship, data: SessionData, *, held: bool, now: datetime) -> dict:
    errors: dict[str, list[str]] = {}
    starts_at = None
    try:
        starts_at = local_to_utc(data.local_start, data.timezone)
    except ServiceError as error:
        for field, messages in error.errors.items():
            errors.setdefault(field, []).extend(messages)
    if not isinstance(data.duration_minutes, int) or data.duration_minutes <= 0:
        errors["duration_minutes"] = [_("A session cannot end before it starts: give a positive duration.")]
    elif data.duration_minutes > MAX_DURATION_MINUTES:
        errors["duration_minutes"] = [_("A session lasts at most two weeks.")]
    if data.format not in SESSION_FORMATS:
        errors["format"] = [_("Unknown format.")]
    elif data.format == "study_visit" and not clean(data.travel):
        errors["travel"] = [_("For a study visit, say who travelled where.")]
    if any(a not in mentorship.areas for a in data.areas):
        errors["areas"] = [_("Choose among the mentorship's focus areas.")]
    if starts_at is not None:
        if held and starts_at > now:
            errors["starts_at"] = [_("A session can be logged once it has started; plan it instead.")]
        if not held and starts_at <= now:
            errors["starts_at"] = [_("A planned session starts in the future; log a past session instead.")]
    if errors:
        raise ServiceError(_("The session could not be saved."), errors)
    return {
        "starts_at": starts_at,
        "timezone": data.timezone,
        "duration_minutes": data.duration_minutes,
        "format": data.format,
        "travel": clean(data.travel) if data.format == "study_visit" else None,
        "areas": list(dict.fromkeys(data.areas)),
        "attendees": clean(data.attendees),
        "notes": clean(data.notes),
        "outcomes": clean(data.outcomes),
        "next_steps": clean(data.next_steps),
    }


def _session_snapshot(session: MentoringSession) -> dict:
    return {
        "starts_at": session.starts_at.isoformat() if session.starts_at else None,
        "timezone": session.timezone,
        "duration_minutes": session.duration_minutes,
        "format": session.format,
        "travel": session.travel,
        "areas": list(session.areas or []),
        "attendees": session.attendees,
        "notes": session.notes,
        "outcomes": session.outcomes,
        "next_steps": session.next_steps,
        "held": session.held,
    }


def find_by_idempotency_key(mentorship: Mentorship, key: str) -> MentoringSession | None:
    return db.session.scalar(
        select(MentoringSession).where(
            MentoringSession.mentorship_id == mentorship.id, MentoringSession.idempotency_key == key
        )
    )


def record_session(actor: User, mentorship: Mentorship, data: SessionData, *, held: bool,
                   idempotency_key: str, now: datetime | None = None) -> tuple[MentoringSession, bool]:
    """Plan (``held=False``) or log (``held=True``) a session; returns ``(session, created)``.

    Posting the same form twice (same ``idempotency_key``) returns the first session and creates
    nothing — also when both requests race: the unique constraint decides, the loser rolls back
    its savepoint and returns the winner's row.
    """
    _require_active(mentorship)
    key = (idempotency_key or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", key):
        raise ServiceError(_("The form expired. Please open it again."), {"idempotency_key": [_("Missing.")]})
    existing = find_by_idempotency_key(mentorship, key)
    if existing is not None:
        return existing, False
    values = _session_values(mentorship, data, held=held, now=now or utcnow())
    session = MentoringSession(mentorship_id=mentorship.id, held=held, idempotency_key=key,
                               logged_by_id=actor.id, **values)
    savepoint = db.session.begin_nested()
    try:
        db.session.add(session)
        db.session.flush()
    except IntegrityError:
        savepoint.rollback()
        existing = find_by_idempotency_key(mentorship, key)
        if existing is None:
            raise
        return existing, False
    savepoint.commit()
    record(actor, "session.log" if held else "session.plan", session, after=_session_snapshot(session))
    db.session.flush()
    return session, True


def update_session(actor: User, session: MentoringSession, data: SessionData, *, held: bool,
                   version: int | None = None, now: datetime | None = None) -> MentoringSession:
    """Edit a session (or log a planned one as held); the change is audited with before/after."""
    mentorship = session.mentorship
    _require_active(mentorship)
    _check_version(session, version)
    now = now or utcnow()
    values = _session_values(mentorship, data, held=held, now=now)
    before = _session_snapshot(session)
    for name, value in values.items():
        setattr(session, name, value)
    session.held = held
    after = _session_snapshot(session)
    keys = [k for k in after if before[k] != after[k]]
    if keys:
        action = "session.log" if held and not before["held"] else "session.update"
        record(actor, action, session, before={k: before[k] for k in keys}, after={k: after[k] for k in keys})
        db.session.flush()
    return session


def cancel_session(actor: User, session: MentoringSession) -> None:
    """Delete a planned (not yet held) session."""
    _require_active(session.mentorship)
    if session.held:
        raise NotAllowed(_("A session that was held cannot be deleted; edit it instead."))
    record(actor, "session.cancel", session, before=_session_snapshot(session))
    db.session.delete(session)
    db.session.flush()


@dataclass(frozen=True)
class Totals:
    sessions_held: int
    hours: float
    study_visits: int
    planned: int


def totals(mentorship: Mentorship) -> Totals:
    held = [s for s in mentorship.sessions if s.held]
    return Totals(
        sessions_held=len(held),
        hours=round(sum(s.duration_minutes for s in held) / 60, 1),
        study_visits=sum(1 for s in held if s.format == "study_visit"),
        planned=sum(1 for s in mentorship.sessions if not s.held),
    )


# --- Feedback ----------------------------------------------------------------------------------

def coordinators() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.role == "coordinator", User.active).order_by(User.id)
    ))


def give_feedback(actor: User, mentorship: Mentorship, *, fit: str, comment: str = "",
                  coordinators_only: bool = False, session: MentoringSession | None = None,
                  at_close: bool = False, rating: int | None = None,
                  link: str | None = None) -> Feedback:
    """A quick fit check after a held session, or the final feedback of a city at close-out.

    A poor fit reported by the mentee side alerts every coordinator (notification and e-mail).
    """
    side = side_of(actor, mentorship)
    if side is None:
        raise NotAllowed(_("Only the people of the two cities give feedback."))
    errors: dict[str, list[str]] = {}
    if fit not in FITS:
        errors["fit"] = [_("Choose how well the pairing fits.")]
    if at_close:
        if rating is None or not 1 <= rating <= 5:
            errors["rating"] = [_("Give a rating from 1 to 5.")]
        if mentorship.state == "withdrawn":
            raise NotAllowed(_("This mentorship was withdrawn."))
    else:
        _require_active(mentorship)
        rating = None
        if session is None or session.mentorship_id != mentorship.id:
            errors["session_id"] = [_("Choose a session.")]
        elif not session.held:
            errors["session_id"] = [_("Feedback is given after a session was held.")]
    if errors:
        raise ServiceError(_("The feedback could not be saved."), errors)
    city = city_of_side(mentorship, side)
    duplicate = select(func.count()).select_from(Feedback).where(
        Feedback.mentorship_id == mentorship.id, Feedback.author_id == actor.id
    )
    duplicate = duplicate.where(Feedback.at_close) if at_close else duplicate.where(
        Feedback.session_id == session.id)
    if db.session.scalar(duplicate):
        raise ServiceError(_("You already gave this feedback."))
    feedback = Feedback(
        mentorship_id=mentorship.id, session_id=session.id if session else None, city_id=city.id,
        author_id=actor.id, at_close=at_close, fit=fit, rating=rating,
        comment=clean(comment), coordinators_only=bool(coordinators_only),
    )
    db.session.add(feedback)
    db.session.flush()
    record(actor, "feedback.close" if at_close else "feedback.session", feedback,
           after={"fit": fit, "rating": rating, "city_id": city.id})
    if fit == "poor" and side == "mentee":
        _alert_poor_fit(mentorship, city, feedback, link)
    return feedback


def _alert_poor_fit(mentorship: Mentorship, city: City, feedback: Feedback, link: str | None) -> None:
    for coordinator in coordinators():
        with in_language_of(coordinator):
            message = _("%(mentee)s reports a poor fit in its mentorship with %(mentor)s.",
                        mentee=city.name, mentor=mentorship.mentor_city.name)
            db.session.add(Notification(user_id=coordinator.id, message=message, link=link))
            body = message
            if feedback.comment and not feedback.coordinators_only:
                body += "\n\n" + feedback.comment
            if link:
                body += "\n\n" + link
            send_mail(coordinator.email, _("Poor fit reported"), body)
    db.session.flush()


def in_language_of(user: User):
    """Write messages for ``user`` in their language (also outside a request, e.g. from cron)."""
    languages = current_app.config["LANGUAGES"]
    return force_locale(user.locale if user.locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"])


def visible_feedback(user: User, mentorship: Mentorship) -> list[Feedback]:
    """Feedback of the mentorship; comments marked for coordinators are blanked for others."""
    items = list(db.session.scalars(
        select(Feedback).where(Feedback.mentorship_id == mentorship.id).order_by(Feedback.created_at)
    ))
    for item in items:
        item.comment_hidden = (item.coordinators_only and not user.is_coordinator
                               and item.author_id != user.id)
    return items


# --- Shared links ------------------------------------------------------------------------------

def add_link(actor: User, mentorship: Mentorship, *, title: str, url: str) -> SharedLink:
    errors: dict[str, list[str]] = {}
    title, url = clean(title), clean(url)
    if not title:
        errors["title"] = [_("Give the link a title.")]
    if not url.lower().startswith(("https://", "http://")) or any(c.isspace() for c in url):
        errors["url"] = [_("Give a web address starting with https:// or http://.")]
    if errors:
        raise ServiceError(_("The link could not be saved."), errors)
    link = SharedLink(mentorship_id=mentorship.id, title=title[:200], url=url[:500],
                      added_by_id=actor.id)
    db.session.add(link)
    db.session.flush()
    record(actor, "link.add", link, after={"title": link.title, "url": link.url})
    return link


def remove_link(actor: User, link: SharedLink) -> None:
    record(actor, "link.remove", link, before={"title": link.title, "url": link.url})
    db.session.delete(link)
    db.session.flush()


# --- Close-out ---------------------------------------------------------------------------------

def close(actor: User, mentorship: Mentorship, *, state: str, reason: str = "", outcome: str = "",
          version: int | None = None) -> Mentorship:
    """``active → completed`` (with an outcome) or ``active → withdrawn`` (with a reason)."""
    if state not in ("completed", "withdrawn"):
        raise NotAllowed(_("A mentorship can only be completed or withdrawn."))
    if mentorship.state != "active":
        raise NotAllowed(_("This mentorship is already closed."))
    _check_version(mentorship, version)
    reason, outcome = clean(reason), clean(outcome)
    if state == "withdrawn" and not reason:
        raise ServiceError(_("Say why the mentorship is withdrawn."),
                           {"reason": [_("Say why the mentorship is withdrawn.")]})
    before = {"state": mentorship.state}
    for session in [s for s in mentorship.sessions if not s.held]:
        # Planned sessions that will not take place leave the timeline and the calendars.
        record(actor, "session.cancel", session, before=_session_snapshot(session),
               reason=_("The mentorship was closed."))
        mentorship.sessions.remove(session)
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


def reassess(actor: User, mentorship: Mentorship, levels: dict[str, int]) -> list[Assessment]:
    """The mentee city re-assesses its maturity in the focus areas after close-out.

    New current :class:`Assessment` rows are dated at the close (history kept: the earlier ones
    stay, no longer current), so the workspace can show the levels before and after.
    """
    if mentorship.state != "completed":
        raise NotAllowed(_("Re-assessment follows a completed mentorship."))
    if not can_reassess(actor, mentorship):
        raise NotAllowed(_("The mentee city re-assesses its own maturity."))
    errors = {}
    for key, level in levels.items():
        if key not in mentorship.areas:
            errors[key] = [_("Not a focus area of this mentorship.")]
        elif not isinstance(level, int) or not 0 <= level <= 4:
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
        need = 0
        if current is not None:
            need = current.need
            current.is_current = False
            db.session.flush()  # the partial unique index allows one current row per area
        assessment = Assessment(
            city_id=mentorship.mentee_city_id, area_id=area.id, maturity=level, need=need,
            can_mentor=bool(current.can_mentor and level >= 3) if current else False,
            evidence=_("Re-assessed at the close of mentorship #%(id)d.", id=mentorship.id),
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
        own = [a for a in history if a.area_id == area.id]
        before = after = None
        if mentorship.closed_at is not None:
            earlier = [a for a in own if a.assessed_at < mentorship.closed_at]
            later = [a for a in own if a.assessed_at >= mentorship.closed_at]
            before = earlier[-1].maturity if earlier else None
            after = later[0].maturity if later else None
        else:
            before = own[-1].maturity if own else None
        rows.append({"area": area, "before": before, "after": after})
    return rows


# --- Peer-Learning Note ------------------------------------------------------------------------

def draft_note(mentorship: Mentorship, area_label) -> str:
    """A Markdown draft from the goals, the sessions and their outcomes."""
    t = totals(mentorship)
    lines = [
        "# " + _("Peer-Learning Note: %(mentor)s and %(mentee)s",
                 mentor=mentorship.mentor_city.name, mentee=mentorship.mentee_city.name),
        "",
        "- " + _("Period: %(start)s to %(end)s", start=mentorship.start_date.isoformat(),
                 end=(mentorship.closed_at.date() if mentorship.closed_at else mentorship.planned_end
                      or mentorship.start_date).isoformat()),
        "- " + ngettext("%(num)d session held", "%(num)d sessions held", t.sessions_held),
        "- " + _("Hours together: %(hours)s", hours=f"{t.hours:g}"),
        "- " + ngettext("%(num)d study visit", "%(num)d study visits", t.study_visits),
        "",
        "## " + _("Focus areas"),
        "",
    ]
    lines += [f"- {area_label(key)}" for key in mentorship.areas]
    lines += ["", "## " + _("Goals"), ""]
    status_names = goal_status_labels()
    for goal in mentorship.goals:
        lines.append(f"- **{area_label(goal.area_key)}**: {goal.statement} "
                     f"({status_names.get(goal.status, goal.status)}, {goal.progress} %)")
    if not mentorship.goals:
        lines.append("- " + _("No goals were recorded."))
    lines += ["", "## " + _("What we did and learned"), ""]
    held = [s for s in mentorship.sessions if s.held]
    formats = session_format_labels()
    for session in held:
        lines.append(f"### {session.starts_at.date().isoformat()} · {formats.get(session.format, session.format)}")
        lines.append("")
        if session.outcomes:
            lines.append(session.outcomes)
            lines.append("")
        if session.next_steps:
            lines.append(_("Next steps: %(steps)s", steps=session.next_steps))
            lines.append("")
    if not held:
        lines += [_("No sessions were logged."), ""]
    lines += ["## " + _("Outcome"), "", mentorship.outcome or _("(Describe the outcome.)"), "",
              "## " + _("Advice for other cities"), "", _("(Write what other cities should know.)"), ""]
    return "\n".join(lines)


def note_or_draft(mentorship: Mentorship, area_label) -> LearningNote:
    """The saved note, or a fresh draft that is not saved (reading a page never writes)."""
    note = db.session.scalar(select(LearningNote).where(LearningNote.mentorship_id == mentorship.id))
    if note is None:
        note = LearningNote(mentorship_id=mentorship.id, markdown=draft_note(mentorship, area_label))
    return note


def save_note(actor: User, mentorship: Mentorship, note: LearningNote, markdown: str, *,
              publish: bool = False) -> LearningNote:
    if mentorship.state != "completed":
        raise NotAllowed(_("A Peer-Learning Note is written for a completed mentorship."))
    markdown = (markdown or "").replace("\x00", "")
    if not markdown.strip():
        raise ServiceError(_("The note is empty."), {"markdown": [_("The note is empty.")]})
    if len(markdown) > 50_000:
        raise ServiceError(_("The note is too long."), {"markdown": [_("The note is too long.")]})
    note.markdown = markdown.replace("\r\n", "\n")
    if note.id is None:
        db.session.add(note)
    if publish and note.published_at is None:
        note.published_at = utcnow()
        record(actor, "note.publish", note, after={"mentorship_id": mentorship.id})
    else:
        record(actor, "note.update", note, after={"mentorship_id": mentorship.id})
    db.session.flush()
    return note


# --- Nudges and reminders ----------------------------------------------------------------------

def last_session_at(mentorship: Mentorship) -> datetime | None:
    held = [s.starts_at for s in mentorship.sessions if s.held]
    return max(held) if held else None


def _silent_condition(now: datetime):
    cutoff = now - SILENT_AFTER
    last_held = (select(func.max(MentoringSession.starts_at))
                 .where(MentoringSession.mentorship_id == Mentorship.id, MentoringSession.held)
                 .scalar_subquery())
    return and_(
        Mentorship.state == "active",
        Mentorship.start_date <= cutoff.date(),
        or_(last_held.is_(None), last_held < cutoff),
    )


def _overdue_condition(today: date):
    return Mentorship.id.in_(select(Goal.mentorship_id).where(
        Goal.status == "open", Goal.target_date.is_not(None), Goal.target_date < today))


def filtered_mentorships(user: User, *, state: str | None = None, silent: bool = False,
                         overdue: bool = False, now: datetime | None = None):
    now = now or utcnow()
    statement = visible_mentorships_query(user)
    if state in ("active", "completed", "withdrawn"):
        statement = statement.where(Mentorship.state == state)
    if silent:
        statement = statement.where(_silent_condition(now))
    if overdue:
        statement = statement.where(Mentorship.state == "active", _overdue_condition(now.date()))
    return statement.options(
        selectinload(Mentorship.mentor_city), selectinload(Mentorship.mentee_city),
        selectinload(Mentorship.goals), selectinload(Mentorship.sessions),
    ).order_by(Mentorship.state, Mentorship.start_date.desc(), Mentorship.id.desc())


def is_silent(mentorship: Mentorship, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if mentorship.state != "active" or mentorship.start_date > (now - SILENT_AFTER).date():
        return False
    last = last_session_at(mentorship)
    return last is None or last < now - SILENT_AFTER


def overdue_goals(mentorship: Mentorship, today: date | None = None) -> list[Goal]:
    today = today or utcnow().date()
    return [g for g in mentorship.goals if g.status == "open" and g.target_date and g.target_date < today]


def recipients(mentorship: Mentorship) -> list[User]:
    """The assigned people of both sides; when a side has none, its representatives."""
    people: dict[int, User] = {}
    for side in ("mentor", "mentee"):
        assigned = [m.user for m in mentorship.mentors if m.side == side and m.user.active]
        if not assigned:
            city = city_of_side(mentorship, side)
            assigned = list(db.session.scalars(
                select(User).join(CityMember, CityMember.user_id == User.id).where(
                    CityMember.city_id == city.id, CityMember.role == "representative", User.active)))
        for user in assigned:
            people[user.id] = user
    return list(people.values())


@dataclass
class RemindReport:
    sessions: int = 0
    silent: int = 0
    messages: int = 0


def _claim(key: str) -> bool:
    """Record that the reminder ``key`` is sent; False when it was sent before."""
    if db.session.scalar(select(func.count()).select_from(ReminderSent).where(ReminderSent.key == key)):
        return False
    savepoint = db.session.begin_nested()
    try:
        db.session.add(ReminderSent(key=key))
        db.session.flush()
    except IntegrityError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def send_reminders(now: datetime | None = None, link_for=None) -> RemindReport:
    """Remind of sessions in the next 48 hours and of silent mentorships; never twice per event."""
    now = now or utcnow()
    link_for = link_for or (lambda mentorship: "")
    report = RemindReport()
    upcoming = db.session.scalars(
        select(MentoringSession).join(Mentorship).where(
            Mentorship.state == "active", MentoringSession.held.is_(False),
            MentoringSession.starts_at > now, MentoringSession.starts_at <= now + REMIND_AHEAD,
        ).options(selectinload(MentoringSession.mentorship)).order_by(MentoringSession.starts_at)
    )
    for session in upcoming:
        key = f"session:{session.id}:48h:{session.starts_at.strftime('%Y%m%dT%H%M')}"
        if not _claim(key):
            continue
        mentorship = session.mentorship
        report.sessions += 1
        for user in recipients(mentorship):
            zone, city = _zone_for(user, mentorship)
            when = session.starts_at.astimezone(zone)
            with in_language_of(user):
                    send_mail(user.email, _("Mentoring session soon: %(mentor)s and %(mentee)s",
                                        mentor=mentorship.mentor_city.name, mentee=mentorship.mentee_city.name),
                          _("A session is planned on %(when)s (%(zone)s, the time in %(city)s), "
                            "for %(minutes)d minutes.", when=when.strftime("%Y-%m-%d %H:%M"),
                            zone=when.strftime("%Z"), city=city.name, minutes=session.duration_minutes)
                          + "\n\n" + link_for(mentorship))
            report.messages += 1
    silent = db.session.scalars(
        select(Mentorship).where(_silent_condition(now)).options(
            selectinload(Mentorship.sessions), selectinload(Mentorship.mentor_city),
            selectinload(Mentorship.mentee_city),
            selectinload(Mentorship.mentors).selectinload(MentorshipMentor.user))
        .order_by(Mentorship.id)
    )
    for mentorship in silent:
        last = last_session_at(mentorship)
        marker = last.date().isoformat() if last else f"start-{mentorship.start_date.isoformat()}"
        if not _claim(f"silent:{mentorship.id}:{marker}"):
            continue
        report.silent += 1
        for user in recipients(mentorship):
            with in_language_of(user):
                send_mail(user.email, _("Your mentorship has been quiet for a month"),
                          _("No session of the mentorship between %(mentor)s and %(mentee)s was logged in "
                            "the last 30 days. Plan the next one in the workspace.",
                            mentor=mentorship.mentor_city.name, mentee=mentorship.mentee_city.name)
                          + "\n\n" + link_for(mentorship))
            report.messages += 1
    db.session.flush()
    return report


def _zone_for(user: User, mentorship: Mentorship):
    side = None
    for assignment in mentorship.mentors:
        if assignment.user_id == user.id:
            side = assignment.side
    if side is None:
        cities = _member_city_ids(user)
        side = "mentee" if mentorship.mentee_city_id in cities else "mentor"
    city = city_of_side(mentorship, side)
    return city_zone(city), city


# --- Labels ------------------------------------------------------------------------------------

def session_format_labels() -> dict[str, str]:
    return {
        "video": _("Video call"),
        "call": _("Phone call"),
        "study_visit": _("Study visit"),
        "workshop": _("Workshop"),
        "email": _("E-mail exchange"),
    }


def goal_status_labels() -> dict[str, str]:
    return {"open": _("Open"), "achieved": _("Achieved"), "dropped": _("Dropped")}


def fit_labels() -> dict[str, str]:
    return {"good": _("Good fit"), "unsure": _("Not sure"), "poor": _("Poor fit")}


def state_labels() -> dict[str, str]:
    return {"active": _("Active"), "completed": _("Completed"), "withdrawn": _("Withdrawn")}
