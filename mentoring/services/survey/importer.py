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
from sqlalchemy import insert, select

from mentoring.extensions import db
from mentoring.logs import current_request_id
from mentoring.models import (
    Assessment,
    AuditEvent,
    CapabilityArea,
    City,
    CityCommission,
    CityLanguage,
    Commission,
    utcnow,
)
from mentoring.services import ServiceError, audit, cities, geography
from mentoring.services.survey.parse import CellError, ParsedRow
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


def import_csv(data: bytes, actor, *, max_bytes: int | None = None, progress=None,
               check_progress=None) -> ImportSummary:
    """Validate the file and, only if it has no problem at all, create and update its cities.

    Raises :class:`SurveyError` listing every problem; nothing is written then. Flushes; the caller
    commits (one transaction for the whole file). ``check_progress(done, total)`` follows the check,
    ``progress(done, total)`` the writing.
    """
    preview = preview_import(data, max_bytes=max_bytes, progress=check_progress)
    if not preview.ok:
        raise SurveyError(ngettext("Nothing was imported: the file has %(num)d problem.",
                                   "Nothing was imported: the file has %(num)d problems.", len(preview.errors))
                          if preview.errors else _("Nothing was imported: the file has no cities."),
                          preview.errors)
    return apply_import(preview, actor, progress)


def apply_import(preview: SurveyPreview, actor, progress=None) -> ImportSummary:
    """Write a validated preview (see :func:`import_csv`).

    New cities are written in bulk (one INSERT per table per batch, no per-row round trip); updated cities
    go through the profile services one by one (few in a survey). ``progress(done, total)`` is called
    after each batch.
    """
    assert preview.ok, "apply_import needs a preview without errors"
    new_rows = [row for row in preview.rows if row.city is None]
    old_rows = [row for row in preview.rows if row.city is not None]
    total = len(preview.rows)
    created = written = 0
    ids: list[int] = []
    areas = {a.key: a.id for a in db.session.scalars(select(CapabilityArea))}
    commissions = {c.key: c.id for c in db.session.scalars(select(Commission))}
    for start in range(0, len(new_rows), BATCH):
        batch = new_rows[start:start + BATCH]
        batch_ids, batch_written = _create(batch, actor, areas, commissions)
        ids += batch_ids
        created += len(batch_ids)
        written += batch_written
        if progress:
            progress(start + len(batch), total)
    updated, unchanged, update_written, update_ids = _update(old_rows, actor)
    ids += update_ids
    written += update_written
    if progress:
        progress(total, total)
    db.session.flush()
    return ImportSummary(created, updated, unchanged, written, tuple(ids))


#: Rows written per bulk INSERT.
BATCH = 1000


def _create(rows: list[ParsedRow], actor, areas: dict[str, int], commissions: dict[str, int]):
    """Insert the cities of ``rows`` (none exists yet) with their lists and assessments, in bulk."""
    now = utcnow()
    actor_id = getattr(actor, "id", None)
    values = []
    for row in rows:
        fields = dict(row.fields)
        known = None
        if row.geonames_id is not None:
            known = geography.city_by_geonames_id(row.geonames_id)
            if known is not None and known["countrycode"] != row.country:
                known = None
        if known is None and not row.subdivision:
            named = geography.cities_named(row.name, row.country)
            known = named[0] if len(named) == 1 else None  # a homonym is never guessed
        if known and not row.subdivision:
            fields["subdivision"] = geography.subdivision_of(known)
        values.append({
            "name": row.name, "country": row.country, "subdivision": "", "geonames_id": None,
            "region": geography.region_for_country(row.country), "population": None, "latitude": None,
            "longitude": None, "mentor_capacity": 0, "practices": "", "needs": "",
            "timezone": (known or {}).get("timezone") or geography.country_timezone(row.country),
            "status": "verified", "verified_at": now, "verified_by_id": actor_id, "is_demo": False,
            "created_at": now, "updated_at": now, "version": 1, "wants_mentor": True, "priority": 1.0,
            **fields,
        })
    ids = list(db.session.scalars(insert(City).returning(City.id, sort_by_parameter_order=True), values))
    languages, memberships, assessments, events = [], [], [], []
    for row, city_id, city in zip(rows, ids, values):
        for position, code in enumerate(row.languages or ()):
            languages.append({"city_id": city_id, "code": code, "position": position})
        for key in row.commissions or ():
            memberships.append({"city_id": city_id, "commission_id": commissions[key]})
        assessed = {}
        for key, given in row.areas.items():
            one = {"maturity": given.get("maturity", 0), "need": given.get("need", 0),
                   "can_mentor": given.get("can_mentor", False)}
            assessed[key] = [one["maturity"], one["need"], int(one["can_mentor"])]
            assessments.append({"city_id": city_id, "area_id": areas[key], "is_current": True, "evidence": "",
                                "assessed_at": now, "assessed_by_id": actor_id, **one})
        after = {k: city[k] for k in SNAPSHOT_FIELDS}
        after.update(languages=list(row.languages or ()), commissions=sorted(row.commissions or ()), **assessed)
        events.append({"actor_id": actor_id, "action": "city.import", "object_type": "city",
                       "object_id": str(city_id), "after": after, "request_id": current_request_id(),
                       "at": now})
    for model, items in ((CityLanguage, languages), (CityCommission, memberships), (Assessment, assessments),
                         (AuditEvent, events)):
        if items:  # Core executemany: the ORM's bulk path costs more than the database here
            db.session.execute(model.__table__.insert(), items)
    return ids, len(assessments)


SNAPSHOT_FIELDS = ("name", "country", "subdivision", "geonames_id", "region", "population", "latitude",
                   "longitude", "mentor_capacity", "practices", "needs")


def _update(rows: list[ParsedRow], actor):
    current = current_assessments([row.city.id for row in rows])
    updated = unchanged = written = 0
    ids = []
    now = utcnow()
    for row in rows:
        city = row.city
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
        if before != after:
            updated += 1
            city.updated_at = now  # bumps the version: forms opened before the import see a conflict
            changed_before, changed_after = audit.changes(before, after)
            audit.record(actor, "city.import", city, before=changed_before, after=changed_after)
        else:
            unchanged += 1
        ids.append(city.id)
    return updated, unchanged, written, ids


@dataclass
class _Values:
    maturity: int
    need: int
    can_mentor: bool
    evidence: str = ""


def _snapshot(city: City, assessments: dict) -> dict:
    snapshot = {key: getattr(city, key) for key in SNAPSHOT_FIELDS}
    snapshot.update({
        "practices": city.practices or "", "needs": city.needs or "",
        "languages": list(city.language_codes), "commissions": sorted(city.commission_keys),
    })
    for key, a in sorted(assessments.items()):
        snapshot[f"{key}"] = [a.maturity, a.need, int(bool(a.can_mentor))]
    return snapshot
