"""Accounts: users, the mail outbox and in-app notifications."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentoring.models.base import Base, utcnow

if TYPE_CHECKING:
    from mentoring.models.cities import CityMember

ROLES = ("admin", "coordinator")
# Fields a user may never set through a form or JSON body of their own (SECURITY.md, family C).
PROTECTED_FIELDS = ("id", "email", "role", "active", "session_token", "calendar_token",
                    "email_confirmed_at", "password_hash", "created_at", "last_login_at")


def new_token() -> str:
    """A fresh random token for sessions and feeds (URL-safe, 256 bits)."""
    return secrets.token_urlsafe(32)


#: Roles that run the programme: they verify cities, run rounds, read every mentorship.
COORDINATOR_ROLES = ("coordinator", "admin")

class User(UserMixin, Base):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'coordinator')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased by the account services, so uniqueness ignores case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str | None] = mapped_column(String(20))
    locale: Mapped[str | None] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(default=True)
    # Changes on logout-everywhere, password change and deactivation: old session cookies die.
    session_token: Mapped[str] = mapped_column(String(64), default=new_token)
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    email_confirmed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    memberships: Mapped[list[CityMember]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def get_id(self) -> str:
        # Flask-Login stores this in the session; the token part makes revocation server-side.
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_confirmed(self) -> bool:
        """Whether the user proved they read mail at their address."""
        return self.email_confirmed_at is not None

    def rotate_session_token(self) -> None:
        """End every session and remember-me cookie of this user, on every device."""
        self.session_token = new_token()

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_coordinator(self) -> bool:
        """Coordinators and administrators run the programme."""
        return self.role in COORDINATOR_ROLES

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class OutboxMessage(Base):
    """Every e-mail the service sends, kept so development and tests can read it."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    # Built from user data (city and person names): shortened with "…" to fit (models.base).
    subject: Mapped[str] = mapped_column(String(200), info={"shorten": True})
    body: Mapped[str] = mapped_column(Text)  # the plain-text part
    html: Mapped[str | None] = mapped_column(Text)  # the HTML part, when there is one
    # [{"filename", "content_type", "content"}] (text attachments such as .ics invitations)
    attachments: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class Notification(Base):
    """An in-app message for one user (a proposal approved, a city declined…)."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class UserSession(Base):
    """One signed-in browser: ending it (sign-out) makes copies of its cookies worthless.

    The session cookie (and the remember-me cookie, when asked for) carries the id; the row is
    checked on every request. The per-user ``User.session_token`` still ends all of them at once.
    """

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_token)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
