"""Writing a survey file: all or nothing, in the caller's transaction.

:func:`import_csv` writes only a file without a single problem (it flushes; the caller commits
once). An empty cell means "unknown": it never erases what the database knows; ``languages`` and
``commissions``, when given, replace the city's list; only areas whose values change get a new dated
:class:`~mentoring.models.Assessment` (the previous one stays as history). Cities created by an
import are ``verified`` (a coordinator, or an operator at the command line, vouches for the file);
the status of existing cities is never changed. Every created or updated city gets one
``city.import`` audit event.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext

from mentoring.extensions import db
from mentoring.models import City, utcnow
from mentoring.services import ServiceError, audit, cities, geography
from mentoring.services.survey.parse import CellError
from mentoring.services.survey.validate import (
    SurveyPreview,
    current_assessments,
    preview_import,
)


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int
    assessments: int  # new assessment rows written
    city_ids: tuple[int, ...]

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "assessments": self.assessments}


class SurveyError(ServiceError):
    """The file cannot be imported; ``cell_errors`` lists every problem by row and column."""

    def __init__(self, message: str, cell_errors: list[CellError]):
        super().__init__(message, {"file": [str(e) for e in cell_errors]})
        self.cell_errors = cell_errors


def import_csv(data: bytes, actor, *, max_bytes: int | None = None) -> ImportSummary:
    """Validate the file and, only if it has no problem at all, create and update its cities.

    Raises :class:`SurveyError` listing every problem; nothing is written then. Flushes; the caller
    commits (one transaction for the whole file).
    """
    preview = preview_import(data, max_bytes=max_bytes)
    if not preview.ok:
        raise SurveyError(ngettext("Nothing was imported: the file has %(num)d problem.",
                                   "Nothing was imported: the file has %(num)d problems.", len(preview.errors))
                          if preview.errors else _("Nothing was imported: the file has no cities."),
                          preview.errors)
    return apply_import(preview, actor)


def apply_import(preview: SurveyPreview, actor) -> ImportSummary:
    """Write a validated preview (see :func:`import_csv`)."""
    assert preview.ok, "apply_import needs a preview without errors"
    current = current_assessments([row.city.id for row in preview.rows if row.city is not None])
    created = updated = unchanged = written = 0
    ids = []
    now = utcnow()
    for row in preview.rows:
        city = row.city
        is_new = city is None
        if is_new:
            found = geography.find_city(row.name, row.country)
            city = City(
                name=row.name,
                country=row.country,
                region=row.fields.get("region") or geography.region_for_country(row.country),
                timezone=(found or {}).get("timezone") or geography.country_timezone(row.country),
                status="verified",
                verified_at=now,
                verified_by_id=getattr(actor, "id", None),
                is_demo=False,
            )
            db.session.add(city)
            before = {}
        else:
            before = _snapshot(city, current.get(city.id, {}))
        for attribute, value in row.fields.items():
            if getattr(city, attribute) != value:
                setattr(city, attribute, value)
        db.session.flush()
        if row.languages is not None:
            cities.set_languages(city, row.languages)
        if row.commissions is not None:
            cities.set_commissions(city, row.commissions)
        known = current.get(city.id, {})
        values = {}
        for key, given in row.areas.items():
            old = known.get(key)
            values[key] = {
                "maturity": given.get("maturity", old.maturity if old else 0),
                "need": given.get("need", old.need if old else 0),
                "can_mentor": given.get("can_mentor", old.can_mentor if old else False),
                "evidence": old.evidence if old else "",
            }
        written += cities.set_assessments(city, values, actor)
        after = _snapshot(city, {**known, **{k: _Values(**v) for k, v in values.items()}})
        if is_new:
            created += 1
            audit.record(actor, "city.import", city, after=after)
        elif before != after:
            updated += 1
            city.updated_at = now  # bumps the version: forms opened before the import see a conflict
            changed_before, changed_after = audit.changes(before, after)
            audit.record(actor, "city.import", city, before=changed_before, after=changed_after)
        else:
            unchanged += 1
        ids.append(city.id)
    db.session.flush()
    return ImportSummary(created, updated, unchanged, written, tuple(ids))


@dataclass
class _Values:
    maturity: int
    need: int
    can_mentor: bool
    evidence: str = ""


def _snapshot(city: City, assessments: dict) -> dict:
    snapshot = {
        "name": city.name, "country": city.country, "region": city.region, "population": city.population,
        "latitude": city.latitude, "longitude": city.longitude, "mentor_capacity": city.mentor_capacity,
        "practices": city.practices or "", "needs": city.needs or "",
        "languages": list(city.language_codes), "commissions": sorted(city.commission_keys),
    }
    for key, a in sorted(assessments.items()):
        snapshot[f"{key}"] = [a.maturity, a.need, int(bool(a.can_mentor))]
    return snapshot
