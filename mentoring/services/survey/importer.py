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

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select, text

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
from mentoring.services.survey.validate import Checker, open_survey


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


def import_csv(data: bytes, actor, *, max_bytes: int | None = None, progress=None) -> ImportSummary:
    """Validate the file and, only if it has no problem at all, create and update its cities.

    One pass, :data:`~mentoring.services.survey.validate.CHUNK` rows at a time (memory stays flat in the
    number of rows): each chunk is checked, then written inside a SAVEPOINT while no problem has been found;
    after the first problem the rest is only checked. Any problem rolls the SAVEPOINT back and raises
    :class:`SurveyError` listing every problem: nothing is written then, whatever the caller does next.
    Flushes; the caller commits (one transaction for the whole file). ``progress(done, total)`` (lines) is
    called after each chunk.
    """
    source = open_survey(data, max_bytes=max_bytes)
    if source.preview is not None:
        raise _refusal(source.preview.errors)
    checker = Checker(source.area_keys)
    areas = {a.key: a.id for a in db.session.scalars(select(CapabilityArea))}
    commissions = {c.key: c.id for c in db.session.scalars(select(Commission))}
    errors: list[CellError] = []
    counts = [0, 0, 0, 0]  # created, updated, unchanged, assessments written
    ids: list[int] = []
    savepoint = db.session.begin_nested()
    try:
        for chunk in source.chunks():
            current = checker.check(chunk)
            errors += [error for row in chunk for error in row.errors]
            if not errors:  # after the first problem, the rest of the file is only checked
                _write(chunk, actor, current, checker, areas, commissions, counts, ids)
            if progress:
                progress(source.done, source.total)
        errors = sorted(source.problems() + errors, key=lambda e: e.row)
        if errors or not source.rows:
            raise _refusal(errors)
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    db.session.flush()
    if counts[0] + counts[1] >= current_app.config["SURVEY_ANALYZE_CITIES"]:
        refresh_statistics()
    return ImportSummary(*counts, tuple(ids))


#: The tables an import writes (their statistics are refreshed after a large one).
WRITTEN = (City, CityLanguage, CityCommission, Assessment, AuditEvent)


def refresh_statistics() -> None:
    """ANALYZE the tables an import writes, on PostgreSQL (SQLite plans without statistics of its own).

    Runs in the import's transaction: ANALYZE counts the rows this transaction inserted, takes a lock
    that blocks neither readers nor writers, and its figures are rolled back with the import if the
    caller does not commit."""
    bind = db.session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    quote = bind.dialect.identifier_preparer.quote
    db.session.execute(text("ANALYZE " + ", ".join(quote(model.__table__.name) for model in WRITTEN)))


def _refusal(errors: list[CellError]) -> SurveyError:
    return SurveyError(ngettext("Nothing was imported: the file has %(num)d problem.",
                                "Nothing was imported: the file has %(num)d problems.", len(errors))
                       if errors else _("Nothing was imported: the file has no cities."), errors)


def _write(chunk: list[ParsedRow], actor, current, checker, areas, commissions, counts, ids) -> None:
    """Create the new cities of a checked chunk in bulk, then update the existing ones."""
    new = [row for row in chunk if row.city is None]
    for start in range(0, len(new), BATCH):
        batch_ids, written = _create(new[start:start + BATCH], actor, areas, commissions)
        checker.created.update(batch_ids)  # a later row never "updates" a city this file created
        ids += batch_ids
        counts[0] += len(batch_ids)
        counts[3] += written
    updated, unchanged, written, update_ids = _update([row for row in chunk if row.city is not None], actor,
                                                      current)
    ids += update_ids
    counts[1] += updated
    counts[2] += unchanged
    counts[3] += written


#: Rows written per bulk INSERT.
BATCH = 1000


def _create(rows: list[ParsedRow], actor, areas: dict[str, int], commissions: dict[str, int]):
    """Insert the cities of ``rows`` (none exists yet) with their lists and assessments, in bulk."""
    now = utcnow()
    actor_id = getattr(actor, "id", None)
    values = []
    timezones: dict[str, str | None] = {}
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
            "timezone": (known or {}).get("timezone") or _timezone(timezones, row.country),
            "status": "verified", "verified_at": now, "verified_by_id": actor_id, "is_demo": False,
            "created_at": now, "updated_at": now, "version": 1, "wants_mentor": True, "priority": 1.0,
            **fields,
        })
    table = City.__table__
    ids = list(db.session.scalars(table.insert().returning(table.c.id, sort_by_parameter_order=True), values))
    # Assessments are most of the rows (one per city and area): written as driver-ready tuples.
    to_driver = _driver_values(Assessment.__table__)
    yes, no = to_driver("can_mentor", True), to_driver("can_mentor", False)
    constant = (to_driver("is_current", True), "", to_driver("assessed_at", now), actor_id)
    languages, memberships, assessments, events = [], [], [], []
    for row, city_id, city in zip(rows, ids, values):
        for position, code in enumerate(row.languages or ()):
            languages.append({"city_id": city_id, "code": code, "position": position})
        for key in row.commissions or ():
            memberships.append({"city_id": city_id, "commission_id": commissions[key]})
        assessed = {}
        for key, given in row.areas.items():
            maturity, need, can_mentor = given.get("maturity", 0), given.get("need", 0), given.get("can_mentor", False)
            assessed[key] = [maturity, need, int(can_mentor)]
            assessments.append((city_id, areas[key], maturity, need, yes if can_mentor else no) + constant)
        after = {k: city[k] for k in SNAPSHOT_FIELDS}
        after.update(languages=list(row.languages or ()), commissions=sorted(row.commissions or ()), **assessed)
        events.append({"actor_id": actor_id, "action": "city.import", "object_type": "city",
                       "object_id": str(city_id), "after": after, "request_id": current_request_id(),
                       "at": now})
    for model, items in ((CityLanguage, languages), (CityCommission, memberships), (AuditEvent, events)):
        if items:  # Core executemany: the ORM's bulk path costs more than the database here
            db.session.execute(model.__table__.insert(), items)
    _insert_many(Assessment.__table__, ASSESSMENT_COLUMNS, assessments)
    return ids, len(assessments)


ASSESSMENT_COLUMNS = ("city_id", "area_id", "maturity", "need", "can_mentor", "is_current", "evidence", "assessed_at",
                      "assessed_by_id")


def _driver_values(table):
    """``to_driver(column, value)``: the value as the database driver takes it (the column type's bind
    processing, done once for a value that many rows share)."""
    dialect = db.session.connection().dialect

    def to_driver(column: str, value):
        process = table.c[column].type.bind_processor(dialect)
        return process(value) if process else value

    return to_driver


def _insert_many(table, names: tuple[str, ...], rows: list[tuple]) -> None:
    """One executemany of driver-ready tuples (see :func:`_driver_values`), without SQLAlchemy's per-row
    parameter processing: a quarter of a survey's import time went there."""
    if not rows:
        return
    connection = db.session.connection()
    quote = connection.dialect.identifier_preparer.quote
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
                               f"VALUES ({', '.join([mark] * len(names))})", rows)


def _timezone(known: dict[str, str | None], country: str) -> str | None:
    if country not in known:
        known[country] = geography.country_timezone(country)
    return known[country]


SNAPSHOT_FIELDS = ("name", "country", "subdivision", "geonames_id", "region", "population", "latitude",
                   "longitude", "mentor_capacity", "practices", "needs")


def _update(rows: list[ParsedRow], actor, current: dict):
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
