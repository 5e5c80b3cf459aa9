"""World Bank income groups of countries, shipped as data (``mentoring/data/income_groups.json``).

The file records its source, edition and date; :func:`classification` returns them for the pages
and reports that show figures by income group.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

DATA = Path(__file__).resolve().parents[1] / "data" / "income_groups.json"
INCOME_GROUPS = ("low", "lower_middle", "upper_middle", "high")
UNCLASSIFIED = "unclassified"
INCOME_LABELS = {
    "low": _l("Low income"),
    "lower_middle": _l("Lower-middle income"),
    "upper_middle": _l("Upper-middle income"),
    "high": _l("High income"),
    UNCLASSIFIED: _l("Not classified"),
}


@lru_cache(maxsize=1)
def classification() -> dict:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    data["by_country"] = {code: group for group, codes in data["groups"].items() for code in codes}
    return data


def income_group(country: str) -> str:
    return classification()["by_country"].get((country or "").upper(), UNCLASSIFIED)


def is_south(country: str) -> bool:
    """Low- and middle-income economies ("Global South"); unclassified ones count as South too."""
    return income_group(country) != "high"


# The programme's priority mentees (the digital divide it exists for): cities of low and
# lower-middle income countries. A round's priority floor reserves matched places for them.
PRIORITY_GROUPS = ("low", "lower_middle")


def is_less_favoured(country: str) -> bool:
    """A low or lower-middle income country (unclassified ones are not: no data, no claim)."""
    return income_group(country) in PRIORITY_GROUPS
