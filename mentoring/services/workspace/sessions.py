"""Sessions: planned, logged, edited, cancelled; idempotent under double submits."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import MentoringSession, Mentorship, User, utcnow
from mentoring.models.mentorships import SESSION_FORMATS
from mentoring.services import NotAllowed, ServiceError, session_notices
from mentoring.services.audit import record
from mentoring.services.workspace.access import clean, require_active
from mentoring.services.workspace.zones import check_session_start

MAX_DURATION_MINUTES = 14 * 24 * 60  # a study visit may last up to two weeks


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
    meeting_url: str = ""  # http or https only
    place: str = ""  # an address, when the session happens somewhere
    place_city: str = ""


MEETING_URL_MAX = 500


def _where_errors(data: SessionData, errors: dict) -> tuple[str | None, str | None, str | None]:
    """The meeting link (http/https only) or the place of a session, checked."""
    url, place, city = clean(data.meeting_url), clean(data.place), clean(data.place_city)
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
            errors["meeting_url"] = [_("Give a full web address starting with https:// (or http://).")]
        elif len(url) > MEETING_URL_MAX:
            errors["meeting_url"] = [_("At most %(num)d characters.", num=MEETING_URL_MAX)]
    if len(place) > 300:
        errors["place"] = [_("At most %(num)d characters.", num=300)]
    if len(city) > 120:
        errors["place_city"] = [_("At most %(num)d characters.", num=120)]
    return url or None, place or None, city or None


def _session_values(mentorship: Mentorship, data: SessionData, *, held: bool, now: datetime) -> dict:
    errors: dict[str, list[str]] = {}
    starts_at = None
    try:
        starts_at = check_session_start(data.local_start, data.timezone, held=held, now=now)
    except ServiceError as error:
        for field, messages in error.errors.items():
            errors.setdefault(field, []).extend(messages)
    if starts_at is not None and data.local_start.date() < mentorship.start_date:
        errors.setdefault("starts_at", []).append(_(
            "A session cannot be before the mentorship started (%(date)s).", date=format_date(mentorship.start_date)))
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
    if starts_at is not None and not held and starts_at <= now:
        errors["starts_at"] = [_("A planned session starts in the future; log a past session instead.")]
    meeting_url, place, place_city = _where_errors(data, errors)
    if errors:
        raise ServiceError(_("The session could not be saved."), errors)
    return {
        "meeting_url": meeting_url,
        "place": place,
        "place_city": place_city,
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


def session_snapshot(session: MentoringSession) -> dict:
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
        "meeting_url": session.meeting_url,
        "place": session.place,
        "place_city": session.place_city,
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
    require_active(mentorship)
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
    record(actor, "session.log" if held else "session.plan", session, after=session_snapshot(session))
    db.session.flush()
    if not held:
        session_notices.notify(session, "planned")
    return session, True


def update_session(actor: User, session: MentoringSession, data: SessionData, *, held: bool,
                   version: int | None = None, now: datetime | None = None) -> MentoringSession:
    """Edit a session (or log a planned one as held); the change is audited with before/after."""
    mentorship = session.mentorship
    require_active(mentorship)
    rules.check_version(session, version)
    now = now or utcnow()
    values = _session_values(mentorship, data, held=held, now=now)
    before = session_snapshot(session)
    for name, value in values.items():
        setattr(session, name, value)
    session.held = held
    after = session_snapshot(session)
    keys = [k for k in after if before[k] != after[k]]
    if keys:
        action = "session.log" if held and not before["held"] else "session.update"
        record(actor, action, session, before={k: before[k] for k in keys}, after={k: after[k] for k in keys})
        db.session.flush()
        # Calendars follow what participants will attend: a planned session's time or place moved.
        if not held and set(keys) & NOTICE_KEYS:
            session_notices.notify(session, "changed")
    return session


#: Changes to a planned session that the participants' calendars must follow.
NOTICE_KEYS = {"starts_at", "timezone", "duration_minutes", "format", "meeting_url", "place", "place_city"}


def cancel_session(actor: User, session: MentoringSession, *, reason: str | None = None) -> None:
    """Cancel a planned (not yet held) session: it is kept, marked cancelled, and both cities are told.

    Calendars receive a ``METHOD:CANCEL`` for the same event, and the feeds show it CANCELLED.
    """
    require_active(session.mentorship)
    if session.held:
        raise NotAllowed(_("A session that was held cannot be deleted; edit it instead."))
    mark_cancelled(actor, session, reason=reason)


def mark_cancelled(actor: User, session: MentoringSession, *, reason: str | None = None,
                   notify: bool = True) -> None:
    """Mark a planned session cancelled (audited) and, if it was still to come, tell both cities."""
    if session.held or session.cancelled_at is not None:
        return
    record(actor, "session.cancel", session, before=session_snapshot(session), reason=reason)
    session.cancelled_at = utcnow()
    db.session.flush()
    if notify:
        session_notices.notify(session, "cancelled", reason=reason)


def upcoming_planned(mentorship: Mentorship, now: datetime | None = None) -> list[MentoringSession]:
    """Planned, not cancelled sessions still to come (those a close-out cancels)."""
    now = now or utcnow()
    return [s for s in mentorship.sessions if not s.held and s.cancelled_at is None and s.starts_at > now]


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
        planned=sum(1 for s in mentorship.sessions if not s.held and s.cancelled_at is None),
    )
