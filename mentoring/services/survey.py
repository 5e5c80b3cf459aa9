"""Survey import and export: many city profiles as one CSV file.

The file has one row per city and the columns of :func:`columns`: the profile (``name, country, region,
population, latitude, longitude, languages, commissions, capacity, practices, needs``) and, for each
active capability area, ``<key>_maturity`` (0–4), ``<key>_need`` (0–3) and ``<key>_can_mentor`` (0/1).

Reading (:func:`preview_import`) never writes: it decodes (UTF-8, with or without BOM), detects the
delimiter (comma or semicolon), validates every cell and reports every problem by row and column.
:func:`import_csv` writes only a file without a single problem, in the caller's transaction (it flushes;
the caller commits once), so an import is all-or-nothing.

Semantics a coordinator can rely on:

* rows are matched to existing cities on name + country, ignoring case; a matched city is updated,
  any other row creates a city;
* an empty cell means "unknown": it never erases what the database knows (a new city simply has no
  value; an existing city keeps its value);
* ``languages`` and ``commissions``, when given, replace the city's list;
* an area's three cells update the city's current assessment; only areas whose values change get a new
  dated :class:`~mentoring.models.Assessment` row (the previous one stays as history);
* cities created by an import are ``verified`` (a coordinator, or an operator at the command line,
  vouches for the file); the status of existing cities is never changed by an import;
* every created or updated city gets one ``city.import`` audit event.

Exports (:func:`export_csv`) use the same columns, so export → import round-trips. Text cells that a
spreadsheet would run as a formula (starting with ``= + - @``, tab or carriage return) get a leading
``'``; numbers are written as numbers. The import removes exactly that one quote again.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Iterable

from flask import current_app
from flask_babel import gettext as _
from flask_babel import format_decimal, ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    CapabilityArea,
    City,
    CityCommission,
    Commission,
    utcnow,
)
from mentoring.models.cities import MATURITY_LEVELS, MIN_MENTOR_LEVEL, NEED_LEVELS, REGIONS
from mentoring.services import ServiceError
from mentoring.services import cities, geography
from mentoring.services.audit import record
from mentoring.services.taxonomy import active_areas

__all__ = [
    "BASE_COLUMNS",
    "CellError",
    "ImportSummary",
    "SurveyError",
    "SurveyPreview",
    "columns",
    "export_csv",
    "export_query",
    "import_csv",
    "preview_import",
    "template_csv",
]

BASE_COLUMNS = (
    "name", "country", "region", "population", "latitude", "longitude",
    "languages", "commissions", "capacity", "practices", "needs",
)
AREA_FIELDS = ("maturity", "need", "can_mentor")
REQUIRED_COLUMNS = ("name", "country")
TEXT_COLUMNS = ("practices", "needs")

MAX_NAME_LENGTH = 120  # City.name
MAX_TEXT_LENGTH = 4000  # practices, needs
MAX_POPULATION = 100_000_000
MAX_CAPACITY = 20
MAX_LIST_ITEMS = 20
UTF8_BOM = b"\xef\xbb\xbf"
# Cells a spreadsheet would evaluate (OWASP "CSV injection"): neutralised with a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_INT = re.compile(r"[+-]?[0-9]+(?:\.0*)?", re.ASCII)
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


# --- Results ---------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class CellError:
    """One problem: ``row`` is the spreadsheet row (1 is the header; 0 the file as a whole)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.row == 0:
            return self.message
        if not self.column:
            return _("Row %(row)d: %(message)s", row=self.row, message=self.message)
        return _("Row %(row)d, column %(column)s: %(message)s", row=self.row, column=self.column,
                 message=self.message)


@dataclass
class ParsedRow:
    """One data row after validation; ``city`` is the existing city it updates, if any."""

    row: int
    name: str
    country: str
    fields: dict = field(default_factory=dict)  # City attributes given in the file
    languages: list[str] | None = None
    commissions: list[str] | None = None
    areas: dict[str, dict] = field(default_factory=dict)  # key -> {"maturity"?, "need"?, "can_mentor"?}
    errors: list[CellError] = field(default_factory=list)
    city: City | None = None

    @property
    def action(self) -> str:
        return "update" if self.city is not None else "new"


