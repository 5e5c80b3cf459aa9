"""Cities choosing: a mentee city's request to a mentor city, and each city's preferences."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentoring.models.base import Base, utcnow

if TYPE_CHECKING:
    from mentoring.models.cities import City
    from mentoring.models.mentorships import Mentorship

#: requested → accepted | declined (mentor city) → approved | rejected (coordinator);
#: requested | accepted → withdrawn (mentee city) | expired (time).
REQUEST_STATES = ("requested", "accepted", "declined", "approved", "rejected", "withdrawn", "expired")
#: States still waiting for someone's decision.
OPEN_REQUEST_STATES = ("requested", "accepted")
#: How many partner cities a city may prefer.
MAX_PREFERRED_PARTNERS = 5


class MentorRequest(Base):
    """A mentee city asking a mentor city to mentor it, and every decision taken on it."""

    __tablename__ = "mentor_request"
    __table_args__ = (
        CheckConstraint("mentor_city_id <> mentee_city_id", name="distinct_cities"),
        Index("ix_mentor_request_mentor_state", "mentor_city_id", "state"),
        Index("ix_mentor_request_mentee_state", "mentee_city_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentee_city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"))
    mentor_city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"))
    areas: Mapped[list] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(2), default="en")  # the message's language
    # The two cities share no working language and will work with interpretation: only a
    # coordinator can then let the mentorship start.
    language_waived: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(20), default="requested", index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    responded_at: Mapped[datetime | None]
    response_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    mentorship_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorship.id", ondelete="SET NULL"), unique=True
    )
    version: Mapped[int] = mapped_column(default=1)

    mentee_city: Mapped[City] = relationship(foreign_keys=[mentee_city_id])
    mentor_city: Mapped[City] = relationship(foreign_keys=[mentor_city_id])
    mentorship: Mapped[Mentorship | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


class CityPreference(Base):
    """What a city would like from the next rounds (all optional; lists keep the city's order).

    City ids are kept as lists: a deleted city simply stops counting (readers keep known ids).
    """

    __tablename__ = "city_preference"

    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), primary_key=True)
    preferred_city_ids: Mapped[list] = mapped_column(JSON, default=list)  # at most five
    avoided_city_ids: Mapped[list] = mapped_column(JSON, default=list)
    regions: Mapped[list] = mapped_column(JSON, default=list)
    languages: Mapped[list] = mapped_column(JSON, default=list)  # ISO 639-1, preferred first
    areas: Mapped[list] = mapped_column(JSON, default=list)  # focus area keys, most wanted first
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_empty(self) -> bool:
        return not (self.preferred_city_ids or self.avoided_city_ids or self.regions
                    or self.languages or self.areas)
