"""Nudges and reminders: silent mentorships, overdue goals, ``flask mentorships remind``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from mentoring import rules
from mentoring.extensions import db
from mentoring.links import external_url
from mentoring.models import (
    Goal,
    MentoringSession,
    Mentorship,
    MentorshipMentor,
    ReminderSent,
    User,
    utcnow,
)
from mentoring.services import letters, session_notices
from mentoring.services.cities.directory import display_name
from mentoring.services.workspace.access import (
    city_of_side,
    viewer_zone,
    visible_condition,
)

SILENT_AFTER = timedelta(days=30)
REMIND_AHEAD = timedelta(hours=48)


def last_session_at(mentorship: Mentorship) -> datetime | None:
    held = [s.starts_at for s in mentorship.sessions if s.held]
    return max(held) if held else None


def last_held_column():
    """The start of the mentorship's last held session (a correlated subquery; ``None`` without one)."""
    return (select(func.max(MentoringSession.starts_at))
            .where(MentoringSession.mentorship_id == Mentorship.id, MentoringSession.held)
            .scalar_subquery())


def overdue_goal(today):
    """An open goal past its target date (``today``: a value or a bound parameter); see :func:`is_overdue`."""
    return and_(Goal.status == "open", Goal.target_date.is_not(None), Goal.target_date < today)


def _silent_condition(cutoff, cutoff_day):
    """Active since before ``cutoff_day`` and no session held since ``cutoff`` (values or bound parameters)."""
    last_held = last_held_column()
    return and_(
        Mentorship.state == "active",
        Mentorship.start_date <= cutoff_day,
        or_(last_held.is_(None), last_held < cutoff),
    )


def _overdue_condition(today):
    return Mentorship.id.in_(select(Goal.mentorship_id).where(overdue_goal(today)))


@lru_cache(maxsize=32)
def filtered_statement(coordinator: bool, by_state: bool, silent: bool, overdue: bool):
    """The mentorships a user sees, filtered, newest first: built once per kind of filter, the user, state
    and moment bound (``user_id``, ``state``, ``cutoff``, ``cutoff_day``, ``today``: :func:`filter_params`)."""
    statement = select(Mentorship)
    if not coordinator:
        statement = statement.where(visible_condition(bindparam("user_id")))
    if by_state:
        statement = statement.where(Mentorship.state == bindparam("state"))
    if silent:
        statement = statement.where(_silent_condition(bindparam("cutoff"), bindparam("cutoff_day")))
    if overdue:
        statement = statement.where(Mentorship.state == "active", _overdue_condition(bindparam("today")))
    return statement.order_by(Mentorship.state, Mentorship.start_date.desc(), Mentorship.id.desc())


def filter_params(user: User, state: str | None, now: datetime) -> dict:
    cutoff = now - SILENT_AFTER
    return {"user_id": user.id, "state": state, "cutoff": cutoff, "cutoff_day": cutoff.date(), "today": now.date()}


def filtered_mentorships(user: User, *, state: str | None = None, silent: bool = False,
                         overdue: bool = False, now: datetime | None = None):
    """``(statement, parameters)`` of the mentorships ``user`` sees (all for coordinators), filtered."""
    return filtered_statement(*filter_kind(user, state, silent, overdue)), filter_params(user, state, now or utcnow())


def filter_kind(user: User, state: str | None, silent: bool, overdue: bool) -> tuple:
    """The arguments of :func:`filtered_statement` for these filters (an unknown state filters nothing)."""
    return bool(user.is_coordinator), state in ("active", "completed", "withdrawn"), silent, overdue


def is_silent(mentorship: Mentorship, now: datetime | None = None) -> bool:
    return went_silent(mentorship, last_session_at(mentorship), now or utcnow())


def went_silent(mentorship: Mentorship, last_held: datetime | None, now: datetime) -> bool:
    """No session held in the last 30 days of an active mentorship older than that (``last_held``:
    the start of its last held session, e.g. from :func:`.timeline.session_counts`)."""
    if mentorship.state != "active" or mentorship.start_date > (now - SILENT_AFTER).date():
        return False
    return last_held is None or last_held < now - SILENT_AFTER


