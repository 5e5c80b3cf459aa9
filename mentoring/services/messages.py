"""A message thread per proposal and per mentorship, between the two cities and the coordinators.

Messages are plain text (links are made clickable when shown). Posting notifies the other side:
a bell notification for everyone, and an e-mail as each person chose (immediately, in the daily
digest, or not). Read positions are kept per person and thread, for unread counts in the bell.
Messages belong to the mentorship and appear in its export.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, func, or_, select

from mentoring import rules
from mentoring.cache import per_request
from mentoring.extensions import db
from mentoring.links import external_url, notification_link
from mentoring.models import (
    City,
    CityMember,
    Mentorship,
    MentorshipMentor,
    Message,
    Notification,
    Proposal,
    ThreadRead,
    User,
)
from mentoring.services import NotAllowed, ServiceError, letters
from mentoring.services.audit import record
from mentoring.services.cities.directory import display_name

BODY_MAX = 5000
#: Proposal states in which the two cities talk in the proposal's thread.
TALKING_STATES = ("approved", "endorsed")


@dataclass(frozen=True)
class Thread:
    kind: str  # "proposal" or "mentorship"
    id: int
    mentor_city_id: int
    mentee_city_id: int
    title: str

    @classmethod
    def of(cls, obj) -> Thread:
        kind = "mentorship" if isinstance(obj, Mentorship) else "proposal"
        return cls(kind, obj.id, obj.mentor_city_id, obj.mentee_city_id,
                   f"{display_name(obj.mentor_city)} → {display_name(obj.mentee_city)}")

    @property
    def endpoint(self) -> tuple[str, dict]:
        return (f"people.{self.kind}_messages", {f"{self.kind}_id": self.id})


def side_of(user, thread: Thread) -> str | None:
    """The side the user speaks for in this thread (member of a city, or assigned mentor)."""
    if user is None or getattr(user, "id", None) is None:
        return None
    cities = set(db.session.scalars(select(CityMember.city_id).where(CityMember.user_id == user.id)))
    if thread.mentor_city_id in cities:
        return "mentor"
    if thread.mentee_city_id in cities:
        return "mentee"
    if thread.kind == "mentorship":
        assigned = db.session.scalar(select(MentorshipMentor.side).where(
            MentorshipMentor.mentorship_id == thread.id, MentorshipMentor.user_id == user.id))
        if assigned:
            return assigned
    return None


def can_read(user, obj) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if isinstance(obj, Proposal) and obj.state not in TALKING_STATES:
        return rules.is_coordinator(user)
    return rules.is_coordinator(user) or side_of(user, Thread.of(obj)) is not None


def can_write(user, obj) -> bool:
    if isinstance(obj, Proposal) and obj.state not in TALKING_STATES:
        return False
    if isinstance(obj, Mentorship) and obj.state != "active":
        return False
    return can_read(user, obj)


def thread_messages(obj) -> list[Message]:
    thread = Thread.of(obj)
    return list(db.session.scalars(select(Message).where(
        Message.thread_kind == thread.kind, Message.thread_id == thread.id).order_by(Message.id)))


def history(mentorship: Mentorship) -> list[Message]:
    """The mentorship's messages, preceded by those written on its proposal."""
    found = []
    if mentorship.proposal_id:
        found += list(db.session.scalars(select(Message).where(
            Message.thread_kind == "proposal", Message.thread_id == mentorship.proposal_id).order_by(Message.id)))
    return found + thread_messages(mentorship)


def _people_of_side(thread: Thread, side: str) -> list[User]:
    city_id = thread.mentor_city_id if side == "mentor" else thread.mentee_city_id
    users = {u.id: u for u in rules.representatives([city_id])}
    if thread.kind == "mentorship":
        for user in db.session.scalars(select(User).join(MentorshipMentor, MentorshipMentor.user_id == User.id)
                                       .where(MentorshipMentor.mentorship_id == thread.id,
                                              MentorshipMentor.side == side, User.active)):
            users[user.id] = user
    return list(users.values())


def post(actor, obj, body: str) -> Message:
    """Add a message and tell the other side (bell + e-mail as each person chose)."""
    if not can_write(actor, obj):
        if not can_read(actor, obj):
            raise NotAllowed(_("Only the two cities and the coordinators write in this thread."))
        raise NotAllowed(_("This conversation is closed."))
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ServiceError(_("Write a message first."), {"body": [_("Write a message first.")]})
    if len(body) > BODY_MAX:
        raise ServiceError(_("The message is too long."),
                           {"body": [_("At most %(num)d characters.", num=BODY_MAX)]})
    thread = Thread.of(obj)
    side = side_of(actor, thread)
    city_id = None
    if side:
        city_id = thread.mentor_city_id if side == "mentor" else thread.mentee_city_id
    message = Message(thread_kind=thread.kind, thread_id=thread.id, author_id=actor.id,
                      author_name=actor.name, city_id=city_id, body=body)
    db.session.add(message)
    db.session.flush()
    record(actor, "message.post", message, after={"thread": f"{thread.kind}:{thread.id}", "length": len(body)})
    mark_read(actor, obj, message.id)
    sides = ["mentee"] if side == "mentor" else ["mentor"] if side == "mentee" else ["mentor", "mentee"]
    recipients = {u.id: u for s in sides for u in _people_of_side(thread, s)}
    recipients.pop(actor.id, None)
    _notify(thread, message, city_id, list(recipients.values()))
    return message


