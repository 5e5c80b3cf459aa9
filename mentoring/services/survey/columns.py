"""The survey file's format: its columns, and how a cell is written so that a spreadsheet shows it safely.

One row per city; the columns of :func:`columns`: the profile (``name, country, subdivision, geonames_id,
region, population,
latitude, longitude, languages, commissions, capacity, practices, needs``) and, for each active
capability area, ``<key>_maturity`` (0–4), ``<key>_need`` (0–3) and ``<key>_can_mentor`` (0/1).
Text cells that a spreadsheet would run as a formula (starting with ``= + - @``, tab or carriage
return) get a leading ``'``; numbers are written as numbers. The import removes exactly that one
quote again (:func:`unescape`), so export → import round-trips.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from mentoring.models import CapabilityArea
from mentoring.services.taxonomy import active_areas

BASE_COLUMNS = (
    "name", "country", "subdivision", "geonames_id", "region", "population", "latitude", "longitude",
    "languages", "commissions", "capacity", "practices", "needs",
)
AREA_FIELDS = ("maturity", "need", "can_mentor")
REQUIRED_COLUMNS = ("name", "country")
TEXT_COLUMNS = ("practices", "needs")

UTF8_BOM = b"\xef\xbb\xbf"
# Cells a spreadsheet would evaluate (OWASP "CSV injection"): neutralised with a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def columns(areas: Iterable[CapabilityArea] | None = None) -> list[str]:
    """The columns of the survey file, in order: the profile, then three per active area."""
    areas = active_areas() if areas is None else areas
    return list(BASE_COLUMNS) + [f"{a.key}_{suffix}" for a in areas for suffix in AREA_FIELDS]


def unescape(value: str) -> str:
    """Undo the export's formula guard: one leading quote before a would-be formula."""
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_STARTS):
        return value[1:]
    return value


def write_rows(header: list[str], rows: list[dict]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(row.get(name)) for name in header])
    return out.getvalue()


def cell(value) -> str | int | float:
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
