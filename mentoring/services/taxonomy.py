"""The capability taxonomy and the commissions, loaded from ``mentoring/data/taxonomy.json``.

Loading is idempotent: areas and commissions are matched on their stable keys; labels and level
descriptors are updated; areas added by administrators (not in the file) are left alone.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from flask_babel import get_locale
from sqlalchemy import select

from mentoring.cache import per_request
from mentoring.extensions import db
from mentoring.i18n import localized
from mentoring.models import CapabilityArea, Commission


@lru_cache(maxsize=1)
def taxonomy_file() -> dict:
    """The shipped taxonomy data (axes, areas, levels, commissions)."""
    return json.loads(resources.files("mentoring.data").joinpath("taxonomy.json").read_text("utf-8"))


@dataclass(frozen=True)
class LoadReport:
    created: int
    updated: int
    unchanged: int


def load_taxonomy() -> LoadReport:
    """Create or update every area of the data file; flushes, the caller commits."""
    data = taxonomy_file()
    existing = {a.key: a for a in db.session.scalars(select(CapabilityArea))}
    created = updated = unchanged = 0
    for position, item in enumerate(data["areas"]):
        levels = item.get("levels") or data["levels"]
        values = {"axis": item["axis"], "position": position, "labels": item["labels"], "levels": levels}
        area = existing.get(item["key"])
        if area is None:
            db.session.add(CapabilityArea(key=item["key"], **values))
            created += 1
        elif any(getattr(area, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(area, k, v)
            updated += 1
        else:
            unchanged += 1
    db.session.flush()
    return LoadReport(created, updated, unchanged)


def load_commissions() -> LoadReport:
    """Create or update the commissions of the data file."""
    existing = {c.key: c for c in db.session.scalars(select(Commission))}
    created = updated = unchanged = 0
    for item in taxonomy_file()["commissions"]:
        commission = existing.get(item["key"])
        if commission is None:
            db.session.add(Commission(key=item["key"], labels=item["labels"]))
            created += 1
        elif commission.labels != item["labels"]:
            commission.labels = item["labels"]
            updated += 1
        else:
            unchanged += 1
    db.session.flush()
    return LoadReport(created, updated, unchanged)


def _areas() -> tuple[CapabilityArea, ...]:
    """Every area in taxonomy order: one query per request, however many parts of the page ask."""
    return per_request("capability areas", lambda: tuple(db.session.scalars(_areas_statement())))


@cache
def _areas_statement():
    return select(CapabilityArea).order_by(CapabilityArea.position, CapabilityArea.id)


def active_areas() -> list[CapabilityArea]:
    """Every active area, in taxonomy order."""
    return [area for area in _areas() if area.active]


def area_labels(language: str | None = None, *, active_only: bool = False) -> dict[str, str]:
    """``{area key: label}`` in the reader's language, or in ``language`` (the engine stores "en").

    Built once per request and language for every area (a round page asks for the active ones and for
    all); each caller gets its copy.
    """
    def build() -> dict[str, str]:
        if language is None:
            return {a.key: localized(a.labels, a.key) for a in _areas()}
        return {a.key: (a.labels or {}).get(language) or (a.labels or {}).get("en") or a.key for a in _areas()}

    reader = str(get_locale()) if language is None else None
    labels = per_request(("area labels", language, reader), build)
    if not active_only:
        return dict(labels)
    return {area.key: labels[area.key] for area in _areas() if area.active}


def axis_label(axis_key: str) -> str:
    """The axis name in the current language (or the key for an axis unknown to the file)."""
    for axis in taxonomy_file()["axes"]:
        if axis["key"] == axis_key:
            return localized(axis["labels"], axis_key)
    return axis_key.replace("_", " ").capitalize()


def axes_with_areas(areas: list[CapabilityArea] | None = None) -> list[tuple[str, str, list[CapabilityArea]]]:
    """Areas grouped by axis, in the file's axis order: ``[(axis_key, label, [areas…]), …]``."""
    areas = active_areas() if areas is None else areas
    order = [axis["key"] for axis in taxonomy_file()["axes"]]
    groups: dict[str, list[CapabilityArea]] = {}
    for area in areas:
        groups.setdefault(area.axis, []).append(area)
    keys = sorted(groups, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [(k, axis_label(k), groups[k]) for k in keys]


def level_name(level: int) -> str:
    return localized({lang: names[level] for lang, names in taxonomy_file()["level_names"].items()})


def need_name(level: int) -> str:
    return localized({lang: names[level] for lang, names in taxonomy_file()["need_names"].items()})
