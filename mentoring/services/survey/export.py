"""Survey exports (the directory as a survey file) and the empty template to fill in."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mentoring.extensions import db
from mentoring.models import City, CityCommission, Commission, utcnow
from mentoring.services.survey.columns import columns, write_rows
from mentoring.services.survey.parse import EXAMPLE_COUNTRY, EXAMPLE_NAME
from mentoring.services.taxonomy import active_areas


def template_csv() -> str:
    """The header row and one example row (a fictitious city), to fill in a spreadsheet."""
    areas = active_areas()
    example = {
        "name": EXAMPLE_NAME, "country": EXAMPLE_COUNTRY, "subdivision": "PT-11", "region": "europe",
        "population": 250000,
        "latitude": 38.72, "longitude": -9.14, "languages": "pt;en", "commissions": "digital_cities",
        "capacity": 1,
        "practices": "Open data portal with 300 datasets; one-stop shop for permits.",
        "needs": "Cybersecurity for municipal IT; digital skills for staff.",
    }
    for i, area in enumerate(areas[:3]):
        example[f"{area.key}_maturity"] = (4, 3, 1)[i]
        example[f"{area.key}_need"] = (0, 1, 3)[i]
        example[f"{area.key}_can_mentor"] = (1, 0, 0)[i]
    return write_rows(columns(areas), [example])


def export_query(*, region: str | None = None, country: str | None = None, commission: str | None = None,
                 status: str | None = None, subdivision: str | None = None):
    """The cities to export, filtered; unknown filter values simply match nothing."""
    query = select(City).options(
        selectinload(City.languages),
        selectinload(City.commissions),
        selectinload(City.assessments),
    ).order_by(City.country, City.name, City.subdivision, City.id)
    if region:
        query = query.where(City.region == region)
    if country:
        query = query.where(City.country == country.upper())
    if subdivision:
        query = query.where(City.subdivision == subdivision.upper())
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
            "name": city.name, "country": city.country, "subdivision": city.subdivision,
            "geonames_id": city.geonames_id, "region": city.region, "population": city.population,
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
    text = write_rows(header, rows)
    return ("\ufeff" + text) if bom else text


def export_filename(**filters) -> str:
    parts = ["cities"] + [re.sub(r"[^a-z0-9_]+", "-", str(v).lower()) for v in filters.values() if v]
    return "-".join(parts) + f"-{utcnow():%Y%m%d}.csv"