@dataclass
class SurveyPreview:
    """What an import would do: the rows, and every problem that prevents it."""

    columns: list[str]
    rows: list[ParsedRow]
    file_errors: list[CellError]
    delimiter: str = ","

    @property
    def errors(self) -> list[CellError]:
        return sorted(self.file_errors + [e for row in self.rows for e in row.errors], key=lambda e: e.row)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors

    @property
    def new_count(self) -> int:
        return sum(1 for r in self.rows if r.action == "new")

    @property
    def update_count(self) -> int:
        return sum(1 for r in self.rows if r.action == "update")

    @property
    def bad_rows(self) -> int:
        return sum(1 for r in self.rows if r.errors)


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


# --- Columns and the template ----------------------------------------------------------------------


def columns(areas: Iterable[CapabilityArea] | None = None) -> list[str]:
    """The columns of the survey file, in order: the profile, then three per active area."""
    areas = active_areas() if areas is None else areas
    return list(BASE_COLUMNS) + [f"{a.key}_{suffix}" for a in areas for suffix in AREA_FIELDS]


def template_csv() -> str:
    """The header row and one example row (a fictitious city), to fill in a spreadsheet."""
    areas = active_areas()
    example = {
        "name": "Exampleville", "country": "PT", "region": "europe", "population": 250000,
        "latitude": 38.72, "longitude": -9.14, "languages": "pt;en", "commissions": "digital_cities",
        "capacity": 1,
        "practices": "Open data portal with 300 datasets; one-stop shop for permits.",
        "needs": "Cybersecurity for municipal IT; digital skills for staff.",
    }
    for i, area in enumerate(areas[:3]):
        example[f"{area.key}_maturity"] = (4, 3, 1)[i]
        example[f"{area.key}_need"] = (0, 1, 3)[i]
        example[f"{area.key}_can_mentor"] = (1, 0, 0)[i]
    return _write_rows(columns(areas), [example])


