"""Reading a survey file: bytes → text → rows of checked cells (nothing touches the database here)."""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache

from flask_babel import gettext as _

from mentoring import rules
from mentoring.models import City
from mentoring.models.cities import MATURITY_LEVELS, NEED_LEVELS
from mentoring.services import geography
from mentoring.services.cities.validation import (
    MAX_LANGUAGES,
    MAX_MENTOR_CAPACITY,
    MAX_POPULATION,
    hidden_characters,
)
from mentoring.services.survey.columns import (
    REQUIRED_COLUMNS,
    TEXT_COLUMNS,
    UTF8_BOM,
    unescape,
)

_INT = re.compile(r"[+-]?[0-9]+(?:\.0*)?", re.ASCII)
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


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


@dataclass(slots=True)
class ParsedRow:
    """One data row after validation; ``city`` is the existing city it updates, if any."""

    row: int
    name: str
    country: str
    subdivision: str = ""
    geonames_id: int | None = None
    fields: dict = field(default_factory=dict)  # City attributes given in the file
    languages: list[str] | None = None
    commissions: list[str] | None = None
    areas: dict[str, dict] = field(default_factory=dict)  # key -> {"maturity"?, "need"?, "can_mentor"?}
    errors: list[CellError] = field(default_factory=list)
    city: City | None = None
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (column, before, after) of an update
    assessed: int = 0  # areas given, kept by :meth:`slim`

    def slim(self) -> ParsedRow:
        """This row without its values (once checked): what a preview shows of it, in little memory."""
        self.assessed = len(self.areas)
        self.fields, self.areas, self.languages, self.commissions = {}, {}, None, None
        return self

    @property
    def action(self) -> str:
        if self.city is None:
            return "new"
        return "update" if self.changes else "unchanged"


