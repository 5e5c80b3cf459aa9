"""Checking a survey file against the database: what an import would do, and every problem preventing it.

Reading never writes. A row is matched to an existing city by its GeoNames id if it gives one, else by
name + country + subdivision, else by name + country when only one city has them (names ignoring case);
a row that could be either of two cities is an error naming both. Rules
that depend on a city's current values (an offer needs maturity 3 or 4; a capacity cannot go below
the mentor places in use) are checked here, so that the preview shows every problem at once.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import Assessment, City, Commission
from mentoring.models.cities import MIN_MENTOR_LEVEL
from mentoring.services import ServiceError, geography
from mentoring.services.survey.columns import columns
from mentoring.services.survey.parse import (
    CellError,
    ParsedRow,
    check_header,
    decode,
    detect_delimiter,
    parse_row,
)
from mentoring.services.taxonomy import active_areas


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
        """Rows that change an existing city (each change is listed in :attr:`ParsedRow.changes`)."""
        return sum(1 for r in self.rows if r.action == "update")

    @property
    def unchanged_count(self) -> int:
        """Rows of existing cities that the file leaves as they are: counted, not listed."""
        return sum(1 for r in self.rows if r.action == "unchanged")

    @property
    def bad_rows(self) -> int:
        return sum(1 for r in self.rows if r.errors)


def preview_import(data: bytes, *, max_bytes: int | None = None, progress=None) -> SurveyPreview:
    """Decode, parse and validate a survey file against the database, without writing anything.

    The file is read and checked :data:`CHUNK` rows at a time; each checked row keeps only what the preview
    shows (its payload is dropped), so memory stays flat in the number of rows. ``progress(done, total)`` is
    called after each chunk.
    """
    source = open_survey(data, max_bytes=max_bytes)
    if source.preview is not None:
        return source.preview
    checker = Checker(source.area_keys)
    rows: list[ParsedRow] = []
    for chunk in source.chunks():
        checker.check(chunk)
        rows.extend(row.slim() for row in chunk)
        if progress:
            progress(source.done, source.total)
    return source.finish(rows)


#: Rows read, checked (and, by the import, written) at a time.
CHUNK = 1000


class SurveySource:
    """A survey file being read: its header, then its rows :data:`CHUNK` at a time (:meth:`chunks`).

    ``preview`` is set instead when the file cannot be read at all (encoding, header). Problems of the file
    as a whole found while reading (CSV syntax, values under a column without a name, no row) are returned by
    :meth:`finish`.
    """

    def __init__(self, data: bytes, max_bytes: int | None = None):
        self.preview: SurveyPreview | None = None
        self.file_errors: list[CellError] = []
        self.done = 0
        self.total = max(1, data.count(b"\n"))
        if max_bytes is not None and len(data) > max_bytes:
            self.preview = SurveyPreview([], [], [CellError(0, "", _("The file is larger than %(size)s bytes.",
                                                                     size=format_decimal(max_bytes)))])
            return
        stream, errors = decode(data)
        if stream is None:
            self.preview = SurveyPreview([], [], errors)
            return
        self.delimiter = detect_delimiter(stream.readline().rstrip("\r\n"))
        stream.seek(0)
        areas = active_areas()
        known = set(columns(areas))
        self.reader = csv.reader(stream, delimiter=self.delimiter, strict=True)
        try:
            first = next(self.reader, None)
        except csv.Error as error:
            self.preview = SurveyPreview([], [], [self._csv_error(error)], self.delimiter)
            return
        if not first or not any(cell.strip() for cell in first):
            self.preview = SurveyPreview([], [], [CellError(0, "", _("The file is empty: the first row must name "
                                                                     "the columns."))], self.delimiter)
            return
        self.raw_header = [cell.strip().lower() for cell in first]
        fatal, unknown = check_header(self.raw_header, [], known)
        if fatal:
            self.preview = SurveyPreview(self.raw_header, [], fatal + unknown, self.delimiter)
            return
        # Unknown columns alone still let the rows be checked, so one round of corrections suffices.
        self.file_errors = unknown
        self.header = [name if name in known else "" for name in self.raw_header]
        self.unnamed = [i for i, name in enumerate(self.raw_header) if not name]
        self.unnamed_used: set[int] = set()
        self.commissions = set(db.session.scalars(select(Commission.key)))
        self.area_keys = [a.key for a in areas]
        self.rows = 0

    def _csv_error(self, error: csv.Error) -> CellError:
        return CellError(0, "", _("The file is not valid CSV near line %(line)d (%(error)s). Check the quotes in "
                                  "that line.", line=self.reader.line_num, error=str(error)))

    def chunks(self):
        """Lists of parsed rows (blank lines skipped), each checked by the caller before the next is read."""
        chunk: list[ParsedRow] = []
        index = 1
        try:
            for index, record_ in enumerate(self.reader, start=2):
                if not any(cell.strip() for cell in record_):
                    continue  # blank lines are allowed
                for position in self.unnamed:
                    if len(record_) > position and record_[position].strip():
                        self.unnamed_used.add(position)
                chunk.append(parse_row(index, self.header, record_, self.delimiter, self.commissions,
                                       self.area_keys))
                if len(chunk) == CHUNK:
                    self.done, self.rows = self.reader.line_num, self.rows + len(chunk)
                    yield chunk
                    chunk = []
        except csv.Error as error:
            self.file_errors = [self._csv_error(error)]
            self.rows = -1  # the file is unreadable from here on: no row counts
            return
        if chunk:
            self.done, self.rows = self.reader.line_num, self.rows + len(chunk)
            yield chunk

    def problems(self) -> list[CellError]:
        """Problems of the file as a whole, known once every chunk has been read."""
        if self.rows < 0:
            return self.file_errors
        fatal = [CellError(1, "", _("Column %(n)d has values but no name.", n=position + 1))
                 for position in sorted(self.unnamed_used)]
        if fatal:
            return fatal + self.file_errors
        if self.rows == 0:
            return self.file_errors + [CellError(0, "", _("The file has no city rows below the header."))]
        return self.file_errors

    def finish(self, rows: list[ParsedRow]) -> SurveyPreview:
        problems = self.problems()
        if self.rows < 0 or self.unnamed_used:  # the rows are not what the file means: none is shown
            return SurveyPreview(self.raw_header, [], problems, self.delimiter)
        return SurveyPreview(self.header, rows, problems, self.delimiter)


def open_survey(data: bytes, *, max_bytes: int | None = None) -> SurveySource:
    return SurveySource(data, max_bytes)


def _identity(row: ParsedRow):
    """What makes a row one city: its GeoNames id, else its name in its country and subdivision."""
    if row.geonames_id is not None:
        return ("geonames", row.geonames_id)
    return (row.name.casefold(), row.country, row.subdivision)


class Checker:
    """Checks rows chunk by chunk: duplicates within the file, the city each row updates, and the rules that
    depend on that city's current values. Existing cities are loaded per country as rows name them; cities
    created by this import (``created``, ids) are never candidates, so the import matches as the preview did.
    """

    def __init__(self, area_keys: list[str]):
        self.area_keys = area_keys
        self.first: dict = {}
        self.countries: set[str] = set()
        self.by_name: dict[tuple[str, str], list[City]] = {}
        self.by_geonames: dict[int, City] = {}
        self.created: set[int] = set()

    def check(self, rows: list[ParsedRow]) -> dict[int, dict[str, Assessment]]:
        """Check ``rows``; returns the current assessments of the cities they update."""
        self._check_duplicates(rows)
        self._load(rows)
        for row in rows:
            if row.name and row.country:
                _match(row, self.by_geonames, self.by_name)
        current = current_assessments([row.city.id for row in rows if row.city is not None])
        for row in rows:
            _check_row(row, current.get(row.city.id, {}) if row.city is not None else {})
        return current

    def _check_duplicates(self, rows: list[ParsedRow]) -> None:
        """Two rows are the same city only by :func:`_identity`: Suzhou (Jiangsu) and Suzhou (Anhui) are two,
        and so are two Changzhi of Shanxi with their own GeoNames ids."""
        for row in rows:
            if not row.name or not row.country:
                continue
            key = _identity(row)
            if key in self.first:
                row.errors.append(CellError(row.row, "name", _("The same city is already in row %(row)d.",
                                                               row=self.first[key])))
            else:
                self.first[key] = row.row

    def _load(self, rows: list[ParsedRow]) -> None:
        countries = {row.country for row in rows if row.country} - self.countries
        if countries:
            self.countries |= countries
            # Case-insensitive matching is done here, not in SQL: SQLite's lower() ignores non-ASCII letters.
            query = select(City).where(City.country.in_(countries)).options(
                selectinload(City.languages), selectinload(City.commissions))
            for city in db.session.scalars(query):
                if city.id not in self.created:
                    self._add(city)
        wanted = [row.geonames_id for row in rows
                  if row.geonames_id is not None and row.geonames_id not in self.by_geonames]
        for chunk in _chunks(wanted, 500):  # ids moved to another country (a corrected row) are still that city
            for city in db.session.scalars(select(City).where(City.geonames_id.in_(chunk))):
                if city.id not in self.created and city.geonames_id not in self.by_geonames:
                    self._add(city)

    def _add(self, city: City) -> None:
        key = (city.name.casefold(), city.country.upper())
        if city not in self.by_name.get(key, ()):
            self.by_name.setdefault(key, []).append(city)
        if city.geonames_id is not None:
            self.by_geonames[city.geonames_id] = city


def label(city: City) -> str:
    """A city as an error message names it: name, subdivision, country, GeoNames id."""
    parts = [city.name] + [p for p in (city.subdivision, city.country) if p]
    text = ", ".join(parts)
    return f"{text} (GeoNames {city.geonames_id})" if city.geonames_id else text


def _match(row: ParsedRow, by_geonames: dict, by_name: dict) -> None:
    if row.geonames_id is not None and row.geonames_id in by_geonames:
        row.city = by_geonames[row.geonames_id]
        return
    candidates = by_name.get((row.name.casefold(), row.country), [])
    if row.geonames_id is not None:  # a new id: only a city without one can be it
        candidates = [c for c in candidates if c.geonames_id is None]
    if row.subdivision:
        exact = [c for c in candidates if c.subdivision == row.subdivision]
        # A city recorded without its subdivision is this one when it is the only one of that name.
        candidates = exact or [c for c in candidates if not c.subdivision and len(candidates) == 1]
    candidates = sorted(candidates, key=lambda c: (c.subdivision, c.geonames_id or 0, c.id))
    if len(candidates) == 1:
        row.city = candidates[0]
    elif len(candidates) > 1:
        row.errors.append(CellError(row.row, "subdivision", _(
            "“%(name)s” could be %(first)s or %(second)s: give the subdivision or the GeoNames id.",
            name=row.name, first=label(candidates[0]), second=label(candidates[1]))))


def _check_row(row: ParsedRow, known: dict[str, Assessment]) -> None:
    """Rules that depend on the city's current values (``known``: its current assessments by area)."""
    if row.city is None and "region" not in row.fields and row.country:
        if geography.region_for_country(row.country) is None:
            row.errors.append(CellError(row.row, "region", _("Give the region: it cannot be derived from "
                                                              "the country.")))
    if row.city is not None and "mentor_capacity" in row.fields:
        _check_capacity(row)
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
    if row.city is not None:
        row.changes = changes(row, known)


