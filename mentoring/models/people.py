"""People reaching each other: programme contacts, messages, notification preferences, circulars,
and the signed links that let a programme contact endorse a pair without an account."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentoring.models.base import Base, utcnow

if TYPE_CHECKING:
    from mentoring.models.accounts import User
    from mentoring.models.cities import City
    from mentoring.models.rounds import Proposal

#: The kinds of event a person may receive e-mail about (the bell shows all of them regardless).
EVENTS = ("proposals", "endorsements", "sessions", "messages", "reminders", "circulars")
#: How e-mail about an event reaches a person.
DELIVERIES = ("immediate", "digest", "off")
THREAD_KINDS = ("proposal", "mentorship")
CIRCULAR_STATUSES = ("draft", "sending", "sent")
AUDIENCES = ("representatives", "region", "commission", "mentors", "round")


class ProgrammeContact(Base):
    """A person who speaks for a city in the programme, with or without an account.

    Recorded by the city's representatives or a coordinator; a contact without an account can
    endorse or decline a pair through a signed link sent to ``email``.
    """

    __tablename__ = "programme_contact"
    __table_args__ = (UniqueConstraint("city_id", "email", name="uq_programme_contact_city_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(120), default="")
    languages: Mapped[list] = mapped_column(JSON, default=list)  # ISO 639-1 codes
    timezone: Mapped[str | None] = mapped_column(String(64))
    show_email: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    city: Mapped[City] = relationship()


class EndorsementLink(Base):
    """A signed, single-use, expiring link to endorse or decline one side of a proposal.

    Only the SHA-256 of the token is stored; ``used_at``/``outcome`` make it single use.
    """

    __tablename__ = "endorsement_link"
    __table_args__ = (CheckConstraint("side IN ('mentor', 'mentee')", name="side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("programme_contact.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(20))  # endorsed, declined, revoked

    proposal: Mapped[Proposal] = relationship()
    contact: Mapped[ProgrammeContact] = relationship()


class Message(Base):
    """One message in the thread of a proposal or of a mentorship (plain text with links)."""

    __tablename__ = "message"
    __table_args__ = (
        CheckConstraint("thread_kind IN ('proposal', 'mentorship')", name="thread_kind"),
        Index("ix_message_thread", "thread_kind", "thread_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_kind: Mapped[str] = mapped_column(String(12))
    thread_id: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(120))  # kept when the account goes
    city_id: Mapped[int | None] = mapped_column(ForeignKey("city.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


class ThreadRead(Base):
    """How far one person has read one thread (for unread counts)."""

    __tablename__ = "thread_read"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    thread_kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    thread_id: Mapped[int] = mapped_column(primary_key=True)
    last_read_id: Mapped[int] = mapped_column(default=0)


class NotificationPreference(Base):
    """One person's choices: e-mail per event (immediate, daily digest, off), and what is shown."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    events: Mapped[dict] = mapped_column(JSON, default=dict)  # {event: delivery}
    show_email: Mapped[bool] = mapped_column(default=True)  # to the paired city's people
    last_digest_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DigestItem(Base):
    """An e-mail held back for a person's daily digest."""

    __tablename__ = "digest_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)


class Circular(Base):
    """A letter from the commission to its members, in one or more languages."""

    __tablename__ = "circular"

    id: Mapped[int] = mapped_column(primary_key=True)
    # {"en": {"title": ..., "body": markdown}, "fr": {...}}; "en" (or the first) is the fallback.
    texts: Mapped[dict] = mapped_column(JSON, default=dict)
    audience: Mapped[str] = mapped_column(String(20), default="representatives")
    audience_value: Mapped[str | None] = mapped_column(String(60))  # region key, commission key, round id
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    recipients_total: Mapped[int] = mapped_column(default=0)
    delivered: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)

    deliveries: Mapped[list[CircularDelivery]] = relationship(
        back_populates="circular", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}


class CircularDelivery(Base):
    """One recipient of a circular; unique per person so a retried batch never sends twice."""

    __tablename__ = "circular_delivery"
    __table_args__ = (UniqueConstraint("circular_id", "user_id", name="uq_circular_delivery_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circular_id: Mapped[int] = mapped_column(ForeignKey("circular.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued, sent, failed, skipped
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id", ondelete="SET NULL"))
    at: Mapped[datetime | None]

    circular: Mapped[Circular] = relationship(back_populates="deliveries")