def decode(data: bytes) -> tuple[io.TextIOBase | None, list[CellError]]:
    """The file as a text stream (UTF-8, BOM removed), or the reason it cannot be read.

    The bytes are checked block by block and read as a stream: no copy of the whole file as text is made
    (a str of non-ASCII text takes up to four times the file's size).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(data) > 1 and b"\x00" in data[:200]):
        return None, [CellError(0, "", _("This file is in UTF-16. Please save the file as UTF-8 (CSV UTF-8) "
                                         "and upload it again."))]
    start = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    offset = start
    try:
        for offset in range(start, len(data), DECODE_BLOCK):
            decoder.decode(view[offset:offset + DECODE_BLOCK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, max(start, offset + error.start)) + 1
        return None, [CellError(0, "", _("The file is not UTF-8 text (first bad byte on line %(line)d). Please save "
                                         "the file as UTF-8 (CSV UTF-8) and upload it again.", line=line))]
    if b"\x00" in data:
        return None, [CellError(0, "", _("The file contains binary data. Please save the file as UTF-8 (CSV UTF-8) "
                                         "and upload it again."))]
    # BytesIO shares the bytes (no copy); utf-8-sig drops the BOM, also after a seek back to the start.
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""), []


DECODE_BLOCK = 1 << 16


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


def check_header(header: list[str], body: list[list[str]], known: set[str]):
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
        names = ", ".join(short(n) for n in unknown[:20]) + (" …" if len(unknown) > 20 else "")
        unknown_errors.append(CellError(1, names, _("Unknown columns: %(names)s. Download the template to see "
                                                    "the expected columns.", names=names)))
    return errors, unknown_errors


def parse_row(index, header, record_, delimiter, commissions, area_keys) -> ParsedRow:
    cells: dict[str, str] = {}
    row = ParsedRow(index, "", "")
    if len(record_) > len(header):
        extra = record_[len(header):]
        if any(cell.strip() for cell in extra):
            row.errors.append(CellError(index, "", _("This row has %(n)d cells but the header has %(m)d.",
                                                     n=len(record_), m=len(header))))
    for name, raw in zip(header, record_):
        if name:
            if raw[:1] == "'":
                raw = unescape(raw)
            # Texts keep their exact content (export → import is lossless); codes and numbers are trimmed.
            cells[name] = raw if name in TEXT_COLUMNS and raw.strip() else raw.strip()

    def error(column: str, message: str) -> None:
        row.errors.append(CellError(index, column, message))

    # Identity
    raw_name = cells.get("name", "")
    row.name = " ".join(raw_name.split())
    if hidden_characters(raw_name):
        error("name", _("“%(value)s” contains control or text-direction characters; type the name again.",
                        value=short(raw_name.encode("unicode_escape").decode("ascii"))))
    elif not row.name:
        error("name", _("The city's name is required."))
    elif len(row.name) > rules.CITY_NAME_MAX:
        error("name", _("Use at most %(n)d characters.", n=rules.CITY_NAME_MAX))
    raw_country = cells.get("country", "")
    row.country = _country_code(raw_country) or ""
    if not raw_country:
        error("country", _("The country is required (ISO 3166-1 code, e.g. FR, or its name)."))
    elif not row.country:
        error("country", _("“%(value)s” is not a country: use an ISO 3166-1 code (FR, FRA) or the country's name "
                           "in English, French or Spanish.", value=short(raw_country)))
    raw = cells.get("subdivision", "")
    if raw and row.country:
        row.subdivision = _subdivision_code(row.country, raw) or ""
        row.fields["subdivision"] = row.subdivision
        if not row.subdivision:
            error("subdivision", _("“%(value)s” is not a first-level subdivision of %(country)s: use its ISO 3166-2 "
                                   "code (e.g. %(example)s) or its name.", value=short(raw), country=row.country,
                                   example=_example_subdivision(row.country)))
    raw = cells.get("geonames_id", "")
    if raw:
        value = _to_int(raw, delimiter)
        if value is None or not 1 <= value < 2**31:
            error("geonames_id", _("“%(value)s” is not a GeoNames identifier (a positive whole number).",
                                   value=short(raw)))
        else:
            row.geonames_id = row.fields["geonames_id"] = value
    if row.name == EXAMPLE_NAME and row.country == EXAMPLE_COUNTRY:
        error("name", _("This is the template's example row: replace it with your cities or delete it."))
    raw = cells.get("region", "")
    if raw:
        region = _region_key(raw)
        if region is None:
            error("region", _("Unknown region “%(value)s”; use one of: %(names)s (or leave it empty: it then "
                              "follows the country).", value=short(raw), names=", ".join(geography.region_names())))
        else:
            row.fields["region"] = region

    # Numbers
    for column, attribute, low, high, parse in (
        ("population", "population", 0, MAX_POPULATION, _to_int),
        ("capacity", "mentor_capacity", 0, MAX_MENTOR_CAPACITY, _to_int),
        ("latitude", "latitude", -90, 90, _to_float),
        ("longitude", "longitude", -180, 180, _to_float),
    ):
        raw = cells.get(column, "")
        if not raw:
            continue
        value = parse(raw, delimiter)
        if value is None:
            error(column, _("“%(value)s” is not a number.", value=short(raw)))
        elif not low <= value <= high:
            error(column, _("“%(value)s” is not a number from %(low)s to %(high)s.", value=short(raw), low=low,
                            high=high))
        else:
            row.fields[attribute] = value

    # Lists
    if cells.get("languages"):
        given = _split_list(cells["languages"])
        codes = [_language_code(c) for c in given]
        bad = [g for g, c in zip(given, codes) if c is None]
        if bad:
            error("languages", _("Unknown languages: %(codes)s (use ISO 639-1 codes such as en;fr;es, or the "
                                 "languages' names).", codes=", ".join(f"“{short(c)}”" for c in bad[:5])))
        elif len(set(codes)) > MAX_LANGUAGES:
            error("languages", _("Give at most %(n)d languages.", n=MAX_LANGUAGES))
        else:
            row.languages = list(dict.fromkeys(codes))
    if cells.get("commissions"):
        keys = [k.lower() for k in _split_list(cells["commissions"])]
        bad = [k for k in keys if k not in commissions]
        if bad:
            error("commissions", _("Unknown commissions: %(keys)s (known: %(known)s).",
                                   keys=", ".join(short(k) for k in bad[:5]), known=", ".join(sorted(commissions))))
        else:
            row.commissions = keys

    # Texts
    for column in TEXT_COLUMNS:
        value = cells.get(column, "")
        if len(value) > rules.TEXT_MAX:
            error(column, _("Use at most %(n)d characters.", n=rules.TEXT_MAX))
        elif value:
            row.fields[column] = value

    # Areas
    for key, specs in _area_columns(tuple(area_keys)):
        values = {}
        for suffix, column, allowed in specs:
            raw = cells.get(column)
            if not raw:
                continue
            value = allowed.get(raw)  # the usual spellings, without parsing
            if value is None and suffix == "can_mentor":
                value = BOOLEANS.get(geography.fold(raw))
                if value is None:
                    error(column, _("“%(value)s” is not one of %(allowed)s.", value=short(raw),
                                    allowed=_("0, 1, yes, no")))
                    continue
            elif value is None:
                value = _to_int(raw, delimiter)
                if value is None or str(value) not in allowed:
                    error(column, _("“%(value)s” is not one of %(allowed)s.", value=short(raw),
                                    allowed=", ".join(allowed)))
                    continue
            values[suffix] = value
        if values:
            row.areas[key] = values
    return row


#: The template's example row (:func:`mentoring.services.survey.export.template_csv`), refused by the import.
EXAMPLE_NAME, EXAMPLE_COUNTRY = "Exampleville", "PT"
#: Yes and no as people write them in English, French and Spanish (folded: "Sí" is "si").
BOOLEANS = {"1": True, "0": False, "yes": True, "no": False, "true": True, "false": False,
            "oui": True, "non": False, "si": True, "vrai": True, "faux": False, "verdadero": True, "falso": False}


@lru_cache(maxsize=8)
def _area_columns(area_keys: tuple[str, ...]):
    """For each area: ``(suffix, column, {cell as usually written: value})`` of its three columns."""
    levels = {
        "maturity": {str(level): level for level in MATURITY_LEVELS},
        "need": {str(level): level for level in NEED_LEVELS},
        "can_mentor": {**BOOLEANS, **{k.capitalize(): v for k, v in BOOLEANS.items()}, "sí": True, "Sí": True},
    }
    return tuple((key, tuple((suffix, f"{key}_{suffix}", levels[suffix]) for suffix in ("maturity", "need",
                                                                                      "can_mentor")))
                 for key in area_keys)


# What people write repeats from row to row: each distinct spelling is looked up once per process.
_country_code = lru_cache(maxsize=4096)(geography.country_code)
_region_key = lru_cache(maxsize=1024)(geography.region_key)
_language_code = lru_cache(maxsize=4096)(geography.language_code)
_subdivision_code = lru_cache(maxsize=8192)(geography.subdivision_code)


def _example_subdivision(country: str) -> str:
    found = geography.subdivisions(country)
    return found[0][0] if found else f"{country}-…"


def short(value: str, limit: int = 30) -> str:
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
    # One comma and no point is a decimal comma (45,76), whatever the delimiter: unambiguous.
    if raw.count(",") == 1 and "." not in raw:
        raw = raw.replace(",", ".")
    if not _FLOAT.fullmatch(raw):
        return None
    return float(raw)