# --- Reading ---------------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str | None, list[CellError]]:
    """The file's text (UTF-8, BOM removed), or the reason it cannot be read."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(data) > 1 and b"\x00" in data[:200]):
        return None, [CellError(0, "", _("This file is in UTF-16. Please save the file as UTF-8 (CSV UTF-8) "
                                         "and upload it again."))]
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return None, [CellError(0, "", _("The file is not UTF-8 text (first bad byte on line %(line)d). Please save "
                                         "the file as UTF-8 (CSV UTF-8) and upload it again.", line=line))]
    if "\x00" in text:
        return None, [CellError(0, "", _("The file contains binary data. Please save the file as UTF-8 (CSV UTF-8) "
                                         "and upload it again."))]
    return text, []


def detect_delimiter(text: str) -> str:
    """Comma or semicolon, sniffed on the header line (the header has many cells and no quotes).

    Only the delimiter is taken from :class:`csv.Sniffer`; quoting stays that of RFC 4180, because
    the sniffer may guess ``'`` as the quote character from the text of practices.
    """
    header = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(header, delimiters=",;").delimiter
    except csv.Error:
        return ";" if header.count(";") > header.count(",") else ","


def preview_import(data: bytes, *, max_bytes: int | None = None) -> SurveyPreview:
    """Decode, parse and validate a survey file against the database, without writing anything."""
    if max_bytes is not None and len(data) > max_bytes:
        return SurveyPreview([], [], [CellError(0, "", _("The file is larger than %(size)s bytes.",
                                                         size=format_decimal(max_bytes)))])
    text, errors = decode(data)
    if text is None:
        return SurveyPreview([], [], errors)
    delimiter = detect_delimiter(text)
    areas = active_areas()
    known = set(columns(areas))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records = []
    try:
        for record_ in reader:
            records.append(record_)
    except csv.Error as error:
        return SurveyPreview([], [], [CellError(0, "", _("The file is not valid CSV near line %(line)d (%(error)s). "
                                                         "Check the quotes in that line.", line=reader.line_num,
                                                         error=str(error)))], delimiter)
    if not records or not any(cell.strip() for cell in records[0]):
        return SurveyPreview([], [], [CellError(0, "", _("The file is empty: the first row must name the "
                                                         "columns."))], delimiter)

    header = [cell.strip().lower() for cell in records[0]]
    body = records[1:]
    file_errors, unknown = _check_header(header, body, known)
    if file_errors:
        return SurveyPreview(header, [], file_errors + unknown, delimiter)
    # Unknown columns alone still let the rows be checked, so one round of corrections suffices.
    file_errors = unknown
    header = [name if name in known else "" for name in header]

    commissions = set(db.session.scalars(select(Commission.key)))
    area_keys = [a.key for a in areas]
    rows: list[ParsedRow] = []
    for index, record_ in enumerate(body, start=2):
        if not any(cell.strip() for cell in record_):
            continue  # blank lines are allowed
        rows.append(_parse_row(index, header, record_, delimiter, commissions, area_keys))
    if not rows:
        file_errors.append(CellError(0, "", _("The file has no city rows below the header.")))
    _check_duplicates(rows)
    _match_and_check_against_database(rows, area_keys)
    return SurveyPreview(header, rows, file_errors, delimiter)


def _check_header(header: list[str], body: list[list[str]], known: set[str]):
    """Problems of the header row: ``(fatal, unknown_columns)``; rows can still be read after the second."""
    errors, seen = [], set()
    for position, name in enumerate(header):
        if not name:
            # Spreadsheets sometimes add a trailing empty column; tolerate it only when it is empty.
            if any(len(r) > position and r[position].strip() for r in body):
                errors.append(CellError(1, "", _("Column %(n)d has values but no name.", n=position + 1)))
            continue
        if name in seen:
            errors.append(CellError(1, name, _("This column appears twice.")))
        seen.add(name)
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        errors.append(CellError(1, ", ".join(missing), _("Required columns are missing: %(names)s.",
                                                         names=", ".join(missing))))
    unknown = [name for name in header if name and name not in known]
    unknown_errors = []
    if unknown:
        names = ", ".join(_short(n) for n in unknown[:20]) + (" …" if len(unknown) > 20 else "")
        unknown_errors.append(CellError(1, names, _("Unknown columns: %(names)s. Download the template to see "
                                                    "the expected columns.", names=names)))
    return errors, unknown_errors


def _unescape(value: str) -> str:
    """Undo the export's formula guard: one leading quote before a would-be formula."""
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _parse_row(index, header, record_, delimiter, commissions, area_keys) -> ParsedRow:
    cells: dict[str, str] = {}
    row = ParsedRow(index, "", "")
    if len(record_) > len(header):
        extra = record_[len(header):]
        if any(cell.strip() for cell in extra):
            row.errors.append(CellError(index, "", _("This row has %(n)d cells but the header has %(m)d.",
                                                     n=len(record_), m=len(header))))
    for name, raw in zip(header, record_):
        if name:
            value = _unescape(raw)
            # Texts keep their exact content (export → import is lossless); codes and numbers are trimmed.
            cells[name] = value if name in TEXT_COLUMNS and value.strip() else value.strip()

    def error(column: str, message: str) -> None:
        row.errors.append(CellError(index, column, message))

    # Identity
    row.name = " ".join(cells.get("name", "").split())
    if not row.name:
        error("name", _("The city's name is required."))
    elif len(row.name) > MAX_NAME_LENGTH:
        error("name", _("Use at most %(n)d characters.", n=MAX_NAME_LENGTH))
    row.country = cells.get("country", "").upper()
    if not row.country:
        error("country", _("The country is required (ISO 3166-1 alpha-2 code, e.g. FR)."))
    elif not geography.is_country(row.country) or len(row.country) != 2:
        error("country", _("“%(value)s” is not an ISO 3166-1 alpha-2 country code (e.g. FR, BR, KE).",
                           value=cells["country"]))
    region = cells.get("region", "").lower()
    if region:
        if region not in REGIONS:
            error("region", _("Unknown region “%(value)s”; use one of: %(keys)s.", value=cells["region"],
                              keys=", ".join(REGIONS)))
        else:
            row.fields["region"] = region

    # Numbers
    for column, attribute, low, high, parse in (
        ("population", "population", 0, MAX_POPULATION, _to_int),
        ("capacity", "mentor_capacity", 0, MAX_CAPACITY, _to_int),
        ("latitude", "latitude", -90, 90, _to_float),
        ("longitude", "longitude", -180, 180, _to_float),
    ):
        raw = cells.get(column, "")
        if not raw:
            continue
        value = parse(raw, delimiter)
        if value is None:
            error(column, _("“%(value)s” is not a number.", value=_short(raw)))
        elif not low <= value <= high:
            error(column, _("Use a number from %(low)s to %(high)s.", low=low, high=high))
        else:
            row.fields[attribute] = value

    # Lists
    if cells.get("languages"):
        codes = _split_list(cells["languages"])
        bad = [c for c in codes if not geography.is_language(c)]
        if bad:
            error("languages", _("Not ISO 639-1 language codes: %(codes)s (use e.g. en;fr;es).",
                                 codes=", ".join(_short(c) for c in bad[:5])))
        elif len(codes) > MAX_LIST_ITEMS:
            error("languages", _("Give at most %(n)d languages.", n=MAX_LIST_ITEMS))
        else:
            row.languages = [c.lower() for c in codes]
    if cells.get("commissions"):
        keys = [k.lower() for k in _split_list(cells["commissions"])]
        bad = [k for k in keys if k not in commissions]
        if bad:
            error("commissions", _("Unknown commissions: %(keys)s (known: %(known)s).",
                                   keys=", ".join(_short(k) for k in bad[:5]), known=", ".join(sorted(commissions))))
        else:
            row.commissions = keys

    # Texts
    for column in ("practices", "needs"):
        value = cells.get(column, "")
        if len(value) > MAX_TEXT_LENGTH:
            error(column, _("Use at most %(n)d characters.", n=MAX_TEXT_LENGTH))
        elif value:
            row.fields[column] = value

    # Areas
    for key in area_keys:
        values = {}
        for suffix, allowed in (("maturity", MATURITY_LEVELS), ("need", NEED_LEVELS), ("can_mentor", (0, 1))):
            column = f"{key}_{suffix}"
            raw = cells.get(column, "")
            if not raw:
                continue
            value = _to_int(raw, delimiter)
            if value is None or value not in allowed:
                error(column, _("Use a whole number from %(low)d to %(high)d.", low=allowed[0], high=allowed[-1]))
            else:
                values[suffix] = bool(value) if suffix == "can_mentor" else value
        if values:
            row.areas[key] = values
    return row


