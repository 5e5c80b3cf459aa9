"""What the cities views show: directory rows, the capability grid and chart, editor conflicts.

Plain functions of model objects and submitted values; the views in :mod:`.routes` stay thin.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.i18n import get_locale
from mentoring.models import City
from mentoring.services import cities as service
from mentoring.services import geography, taxonomy


def locale() -> str:
    return str(get_locale() or "en")


def city_summary(city: City, language: str, area_keys: dict[int, str]) -> dict:
    return {
        "id": city.id,
        "name": city.name,
        "country": city.country,
        "country_name": geography.country_name(city.country, language),
        "region": city.region,
        "population": city.population,
        "status": city.status,
        "languages": city.language_codes,
        "commissions": sorted(city.commission_keys),
        "mentor_capacity": city.mentor_capacity,
        "wants_mentor": city.wants_mentor,
        "can_mentor": sorted(area_keys.get(a.area_id, str(a.area_id)) for a in city.assessments if a.can_mentor),
        "url": url_for("cities.profile", city_id=city.id),
    }


#: Areas a directory row names; the others are counted ("+2 more").
OFFERS_SHOWN = 3


@dataclass(slots=True)
class DirectoryLine:
    """One row of the directory as the page prints it: every text ready, so that the template's loop
    calls no function, filter or translation (a row cost ~90 µs of calls, the table a third of the page)."""

    url: str
    name: str
    status: str
    is_demo: bool
    commissions: list[str]
    country: str
    region: str
    population: str
    languages: str
    offers: list[str]
    more: str  # "+2 more", or ""
    capacity: str  # "mentors up to 2 cities", or ""
    wants_mentor: bool
    ask_url: str | None


def directory_lines(rows, *, area_labels: dict, commission_labels: dict, country_names: dict,
                    region_labels: dict) -> list[DirectoryLine]:
    """The directory's :class:`~mentoring.services.cities.directory.DirectoryRow` s as the page shows them;
    the label maps are ``{id or key: label}`` in the reader's language."""
    from mentoring.requests.routes import request_mentor_url
    from mentoring.templating import city_name, number
    from mentoring.urls import link_pattern

    profile_url = link_pattern("cities.profile", "city_id")
    capacities: dict[int, str] = {}  # (one translation per capacity, not per row)
    lines = []
    for row in rows:
        offers = row.offers
        if row.mentor_capacity and row.mentor_capacity not in capacities:
            capacities[row.mentor_capacity] = ngettext(
                "mentors up to %(num)d city", "mentors up to %(num)d cities", row.mentor_capacity)
        lines.append(DirectoryLine(
            url=profile_url(row.id), name=city_name(row), status=row.status, is_demo=row.is_demo,
            commissions=[commission_labels.get(m, "") for m in row.commission_ids],
            country=country_names.get(row.country, row.country), region=region_labels.get(row.region, row.region),
            population=number(row.population) if row.population is not None else "—",
            languages=", ".join(code.upper() for code in row.languages) or "—",
            offers=[area_labels.get(a, a) for a in offers[:OFFERS_SHOWN]],
            more=_("+%(n)d more", n=len(offers) - OFFERS_SHOWN) if len(offers) > OFFERS_SHOWN else "",
            capacity=capacities.get(row.mentor_capacity, "") if row.mentor_capacity else "",
            wants_mentor=row.wants_mentor, ask_url=request_mentor_url(row),
        ))
    return lines


def grid(city: City) -> list[dict]:
    """The capability grid of ``city`` by axis: the areas with their current assessment."""
    current = {a.area_id: a for a in city.assessments}
    labels = taxonomy.area_labels()
    grid = []
    for axis_key, axis_label, areas in taxonomy.axes_with_areas():
        rows = []
        for area in areas:
            assessment = current.get(area.id)
            rows.append({"area": area, "label": labels.get(area.key, area.key), "assessment": assessment})
        grid.append({"key": axis_key, "label": axis_label, "rows": rows})
    return grid


