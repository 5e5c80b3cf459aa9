"""Mentorships and their workspace: mentors, goals, sessions, feedback, notes, reminders."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentoring.models.base import Base, utcnow

if TYPE_CHECKING:
    from mentoring.models.accounts import User
    from mentoring.models.cities import City

MENTORSHIP_STATES = ("active", "completed", "withdrawn")
GOAL_STATUSES = ("open", "achieved", "partly", "not_achieved", "dropped")
#: What can become of a goal still open when its mentorship closes (asked by the close-out form).
GOAL_CLOSING_STATUSES = ("achieved", "partly", "not_achieved", "dropped")
SESSION_FORMATS = ("video", "call", "study_visit", "workshop", "email")
FITS = ("good", "unsure", "poor")


class Mentorship(Base):
    __tablename__ = "mentorship"
    __table_args__ = (
        CheckConstraint("mentor_city_id <> mentee_city_id", name="distinct_cities"),
        Index("ix_mentorship_mentor_state", "mentor_city_id", "state"),
        Index("ix_mentorship_mentee_state", "mentee_city_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="SET NULL"), unique=True
    )
    mentor_city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"))
    mentee_city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"))
    areas: Mapped[list] = mapped_column(JSON, default=list)
    start_date: Mapped[date]
    planned_end: Mapped[date | None]
    state: Mapped[str] = mapped_column(String(20), default="active")
    outcome: Mapped[str | None] = mapped_column(Text)
    withdraw_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    mentor_city: Mapped[City] = relationship(foreign_keys=[mentor_city_id])
    mentee_city: Mapped[City] = relationship(foreign_keys=[mentee_city_id])
    mentors: Mapped[list[MentorshipMentor]] = relationship(cascade="all, delete-orphan")
    goals: Mapped[list[Goal]] = relationship(
        back_populates="mentorship", cascade="all, delete-orphan", order_by="Goal.id"
    )
    sessions: Mapped[list[MentoringSession]] = relationship(
        back_populates="mentorship",
        cascade="all, delete-orphan",
        order_by="MentoringSession.starts_at",
    )

    __mapper_args__ = {"version_id_col": version}


class MentorshipMentor(Base):
    """A person assigned to a mentorship, on the mentor or the mentee side."""

    __tablename__ = "mentorship_mentor"

    mentorship_id: Mapped[int] = mapped_column(
        ForeignKey("mentorship.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    side: Mapped[str] = mapped_column(String(10))  # "mentor" or "mentee"

    user: Mapped[User] = relationship()


class Goal(Base):
    __tablename__ = "goal"
    __table_args__ = (CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(
        ForeignKey("mentorship.id", ondelete="CASCADE"), index=True
    )
    area_key: Mapped[str] = mapped_column(String(60))
    statement: Mapped[str] = mapped_column(Text)
    target_date: Mapped[date | None]
    progress: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    mentorship: Mapped[Mentorship] = relationship(back_populates="goals")
    history: Mapped[list[GoalProgress]] = relationship(
        cascade="all, delete-orphan", order_by="GoalProgress.at"
    )


class GoalProgress(Base):
    """A dated progress change, so the history of a goal can be shown."""

    __tablename__ = "goal_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"), index=True)
    progress: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class MentoringSession(Base):
    __tablename__ = "mentoring_session"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration"),
        UniqueConstraint("mentorship_id", "idempotency_key", name="uq_session_idempotency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(
        ForeignKey("mentorship.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")  # zone it was entered in
    duration_minutes: Mapped[int]
    format: Mapped[str] = mapped_column(String(20))
    travel: Mapped[str | None] = mapped_column(Text)  # study visits: who travelled where
    areas: Mapped[list] = mapped_column(JSON, default=list)
    attendees: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    outcomes: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    held: Mapped[bool] = mapped_column(default=False)  # planned (False) or logged as held (True)
    # Where it happens: a meeting link (http/https only) or a place (address, city).
    meeting_url: Mapped[str | None] = mapped_column(String(500))
    place: Mapped[str | None] = mapped_column(String(300))
    place_city: Mapped[str | None] = mapped_column(String(120))
    # A cancelled session is kept (calendars need its CANCEL); it no longer counts as planned.
    cancelled_at: Mapped[datetime | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    mentorship: Mapped[Mentorship] = relationship(back_populates="sessions")

    __mapper_args__ = {"version_id_col": version}


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
        CheckConstraint("fit IN ('good', 'unsure', 'poor')", name="fit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(
        ForeignKey("mentorship.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentoring_session.id", ondelete="CASCADE")
    )
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at_close: Mapped[bool] = mapped_column(default=False)
    fit: Mapped[str] = mapped_column(String(10))
    rating: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    coordinators_only: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SharedLink(Base):
    __tablename__ = "shared_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(
        ForeignKey("mentorship.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LearningNote(Base):
    """The Peer-Learning Note written at close-out."""

    __tablename__ = "learning_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(
        ForeignKey("mentorship.id", ondelete="CASCADE"), unique=True
    )
    markdown: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReminderSent(Base):
    """One row per reminder sent, keyed by its event, so none is sent twice."""

    __tablename__ = "reminder_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