def _check_duplicates(rows: list[ParsedRow]) -> None:
    first: dict[tuple[str, str], int] = {}
    for row in rows:
        if not row.name or not row.country:
            continue
        key = (row.name.casefold(), row.country)
        if key in first:
            row.errors.append(CellError(row.row, "name", _("The same city is already in row %(row)d.",
                                                           row=first[key])))
        else:
            first[key] = row.row


def _match_and_check_against_database(rows: list[ParsedRow], area_keys: list[str]) -> None:
    """Find the cities the rows update, then check rules that depend on their current values."""
    countries = {row.country for row in rows if row.country}
    existing: dict[tuple[str, str], City] = {}
    if countries:
        # Case-insensitive matching is done here, not in SQL: SQLite's lower() ignores non-ASCII letters.
        query = select(City).where(City.country.in_(countries)).options(
            selectinload(City.languages), selectinload(City.commissions)
        )
        for city in db.session.scalars(query):
            existing.setdefault((city.name.casefold(), city.country.upper()), city)
    for row in rows:
        row.city = existing.get((row.name.casefold(), row.country))
    current = _current_assessments([row.city.id for row in rows if row.city is not None])
    for row in rows:
        if row.city is None and "region" not in row.fields and row.country and geography.is_country(row.country):
            if geography.region_for_country(row.country) is None:
                row.errors.append(CellError(row.row, "region", _("Give the region: it cannot be derived from "
                                                                  "the country.")))
        known = current.get(row.city.id, {}) if row.city is not None else {}
        for key, given in row.areas.items():
            if any(e.column.startswith(f"{key}_") for e in row.errors):
                continue  # its cells are already reported
            before = known.get(key)
            if before is None and "maturity" not in given:
                row.errors.append(CellError(row.row, f"{key}_maturity", _("Give the maturity level when you give "
                                                                           "a need or a mentoring offer.")))
                continue
            maturity = given.get("maturity", before.maturity if before else 0)
            can_mentor = given.get("can_mentor", before.can_mentor if before else False)
            if can_mentor and maturity < MIN_MENTOR_LEVEL:
                row.errors.append(CellError(row.row, f"{key}_can_mentor", _("A city can mentor only in an area at "
                                                                             "maturity 3 or 4.")))


def _current_assessments(city_ids: list[int]) -> dict[int, dict[str, Assessment]]:
    result: dict[int, dict[str, Assessment]] = {}
    for chunk in _chunks(city_ids, 500):
        for assessment in db.session.scalars(
            select(Assessment).where(Assessment.city_id.in_(chunk), Assessment.is_current)
        ):
            result.setdefault(assessment.city_id, {})[assessment.area.key] = assessment
    return result


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _short(value: str, limit: int = 30) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _split_list(value: str) -> list[str]:
    items = []
    for item in re.split(r"[;,]", value):
        item = item.strip()
        if item and item not in items:
            items.append(item)
    return items


def _to_int(raw: str, delimiter: str) -> int | None:
    if not _INT.fullmatch(raw):
        return None
    return int(raw.split(".")[0])


