"""iCalendar files for mentoring sessions and the personal subscription feed.

Built with the ``icalendar`` library. Each event carries its start in the zone it was entered in
(with the matching VTIMEZONE), so calendar programs show it in their user's own local time.

The feed address holds a secret token; only its SHA-256 hash is stored (``User.calendar_token``),
so a leaked database does not leak feed addresses. Creating a new token revokes the old one.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

import icalendar
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mentoring.extensions import db
from mentoring.models import MentoringSession, Mentorship, User, utcnow
from mentoring.services import workspace
from mentoring.services.audit import record
from mentoring.services.cities.directory import display_name

PRODID = "-//UCLG city mentoring//mentoring//EN"

log = logging.getLogger("mentoring.calendar")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_feed_token(user: User) -> str:
    """Give the user a new feed token (the previous address stops working); returns it once."""
    token = secrets.token_urlsafe(32)
    had_one = user.calendar_token is not None
    user.calendar_token = hash_token(token)
    db.session.flush()
    record(user, "calendar.rotate" if had_one else "calendar.create", user)
    return token


def revoke_feed_token(user: User) -> None:
    user.calendar_token = None
    db.session.flush()
    record(user, "calendar.revoke", user)


def user_for_token(token: str) -> User | None:
    if not token or len(token) > 100:
        return None
    user = db.session.scalar(select(User).where(User.calendar_token == hash_token(token)))
    if user is None or not user.active:
        return None
    return user


def _times(session: MentoringSession):
    """Start and end in the session's zone, or None when they fall outside the calendar (year 1–9999)."""
    zone = workspace.zone_or_utc(session.timezone)
    try:
        start = session.starts_at.astimezone(zone)
        return start, start + timedelta(minutes=session.duration_minutes)
    except (OverflowError, ValueError):
        log.warning("session %s left out of a calendar: %s is outside the calendar", session.id,
                    session.starts_at.isoformat())
        return None


def event_for(session: MentoringSession, url_for_session) -> icalendar.Event | None:
    """The session as one event: a stable UID, SEQUENCE = the session's version (it grows with every
    change), URL = the meeting link (else the workspace), LOCATION = the place or the link, and
    STATUS CANCELLED once cancelled — the feeds and the e-mailed invitations share it."""
    times = _times(session)
    if times is None:
        return None
    mentorship = session.mentorship
    formats = workspace.session_format_labels()
    event = icalendar.Event()
    event.add("uid", f"session-{session.id}@mentoring")
    event.add("dtstamp", utcnow())
    event.add("dtstart", times[0])
    event.add("dtend", times[1])
    event.add("summary", _("%(format)s: %(mentor)s and %(mentee)s",
                           format=formats.get(session.format, session.format),
                           mentor=display_name(mentorship.mentor_city), mentee=display_name(mentorship.mentee_city)))
    description = []
    if session.attendees:
        description.append(_("Attendees: %(names)s", names=session.attendees))
    if session.travel:
        description.append(_("Travel: %(travel)s", travel=session.travel))
    if session.next_steps:
        description.append(_("Next steps: %(steps)s", steps=session.next_steps))
    place = ", ".join(part for part in (session.place, session.place_city) if part)
    if session.meeting_url:
        description.append(_("Meeting link: %(url)s", url=session.meeting_url))
    elif place:
        description.append(_("Place: %(place)s", place=place))
    link = url_for_session(session)
    if link:
        description.append(link)
    if session.meeting_url or link:
        event.add("url", session.meeting_url or link)
    if description:
        event.add("description", "\n".join(description))
    if place or session.meeting_url:
        event.add("location", place or session.meeting_url)
    elif session.format == "study_visit" and session.travel:
        event.add("location", session.travel)
    event.add("status", "CANCELLED" if session.cancelled_at else "CONFIRMED")
    event.add("sequence", session.version or 1)
    return event


def can_export(session: MentoringSession) -> bool:
    """Whether the session's dates fit in a calendar file (rows stored before the range check may not)."""
    return _times(session) is not None


def calendar_for(sessions: list[MentoringSession], url_for_session, name: str | None = None) -> bytes:
    """An iCalendar document (bytes) with one event per session; sessions out of range are left out."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")  # Outlook imports PUBLISH files as plain events
    if name:
        # A subscription: its name, and how often calendar programs should fetch it again.
        calendar.add("x-wr-calname", name)
        calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
    for session in sessions:
        event = event_for(session, url_for_session)
        if event is not None:
            calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def feed_sessions(user: User) -> list[MentoringSession]:
    """Every session of the mentorships the user takes part in (never other cities')."""
    ids = workspace.participant_mentorship_ids(user)
    if not ids:
        return []
    return list(db.session.scalars(
        select(MentoringSession).where(MentoringSession.mentorship_id.in_(ids))
        .options(selectinload(MentoringSession.mentorship).selectinload(Mentorship.mentor_city),
                 selectinload(MentoringSession.mentorship).selectinload(Mentorship.mentee_city))
        .order_by(MentoringSession.starts_at)
    ))