def chart_data(grid: list[dict]) -> dict:
    return {
        "labels": {"maturity": _("Maturity (0–4)"), "need": _("Need (0–3)"),
                   "canMentor": _("Can mentor"), "notAssessed": _("not assessed")},
        "levelNames": [taxonomy.level_name(i) for i in range(5)],
        "needNames": [taxonomy.need_name(i) for i in range(4)],
        "axes": [
            {
                "key": axis["key"],
                "label": axis["label"],
                "areas": [
                    {
                        "key": row["area"].key,
                        "label": row["label"],
                        "maturity": row["assessment"].maturity if row["assessment"] else None,
                        "need": row["assessment"].need if row["assessment"] else None,
                        "canMentor": bool(row["assessment"] and row["assessment"].can_mentor),
                    }
                    for row in axis["rows"]
                ],
            }
            for axis in grid
        ],
    }


def conflict_diff(city: City, form, submitted: dict) -> list[tuple[str, str]]:
    """The fields whose saved value differs from what the user submitted: (label, saved value)."""
    db.session.refresh(city)
    current = service.identity_snapshot(city)
    differing = []
    for name, value in submitted.items():
        saved = current.get(name)
        if comparable(saved) != comparable(value):
            shown = ", ".join(str(v) for v in saved) if isinstance(saved, list) else saved
            differing.append((getattr(form, name).label.text, shown))
    return differing


def comparable(value):
    if isinstance(value, list):
        return sorted(str(v) for v in value)
    if value in (None, ""):
        return None
    return str(value)


def grid_values(areas, source) -> dict[str, dict]:
    """The grid's inputs for each area present in ``source`` (the submitted form)."""
    values = {}
    for area in areas:
        if f"{area.key}_maturity" not in source:
            continue
        values[area.key] = {
            "maturity": source.get(f"{area.key}_maturity"),
            "need": source.get(f"{area.key}_need"),
            "can_mentor": source.get(f"{area.key}_can_mentor") in ("1", "y", "on", "true"),
            "evidence": source.get(f"{area.key}_evidence") or "",
        }
    return values


def grid_differs(submitted: dict, saved) -> bool:
    if saved is None:
        return submitted.get("maturity") not in (None, "")
    return (str(submitted.get("maturity")), str(submitted.get("need") or 0), bool(submitted.get("can_mentor")),
            (submitted.get("evidence") or "").strip()) != (
        str(saved.maturity), str(saved.need), saved.can_mentor, saved.evidence)


def capability_conflict(city: City, areas, values: dict) -> list[str]:
    """The labels of the areas whose saved assessment differs from what the user submitted."""
    db.session.refresh(city)
    now = service.current_assessments(city)
    labels = taxonomy.area_labels()
    return [labels.get(a.key, a.key) for a in areas if a.key in values and grid_differs(values[a.key], now.get(a.key))]


def offer_homonyms(form) -> bool:
    """When GeoNames knows several cities of the registration form's name in its country, offer them on the
    form (name, province or state, population) with "another place"; ``True`` while none of them is chosen."""
    places = geography.cities_named(form.name.data or "", form.country.data or "")
    if len(places) < 2:
        form.geonames_id.choices = []
        return False
    # Those already in the programme are marked (by GeoNames id, or by province for cities registered without).
    known = db.session.execute(select(City.geonames_id, City.subdivision).where(
        City.name == " ".join(form.name.data.split()), City.country == form.country.data.upper())).all()
    taken = {gid for gid, _sub in known} | {sub for gid, sub in known if gid is None and sub}
    form.geonames_id.choices = [
        (str(place["geonameid"]), place_label(place, form.name.data)
         + (f" — {_('already registered')}" if {place["geonameid"], geography.subdivision_of(place)} & taken else ""))
        for place in places
    ]
    form.geonames_id.choices.append(("other", _("Another place, not in this list")))
    return form.geonames_id.data not in {value for value, _label in form.geonames_id.choices}


def place_label(place: dict, typed: str) -> str:
    """"Suzhou — Anhui Sheng — 1,647,642 inhabitants" (the GeoNames name first when it differs)."""
    name = place["name"]
    if name.casefold() != (typed or "").strip().casefold():
        name = f"{name} ({(typed or '').strip()})"
    parts = [name, geography.subdivision_name(geography.subdivision_of(place))]
    if place.get("population"):
        parts.append(_("%(n)s inhabitants", n=format_decimal(place["population"])))
    return " — ".join(part for part in parts if part)