#: The file's column for a City attribute, where they differ.
COLUMN_OF = {"mentor_capacity": "capacity"}
CHANGE_TEXT_MAX = 80


def changes(row: ParsedRow, known: dict[str, Assessment]) -> list[tuple[str, str, str]]:
    """``(column, before, after)`` for every value of ``row`` that differs from its city's (shown as text).

    An empty cell changes nothing (it means "unknown"), so only given values are compared; lists compare
    as the import writes them (languages in order, commissions as a set).
    """
    city = row.city
    found = []
    for attribute, value in row.fields.items():
        old = getattr(city, attribute)
        if attribute in TEXT_FIELDS:
            old = old or ""
        if old != value:
            found.append((COLUMN_OF.get(attribute, attribute), _shown(old), _shown(value)))
    if row.languages is not None and list(city.language_codes) != row.languages:
        found.append(("languages", ";".join(city.language_codes), ";".join(row.languages)))
    if row.commissions is not None and sorted(city.commission_keys) != sorted(row.commissions):
        found.append(("commissions", ";".join(sorted(city.commission_keys)), ";".join(sorted(row.commissions))))
    for key, given in row.areas.items():
        old = known.get(key)
        for suffix, value in given.items():
            before = getattr(old, suffix) if old is not None else None
            if suffix == "can_mentor" and before is not None:
                before = bool(before)
            if before != value:
                found.append((f"{key}_{suffix}", _shown(before), _shown(value)))
    return found


TEXT_FIELDS = ("practices", "needs", "subdivision")


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    text = str(value)
    return text if len(text) <= CHANGE_TEXT_MAX else text[:CHANGE_TEXT_MAX - 1] + "…"


def current_assessments(city_ids: list[int]) -> dict[int, dict[str, Assessment]]:
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


def _check_capacity(row: ParsedRow) -> None:
    """A capacity lowered below the mentor places in use is refused (an approved pair could never start)."""
    capacity = row.fields["mentor_capacity"]
    if capacity >= (row.city.mentor_capacity or 0):
        return  # raising or keeping the capacity never strands a pair
    try:
        rules.check_capacity_change(row.city, capacity, field="capacity")
    except ServiceError as error:
        row.errors.extend(CellError(row.row, "capacity", str(m)) for m in error.errors["capacity"])
