"""Each person's notification preferences: which events send e-mail, immediately or in a daily
digest, and whether their e-mail address is shown to the paired city. The bell shows everything
regardless of these choices.

An unsubscribe link in every e-mail carries a signed token (user, event): following it switches
that event's e-mail off without signing in, and the page links to the full preferences.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, select

from mentoring.extensions import db
from mentoring.models import DigestItem, NotificationPreference, User, utcnow
from mentoring.models.people import DELIVERIES, EVENTS
from mentoring.services import ServiceError
from mentoring.services.audit import record

DIGEST_EVERY = timedelta(hours=20)  # a daily job; a little slack so a late run still sends


def event_labels() -> dict[str, str]:
    return {
        "proposals": _l("Proposed pairings and decisions"),
        "endorsements": _l("Endorsement requests and reminders"),
        "sessions": _l("Sessions planned, moved or cancelled"),
        "messages": _l("Messages from the paired city"),
        "reminders": _l("Reminders (sessions soon, quiet mentorships)"),
        "circulars": _l("Circulars from the programme"),
    }


def delivery_labels() -> dict[str, str]:
    return {"immediate": _l("Immediately"), "digest": _l("Daily digest"), "off": _l("No e-mail")}


def preference(user: User) -> NotificationPreference:
    """The user's stored preferences, or unsaved defaults (every event immediately)."""
    found = db.session.get(NotificationPreference, user.id)
    if found is None:
        found = NotificationPreference(user_id=user.id, events={}, show_email=True)
    return found


def delivery(user: User, event: str) -> str:
    chosen = (preference(user).events or {}).get(event)
    return chosen if chosen in DELIVERIES else "immediate"


def shows_email(user: User) -> bool:
    found = db.session.get(NotificationPreference, user.id)
    return True if found is None else bool(found.show_email)


def hiding_email(user_ids) -> set[int]:
    """Those of ``user_ids`` who chose not to show their e-mail address (one query; see :func:`shows_email`)."""
    ids = list(user_ids)
    if not ids:
        return set()
    return set(db.session.scalars(_hiding_email_statement(), {"user_ids": ids}))


@cache
def _hiding_email_statement():
    return select(NotificationPreference.user_id).where(
        NotificationPreference.user_id.in_(bindparam("user_ids", expanding=True)),
        NotificationPreference.show_email.is_(False))


def update(user: User, events: dict[str, str], show_email: bool) -> NotificationPreference:
    """Save the choices; unknown events or deliveries are a field error, nothing is saved."""
    errors = {}
    for event, value in events.items():
        if event not in EVENTS:
            errors.setdefault("events", []).append(_("Unknown event."))
        elif value not in DELIVERIES:
            errors[event] = [_("Choose immediately, daily digest or no e-mail.")]
    if errors:
        raise ServiceError(_("The preferences could not be saved."), errors)
    found = db.session.get(NotificationPreference, user.id)
    if found is None:
        found = NotificationPreference(user_id=user.id, events={})
        db.session.add(found)
    before = {"events": dict(found.events or {}), "show_email": found.show_email}
    found.events = {**(found.events or {}), **events}
    found.show_email = bool(show_email)
    db.session.flush()
    record(user, "preferences.update", user, before=before,
           after={"events": dict(found.events), "show_email": found.show_email})
    return found


# --- Unsubscribe links ---------------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="mentoring.unsubscribe")


def unsubscribe_token(user: User, event: str) -> str:
    return _serializer().dumps([user.id, event])


def read_unsubscribe_token(token: str) -> tuple[User, str] | None:
    if not token or len(token) > 300:
        return None
    try:
        user_id, event = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or event not in EVENTS:
        return None
    return user, event


def unsubscribe(user: User, event: str) -> None:
    update(user, {event: "off"}, shows_email(user))


# --- Daily digest --------------------------------------------------------------------------------

def hold_for_digest(user: User, event: str, subject: str, body: str, link: str | None) -> DigestItem:
    item = DigestItem(user_id=user.id, event=event, subject=subject[:200], body=body, link=link)
    db.session.add(item)
    db.session.flush()
    return item


def send_digests(now: datetime | None = None) -> int:
    """Send each person their held e-mails in one message, at most once a day; returns the count."""
    from mentoring.services import letters

    now = now or utcnow()
    user_ids = list(dict.fromkeys(db.session.scalars(
        select(DigestItem.user_id).where(DigestItem.sent_at.is_(None)).order_by(DigestItem.user_id))))
    sent = 0
    for user_id in user_ids:
        user = db.session.get(User, user_id)
        stored = db.session.get(NotificationPreference, user_id)
        if stored is not None and stored.last_digest_at and now - stored.last_digest_at < DIGEST_EVERY:
            continue
        items = list(db.session.scalars(select(DigestItem).where(
            DigestItem.user_id == user_id, DigestItem.sent_at.is_(None)).order_by(DigestItem.id)))
        if user.active:
            letters.send_digest(user, items)
            sent += 1
        for item in items:
            item.sent_at = now
        if stored is None:
            stored = NotificationPreference(user_id=user_id, events={})
            db.session.add(stored)
        stored.last_digest_at = now
    db.session.flush()
    return sent