def _notify(thread: Thread, message: Message, city_id: int | None, users: list[User]) -> None:
    endpoint, values = thread.endpoint
    path = notification_link(endpoint, **values)
    url = external_url(endpoint, **values)
    city = display_name(db.session.get(City, city_id)) if city_id else None
    author = message.author_name
    excerpt = message.body if len(message.body) <= 600 else message.body[:600] + "…"

    def compose():
        sender = _("%(name)s (%(city)s)", name=author, city=city) if city else author
        return letters.Letter(
            subject=_("New message from %(sender)s: %(pair)s", sender=sender, pair=thread.title),
            paragraphs=[_("%(sender)s wrote in the conversation %(pair)s:", sender=sender, pair=thread.title),
                        excerpt, _("Reply in the conversation (replies by e-mail are not read).")],
            link=url, link_label=_("Open the conversation"))

    for user in users:
        if not user.active:
            continue
        with letters.force_locale(letters.language_of(user)):
            subject = compose().subject
        db.session.add(Notification(user_id=user.id, message=subject, link=path))
        letters.send(user, "messages", compose)
    db.session.flush()


# --- Read positions and unread counts ----------------------------------------------------------

def mark_read(user, obj, up_to: int | None = None) -> None:
    thread = Thread.of(obj)
    if up_to is None:
        up_to = db.session.scalar(select(func.max(Message.id)).where(
            Message.thread_kind == thread.kind, Message.thread_id == thread.id)) or 0
    position = db.session.get(ThreadRead, (user.id, thread.kind, thread.id))
    if position is None:
        db.session.add(ThreadRead(user_id=user.id, thread_kind=thread.kind, thread_id=thread.id,
                                  last_read_id=up_to))
    elif position.last_read_id < up_to:
        position.last_read_id = up_to
    db.session.flush()


def _own_threads(user_id):
    """(kind, id) conditions of the threads the user takes part in (not every thread for coordinators).

    ``user_id`` is the user's id or a bound parameter standing for it."""
    cities = select(CityMember.city_id).where(CityMember.user_id == user_id)
    assigned = select(MentorshipMentor.mentorship_id).where(MentorshipMentor.user_id == user_id)
    mentorships = select(Mentorship.id).where(or_(
        Mentorship.mentor_city_id.in_(cities), Mentorship.mentee_city_id.in_(cities), Mentorship.id.in_(assigned)))
    proposals = select(Proposal.id).where(
        or_(Proposal.mentor_city_id.in_(cities), Proposal.mentee_city_id.in_(cities)),
        Proposal.state.in_(TALKING_STATES))
    return or_(and_(Message.thread_kind == "mentorship", Message.thread_id.in_(mentorships)),
               and_(Message.thread_kind == "proposal", Message.thread_id.in_(proposals)))


def _unread_messages(user_id):
    """The statement counting messages by others that the user has not read (before the thread filter)."""
    read = select(ThreadRead.last_read_id).where(
        ThreadRead.user_id == user_id, ThreadRead.thread_kind == Message.thread_kind,
        ThreadRead.thread_id == Message.thread_id).correlate(Message).scalar_subquery()
    return select(func.count(Message.id)).where(
        or_(Message.author_id.is_(None), Message.author_id != user_id),
        Message.id > func.coalesce(read, 0))


@cache
def bell_columns() -> tuple:
    """Unread notifications and unread messages in the threads of the user bound as ``user_id``: two
    scalar subqueries, built once, that the session query of a page asks along (one query, not two)."""
    user_id = bindparam("user_id")
    notifications = (select(func.count()).select_from(Notification)
                     .where(Notification.user_id == user_id, Notification.read_at.is_(None)))
    in_threads = _unread_messages(user_id).where(_own_threads(user_id))
    return notifications.scalar_subquery(), in_threads.scalar_subquery()


def _bell_key(user_id: int) -> tuple:
    return ("unread counts", user_id)


def remember_unread_counts(user_id: int, notifications, unread) -> None:
    """Hold the bell's counts that the session query brought for the rest of the request (until it writes)."""
    per_request(_bell_key(user_id), lambda: (int(notifications or 0), int(unread or 0)))


def unread_counts(user) -> tuple[int, int]:
    """``(unread notifications, unread messages in the user's threads)`` for the bell: brought by the
    session query of a page (:func:`bell_columns`), else one query, asked once per request (a flush in
    the request — something read or posted — asks again)."""
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "id", None) is None:
        return (0, 0)

    def count() -> tuple[int, int]:
        notifications, unread = db.session.execute(select(*bell_columns()), {"user_id": user.id}).one()
        return int(notifications or 0), int(unread or 0)

    return per_request(_bell_key(user.id), count)


def unread_count(user, obj=None) -> int:
    """Messages by others the user has not read: in one thread, or in all the user's threads."""
    if user is None or getattr(user, "id", None) is None:
        return 0
    if obj is not None:
        kind = "mentorship" if isinstance(obj, Mentorship) else "proposal"
        return int(db.session.scalar(_thread_unread_statement(),
                                     {"user_id": user.id, "kind": kind, "thread_id": obj.id}) or 0)
    return int(db.session.scalar(_unread_messages(user.id).where(_own_threads(user.id))) or 0)


@cache
def _thread_unread_statement():
    """Unread messages by others in one thread, built once (the workspace asks on every page)."""
    return _unread_messages(bindparam("user_id")).where(
        Message.thread_kind == bindparam("kind"), Message.thread_id == bindparam("thread_id"))


def export_rows(mentorship: Mentorship) -> list[dict]:
    """The messages for the mentorship's export (JSON/CSV-ready)."""
    return [{"thread": m.thread_kind, "at": m.created_at.isoformat(), "author": m.author_name,
             "city": display_name(db.session.get(City, m.city_id)) if m.city_id else "", "body": m.body}
            for m in history(mentorship)]