def overdue_goals(mentorship: Mentorship, today: date | None = None) -> list[Goal]:
    today = today or utcnow().date()
    return [g for g in mentorship.goals if is_overdue(g, today)]


def is_overdue(goal, today: date) -> bool:
    """An open goal past its target date (a model or a row of :func:`.goals.goals_with_history`)."""
    return goal.status == "open" and bool(goal.target_date) and goal.target_date < today


def recipients(mentorship: Mentorship) -> list[User]:
    """The assigned people of both sides; when a side has none, its representatives."""
    people: dict[int, User] = {}
    for side in ("mentor", "mentee"):
        assigned = [m.user for m in mentorship.mentors if m.side == side and m.user.active]
        if not assigned:
            assigned = rules.representatives([city_of_side(mentorship, side).id])
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


def send_reminders(now: datetime | None = None, *, done=None) -> RemindReport:
    """Remind of sessions in the next 48 hours and of silent mentorships; never twice per event.

    Each reminded event (a claim and its e-mails) is one unit of work: ``done`` is called after
    each (the CLI commits there), so a failure later in the run does not send them again.
    """
    now = now or utcnow()
    done = done or db.session.flush
    report = RemindReport()
    upcoming = db.session.scalars(
        select(MentoringSession).join(Mentorship).where(
            Mentorship.state == "active", MentoringSession.held.is_(False),
            MentoringSession.starts_at > now, MentoringSession.starts_at <= now + REMIND_AHEAD,
            MentoringSession.cancelled_at.is_(None),
        ).options(selectinload(MentoringSession.mentorship)).order_by(MentoringSession.starts_at)
    ).all()
    for session in upcoming:
        key = f"session:{session.id}:48h:{session.starts_at.strftime('%Y%m%dT%H%M')}"
        if not _claim(key):
            continue
        mentorship = session.mentorship
        report.sessions += 1
        link = external_url("mentorships.show", mentorship_id=mentorship.id) + f"#session-{session.id}"
        where = session_notices.where_text(session)
        for user in recipients(mentorship):
            zone, city = viewer_zone(user, mentorship)
            when = session.starts_at.astimezone(zone)

            def compose(when=when, city=city, session=session, where=where, mentorship=mentorship, link=link):
                paragraphs = [_("A session is planned on %(when)s (%(zone)s, the time in %(city)s), "
                                "for %(minutes)d minutes.", when=when.strftime("%Y-%m-%d %H:%M"),
                                zone=when.strftime("%Z"), city=display_name(city), minutes=session.duration_minutes)]
                if where:
                    paragraphs.append(_("Where: %(where)s", where=where))
                return letters.Letter(
                    subject=_("Mentoring session soon: %(mentor)s and %(mentee)s",
                              mentor=display_name(mentorship.mentor_city), mentee=display_name(mentorship.mentee_city)),
                    paragraphs=paragraphs, link=link, link_label=_("Open the workspace"))

            letters.send(user, "reminders", compose)
            report.messages += 1
        done()
    silent = db.session.scalars(
        select(Mentorship).where(_silent_condition(now - SILENT_AFTER, (now - SILENT_AFTER).date())).options(
            selectinload(Mentorship.sessions), selectinload(Mentorship.mentor_city),
            selectinload(Mentorship.mentee_city),
            selectinload(Mentorship.mentors).selectinload(MentorshipMentor.user))
        .order_by(Mentorship.id)
    ).all()
    for mentorship in silent:
        last = last_session_at(mentorship)
        marker = last.date().isoformat() if last else f"start-{mentorship.start_date.isoformat()}"
        if not _claim(f"silent:{mentorship.id}:{marker}"):
            continue
        report.silent += 1
        link = external_url("mentorships.show", mentorship_id=mentorship.id)
        names = {"mentor": display_name(mentorship.mentor_city), "mentee": display_name(mentorship.mentee_city)}

        def quiet(names=names, link=link):
            return letters.Letter(
                subject=_("Your mentorship has been quiet for a month"),
                paragraphs=[_("No session of the mentorship between %(mentor)s and %(mentee)s was logged in "
                              "the last 30 days. Plan the next one in the workspace.", **names)],
                link=link, link_label=_("Open the workspace"))

        for user in recipients(mentorship):
            letters.send(user, "reminders", quiet)
            report.messages += 1
        done()
    return report