def _to_float(raw: str, delimiter: str) -> float | None:
    # A semicolon file usually comes from a spreadsheet in a language that writes 45,76.
    if delimiter == ";" and raw.count(",") == 1 and "." not in raw:
        raw = raw.replace(",", ".")
    if not _FLOAT.fullmatch(raw):
        return None
    return float(raw)


# --- Writing ---------------------------------------------------------------------------------------


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
    current = _current_assessments([row.city.id for row in preview.rows if row.city is not None])
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
            record(actor, "city.import", city, after=after)
        elif before != after:
            updated += 1
            city.updated_at = now  # bumps the version: forms opened before the import see a conflict
            changed_before, changed_after = _changes(before, after)
            record(actor, "city.import", city, before=changed_before, after=changed_after)
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


def _changes(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


# --- Export ----------------------------------------------------------------------------------------


def export_query(*, region: str | None = None, country: str | None = None, commission: str | None = None,
                 status: str | None = None):
    """The cities to export, filtered; unknown filter values simply match nothing."""
    query = select(City).options(
        selectinload(City.languages),
        selectinload(City.commissions),
        selectinload(City.assessments),
    ).order_by(City.country, City.name, City.id)
    if region:
        query = query.where(City.region == region)
    if country:
        query = query.where(City.country == country.upper())
    if status:
        query = query.where(City.status == status)
    if commission:
        query = query.where(City.commissions.any(CityCommission.commission.has(Commission.key == commission)))
    return query


def export_csv(*, bom: bool = False, **filters) -> str:
    """The directory (or the part chosen by ``filters``, see :func:`export_query`) as survey CSV."""
    areas = active_areas()
    header = columns(areas)
    rows = []
    for city in db.session.scalars(export_query(**filters)):
        row = {
            "name": city.name, "country": city.country, "region": city.region, "population": city.population,
            "latitude": city.latitude, "longitude": city.longitude,
            "languages": ";".join(city.language_codes), "commissions": ";".join(sorted(city.commission_keys)),
            "capacity": city.mentor_capacity, "practices": city.practices or "", "needs": city.needs or "",
        }
        for assessment in city.assessments:
            key = assessment.area.key
            row[f"{key}_maturity"] = assessment.maturity
            row[f"{key}_need"] = assessment.need
            row[f"{key}_can_mentor"] = int(bool(assessment.can_mentor))
        rows.append(row)
    text = _write_rows(header, rows)
    return ("\ufeff" + text) if bom else text


def _write_rows(header: list[str], rows: list[dict]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in header])
    return out.getvalue()


def _cell(value) -> str | int | float:
    """A safe cell: numbers stay numbers; text that a spreadsheet would evaluate gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    if text.lstrip("'").startswith(FORMULA_STARTS) and (text.startswith(FORMULA_STARTS) or text.startswith("'")):
        return "'" + text
    return text


def export_filename(**filters) -> str:
    parts = ["cities"] + [re.sub(r"[^a-z0-9_]+", "-", str(v).lower()) for v in filters.values() if v]
    return "-".join(parts) + f"-{utcnow():%Y%m%d}.csv"


# --- Uploads kept between preview and confirmation -------------------------------------------------

UPLOAD_MAX_AGE = 3600  # seconds
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


def _upload_dir() -> str:
    path = os.path.join(current_app.instance_path, "survey_uploads")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def store_upload(data: bytes) -> tuple[str, str]:
    """Keep an uploaded file server-side until it is confirmed; returns ``(token, sha256)``.

    The preview page then confirms *this* content (checked against the hash), never a re-upload.
    Files older than an hour are removed on the way.
    """
    directory = _upload_dir()
    cutoff = time.time() - UPLOAD_MAX_AGE
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        try:
            if os.path.getmtime(path) < cutoff:
                os.remove(path)
        except OSError:
            pass
    token = secrets.token_urlsafe(32)
    with open(os.path.join(directory, f"{token}.csv"), "xb") as handle:
        handle.write(data)
    return token, hashlib.sha256(data).hexdigest()


def load_upload(token: str, sha256: str) -> bytes | None:
    """The stored file for ``token`` if it still exists and still has the hash given at upload."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    path = os.path.join(_upload_dir(), f"{token}.csv")
    try:
        if os.path.getmtime(path) < time.time() - UPLOAD_MAX_AGE:
            return None
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    if not secrets.compare_digest(hashlib.sha256(data).hexdigest(), sha256 or ""):
        return None
    return data


def discard_upload(token: str) -> None:
    if _TOKEN.fullmatch(token or ""):
        try:
            os.remove(os.path.join(_upload_dir(), f"{token}.csv"))
        except OSError:
            pass

