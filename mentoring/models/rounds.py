"""Matching rounds and the proposals they produce."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentoring.models.base import Base, utcnow

if TYPE_CHECKING:
    from mentoring.models.cities import City, Commission

ROUND_STATUSES = ("draft", "queued", "running", "done", "failed")
PROPOSAL_STATES = ("proposed", "approved", "rejected", "endorsed", "declined")


class MatchRound(Base):
    __tablename__ = "match_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    regions: Mapped[list] = mapped_column(JSON, default=list)  # empty: every region
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    seed: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    progress: Mapped[float] = mapped_column(default=0.0)
    progress_message: Mapped[str | None] = mapped_column(String(200), info={"shorten": True})
    # The run's last sign of life (queued, started, each progress report). A queued or running
    # round silent for longer than ROUND_STALE_AFTER is treated as crashed (retryable).
    progress_at: Mapped[datetime | None]
    metrics: Mapped[dict | None] = mapped_column(JSON)
    # The engine's unmatched mentees of the last run: [{"mentee": city id, "reason", "detail"}].
    unmatched: Mapped[list | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    commissions: Mapped[list[RoundCommission]] = relationship(cascade="all, delete-orphan")
    proposals: Mapped[list[Proposal]] = relationship(
        back_populates="round", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def commission_ids(self) -> list[int]:
        return [link.commission_id for link in self.commissions]

    @property
    def is_busy(self) -> bool:
        """A run is waiting or working: it must not be started again."""
        return self.status in ("queued", "running")


class RoundCommission(Base):
    __tablename__ = "round_commission"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("match_round.id", ondelete="CASCADE"), primary_key=True
    )
    commission_id: Mapped[int] = mapped_column(
        ForeignKey("commission.id", ondelete="CASCADE"), primary_key=True
    )
    commission: Mapped[Commission] = relationship(lazy="joined")


class Proposal(Base):
    """A proposed mentor → mentee pair, and every decision taken on it."""

    __tablename__ = "proposal"
    __table_args__ = (
        CheckConstraint("mentor_city_id <> mentee_city_id", name="distinct_cities"),
        Index("ix_proposal_round_state", "round_id", "state"),
        Index("ix_proposal_mentor_state", "mentor_city_id", "state"),
        Index("ix_proposal_mentee_state", "mentee_city_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("match_round.id", ondelete="CASCADE"))
    mentor_city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"))
    mentee_city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"))
    areas: Mapped[list] = mapped_column(JSON, default=list)
    score: Mapped[float] = mapped_column(default=0.0)
    components: Mapped[dict] = mapped_column(JSON, default=dict)
    explanation: Mapped[str] = mapped_column(Text, default="")
    # The programme's rules that decided this pair: [{"code", …data}] (services/rule_reasons.py).
    rules: Mapped[list | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20), default="proposed")
    manual: Mapped[bool] = mapped_column(default=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    mentor_endorsed_at: Mapped[datetime | None]
    mentor_endorsed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    mentee_endorsed_at: Mapped[datetime | None]
    mentee_endorsed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    declined_by_city_id: Mapped[int | None] = mapped_column(ForeignKey("city.id", ondelete="SET NULL"))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    round: Mapped[MatchRound | None] = relationship(back_populates="proposals")
    mentor_city: Mapped[City] = relationship(foreign_keys=[mentor_city_id])
    mentee_city: Mapped[City] = relationship(foreign_keys=[mentee_city_id])

    __mapper_args__ = {"version_id_col": version}
