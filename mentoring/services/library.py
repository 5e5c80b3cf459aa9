"""The knowledge library: Peer-Learning Notes, searchable by text, focus area, region and language.

A published note is read by every signed-in member. It is *public* (anonymous visitors of
``/programme``) only when both cities agreed — each city's representative gives or withdraws that
agreement (:class:`~mentoring.models.NotePublication`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import (
    City,
    LearningNote,
    Mentorship,
    NotePublication,
    User,
    utcnow,
)
from mentoring.rules import is_representative
from mentoring.services import NotAllowed, ServiceError
from mentoring.services.audit import record
from mentoring.services.cities.directory import display_name

NOTE_LANGUAGES = ("en", "fr", "es", "pt")
QUERY_MAX = 200
EXCERPT = 280


@dataclass
class LibraryItem:
    note: LearningNote
    mentorship: Mentorship
    mentor: City
    mentee: City
    publication: NotePublication | None
    language: str

    @property
    def is_public(self) -> bool:
        return self.publication is not None and self.publication.is_public

    @property
    def title(self) -> str:
        for line in self.note.markdown.splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
        return f"{display_name(self.mentor)} → {display_name(self.mentee)}"

    @property
    def excerpt(self) -> str:
        text = " ".join(re.sub(r"^([-*+]|\d+\.)\s+", "", line.strip()) for line in self.note.markdown.splitlines()
                        if line.strip() and not line.startswith("#"))
        text = re.sub(r"\*\*|__|[*_`>]", "", text)
        return text if len(text) <= EXCERPT else text[:EXCERPT].rsplit(" ", 1)[0] + "…"


def default_language(mentee: City) -> str:
    return next((code for code in mentee.language_codes if code in NOTE_LANGUAGES), "en")


def items(user=None, *, query: str = "", area: str = "", region: str = "", language: str = "",
          public_only: bool | None = None, limit: int | None = None) -> list[LibraryItem]:
    """Notes the user may read, newest first, filtered. Anonymous users see public notes only."""
    if public_only is None:
        public_only = user is None or not user.is_authenticated
    stmt = (select(LearningNote, Mentorship, NotePublication)
            .join(Mentorship, Mentorship.id == LearningNote.mentorship_id)
            .outerjoin(NotePublication, NotePublication.note_id == LearningNote.id)
            .where(LearningNote.published_at.is_not(None))
            .order_by(LearningNote.published_at.desc(), LearningNote.id.desc()))
    if public_only:
        stmt = stmt.where(NotePublication.mentor_consent_at.is_not(None),
                          NotePublication.mentee_consent_at.is_not(None))
    for term in (query or "")[:QUERY_MAX].split():
        stmt = stmt.where(func.lower(LearningNote.markdown).contains(term.lower(), autoescape=True))
    rows = list(db.session.execute(stmt).all())
    ids = {m.mentor_city_id for _n, m, _p in rows} | {m.mentee_city_id for _n, m, _p in rows}
    cities = {c.id: c for c in db.session.scalars(select(City).where(City.id.in_(ids)))} if ids else {}
    out = []
    for note, mentorship, publication in rows:
        mentor, mentee = cities[mentorship.mentor_city_id], cities[mentorship.mentee_city_id]
        lang = publication.language if publication is not None else default_language(mentee)
        if area and area not in (mentorship.areas or []):
            continue
        if region and region not in (mentor.region, mentee.region):
            continue
        if language and language != lang:
            continue
        out.append(LibraryItem(note, mentorship, mentor, mentee, publication, lang))
    return out[:limit] if limit else out


def find(user, note_id: int) -> LibraryItem | None:
    """The note if this user may read it in the library, else ``None``."""
    for item in items(user):
        if item.note.id == note_id:
            return item
    return None


def side_for(user: User, mentorship: Mentorship) -> list[str]:
    """The sides ("mentor", "mentee") whose city this user represents."""
    return [side for side, city_id in (("mentor", mentorship.mentor_city_id), ("mentee", mentorship.mentee_city_id))
            if is_representative(user, city_id)]


def set_consent(user: User, note: LearningNote, *, agree: bool, language: str | None = None) -> NotePublication:
    """The user's city agrees (or no longer agrees) to make the note public."""
    mentorship = db.session.get(Mentorship, note.mentorship_id)
    if note.published_at is None:
        raise NotAllowed(_("Publish the note to the programme's members first."))
    sides = side_for(user, mentorship)
    if not sides:
        raise NotAllowed(_("Only a representative of one of the two cities can decide this."))
    if language is not None and language not in NOTE_LANGUAGES:
        raise ServiceError(_("Choose the note's language."), {"language": [_("Choose the note's language.")]})
    publication = db.session.get(NotePublication, note.id)
    if publication is None:
        mentee = db.session.get(City, mentorship.mentee_city_id)
        publication = NotePublication(note_id=note.id, language=language or default_language(mentee))
        db.session.add(publication)
    before = {"public": publication.is_public}
    if language:
        publication.language = language
    now = utcnow() if agree else None
    for side in sides:
        setattr(publication, f"{side}_consent_at", now)
        setattr(publication, f"{side}_consent_by_id", user.id if agree else None)
    db.session.flush()
    record(user, "note.public_consent" if agree else "note.public_withdraw", note, before=before,
           after={"public": publication.is_public, "sides": sides, "language": publication.language})
    return publication
