"""A survey file checked or imported in the background (issue 9): its upload, progress and outcome."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mentoring.models.base import Base, utcnow

SURVEY_JOB_STAGES = ("check", "import")
SURVEY_JOB_STATUSES = ("queued", "running", "done", "failed")


class SurveyJob(Base):
    """One large survey file on its way: checked (stage ``check``), then imported (stage ``import``).

    The upload lives in ``data`` (in the database, so that an RQ worker on another machine reads it too)
    until the import ends or the job is abandoned; ``report`` is the check's preview, ``summary`` the
    import's counts. ``progress_at`` is the run's sign of life: a busy job silent for longer than
    ``SURVEY_STALE_AFTER`` is shown as interrupted (its process died; nothing was written).
    """

    __tablename__ = "survey_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(120), default="", info={"shorten": True})
    locale: Mapped[str | None] = mapped_column(String(10))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    rows: Mapped[int] = mapped_column(default=0)  # an estimate from the line count, before the check
    stage: Mapped[str] = mapped_column(String(10), default="check")
    status: Mapped[str] = mapped_column(String(10), default="queued")
    progress: Mapped[float] = mapped_column(default=0.0)
    progress_message: Mapped[str | None] = mapped_column(String(200), info={"shorten": True})
    progress_at: Mapped[datetime | None]
    report: Mapped[dict | None] = mapped_column(JSON)
    summary: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def is_busy(self) -> bool:
        return self.status in ("queued", "running")
