"""The programme seen whole: whether a Peer-Learning Note may be read by the public.

A published note (``LearningNote.published_at``) is read by every member of the programme. It becomes
public — the knowledge library of ``/programme`` — only when *both* cities agree; each side's agreement
is recorded here with who gave it and when, and either side may withdraw it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from mentoring.models.base import Base


class NotePublication(Base):
    __tablename__ = "note_publication"

    note_id: Mapped[int] = mapped_column(
        ForeignKey("learning_note.id", ondelete="CASCADE"), primary_key=True
    )
    # ISO 639-1 language the note is written in (filters of the library); set by the consenting city.
    language: Mapped[str] = mapped_column(String(2), default="en", index=True)
    mentor_consent_at: Mapped[datetime | None]
    mentor_consent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    mentee_consent_at: Mapped[datetime | None]
    mentee_consent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    @property
    def is_public(self) -> bool:
        return self.mentor_consent_at is not None and self.mentee_consent_at is not None
