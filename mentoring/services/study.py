"""The Smart Cities Study: ICT, innovation and knowledge among the members, from their profiles.

An edition is computed *as of* a date: the members verified by then, and for each city and area
its assessment in force on that day (assessments are versioned: the last one dated on or before
the end of that day). The previous edition is the same study one year earlier.

Every figure is a table ``{"id", "columns", "rows"}`` so the page, the CSV and the printed report
show the same numbers. Cells counting fewer than :data:`MIN_CELL` cities are suppressed (``None``,
shown as "—"), and so are means over fewer than :data:`MIN_CELL` cities: no city can be
identified from the published figures.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import Assessment, CapabilityArea, City
from mentoring.models.cities import MATURITY_LEVELS, REGIONS
from mentoring.services import outcomes as outcome_service
from mentoring.services.income import (
    INCOME_GROUPS,
    UNCLASSIFIED,
    classification,
    income_group,
)

MIN_CELL = 5
NEED_THRESHOLD = 2  # a need of 2 ("important") or 3 counts as demand for a mentor
SIZES = (("small", 0, 100_000), ("medium", 100_000, 1_000_000), ("large", 1_000_000, 5_000_000),
         ("metropolis", 5_000_000, None))


def end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def size_class(population: int | None) -> str:
    if population is None:
        return "unknown"
    for name, low, high in SIZES:
        if population >= low and (high is None or population < high):
            return name
    return "unknown"


def suppress(count: int | None) -> int | None:
    return count if count is not None and count >= MIN_CELL else None


def _mean(values: list[int]) -> float | None:
    """A mean over at least MIN_CELL cities, else suppressed."""
    return round(float(np.mean(values)), 2) if len(values) >= MIN_CELL else None


def snapshot(as_of: date) -> dict:
    """Members and their maturity in force at the end of ``as_of``."""
    cutoff = end_of(as_of)
    members = {c.id: c for c in db.session.scalars(
        select(City).where(City.status == "verified", City.verified_at.is_not(None),
                           City.verified_at <= cutoff))}
    latest = (select(Assessment.city_id, Assessment.area_id, func.max(Assessment.assessed_at).label("at"))
              .where(Assessment.assessed_at <= cutoff, Assessment.city_id.in_(list(members) or [0]))
              .group_by(Assessment.city_id, Assessment.area_id).subquery())
    rows = db.session.execute(
        select(Assessment).join(latest, (Assessment.city_id == latest.c.city_id)
                                & (Assessment.area_id == latest.c.area_id)
                                & (Assessment.assessed_at == latest.c.at))
        .order_by(Assessment.id)).scalars()
    levels: dict[tuple[int, int], Assessment] = {}
    for a in rows:  # two rows at the same instant: the later id wins
        levels[(a.city_id, a.area_id)] = a
    areas = list(db.session.scalars(select(CapabilityArea).where(CapabilityArea.active)
                                    .order_by(CapabilityArea.position, CapabilityArea.id)))
    return {"as_of": as_of, "members": members, "levels": levels, "areas": areas}


def compute(as_of: date, *, previous: bool = True) -> dict:
    snap = snapshot(as_of)
    members, levels, areas = snap["members"], snap["levels"], snap["areas"]
    tables = []

    # Members by region and size.
    counts = defaultdict(int)
    for city in members.values():
        counts[(city.region, size_class(city.population))] += 1
    size_names = [s[0] for s in SIZES] + ["unknown"]
    tables.append({"id": "members", "columns": ["region", *size_names, "total"], "rows": [
        [region, *[suppress(counts[(region, s)]) for s in size_names],
         suppress(sum(counts[(region, s)] for s in size_names))]
        for region in REGIONS] + [["all", *[suppress(sum(counts[(r, s)] for r in REGIONS)) for s in size_names],
                                   suppress(len(members))]]})

    # Maturity distribution per area (cities at each level).
    by_area: dict[int, list[tuple[City, Assessment]]] = defaultdict(list)
    for (city_id, area_id), a in levels.items():
        by_area[area_id].append((members[city_id], a))
    tables.append({"id": "maturity_by_area", "columns": ["area", "axis", *[f"level_{lv}" for lv in MATURITY_LEVELS],
                                                         "cities", "mean"], "rows": [
        [area.key, area.axis, *[suppress(sum(1 for _c, a in by_area[area.id] if a.maturity == lv))
                                for lv in MATURITY_LEVELS],
         suppress(len(by_area[area.id])), _mean([a.maturity for _c, a in by_area[area.id]])]
        for area in areas]})

    # Mean maturity per axis, by region and by income group (a city's axis level = mean over its areas).
    axes = sorted({a.axis for a in areas}, key=lambda x: [a.axis for a in areas].index(x))
    axis_of = {a.id: a.axis for a in areas}
    city_axis: dict[tuple[int, str], list[int]] = defaultdict(list)
    for (city_id, area_id), a in levels.items():
        if area_id in axis_of:
            city_axis[(city_id, axis_of[area_id])].append(a.maturity)
    city_axis_mean = {k: float(np.mean(v)) for k, v in city_axis.items()}
    groups_income = [*INCOME_GROUPS, UNCLASSIFIED]
    for table_id, group_of, group_names in (
        ("axis_by_region", lambda c: c.region, list(REGIONS)),
        ("axis_by_income", lambda c: income_group(c.country), groups_income),
    ):
        rows = []
        for group in group_names:
            ids = [c.id for c in members.values() if group_of(c) == group]
            rows.append([group, suppress(len(ids)),
                         *[_mean([city_axis_mean[(i, axis)] for i in ids if (i, axis) in city_axis_mean])
                           for axis in axes]])
        tables.append({"id": table_id, "columns": ["group", "cities", *axes], "rows": rows})

    # Digital-divide gap per area: top vs bottom quartile of cities, and highest vs lowest region.
    gap_rows = []
    for area in areas:
        values = np.array(sorted(a.maturity for _c, a in by_area[area.id]), dtype=float)
        if len(values) >= 2 * MIN_CELL:
            quarter = max(len(values) // 4, 1)
            bottom, top = values[:quarter].mean(), values[-quarter:].mean()
            quartile_gap = round(float(top - bottom), 2)
        else:
            quartile_gap = None
        regional = {}
        for region in REGIONS:
            vals = [a.maturity for c, a in by_area[area.id] if c.region == region]
            if len(vals) >= MIN_CELL:
                regional[region] = float(np.mean(vals))
        region_gap = round(max(regional.values()) - min(regional.values()), 2) if len(regional) >= 2 else None
        high = max(regional, key=regional.get) if len(regional) >= 2 else None
        low = min(regional, key=regional.get) if len(regional) >= 2 else None
        gap_rows.append([area.key, quartile_gap, region_gap, high, low])
    tables.append({"id": "divide", "columns": ["area", "quartile_gap", "region_gap", "highest_region", "lowest_region"],
                   "rows": gap_rows})

    # Mentor supply and demand per area and region.
    supply_rows = []
    for area in areas:
        for region in (*REGIONS, "all"):
            cells = [(c, a) for c, a in by_area[area.id] if region == "all" or c.region == region]
            supply = sum(1 for c, a in cells if a.can_mentor and c.mentor_capacity > 0)
            demand = sum(1 for c, a in cells if a.need >= NEED_THRESHOLD and c.wants_mentor)
            s, d = suppress(supply), suppress(demand)
            ratio = round(supply / demand, 2) if s is not None and d is not None else None
            supply_rows.append([area.key, region, s, d, ratio])
    tables.append({"id": "supply_demand", "columns": ["area", "region", "mentor_cities", "cities_in_need",
                                                      "supply_per_need"], "rows": supply_rows})

    # The mentoring programme's contribution (mentorships started by the date).
    outcomes = [o for o in outcome_service.mentorship_outcomes() if o.start_date <= as_of.isoformat()]
    total = outcome_service.totals(outcomes)
    tables.append({"id": "contribution", "columns": ["measure", "value"], "rows": [
        [key, total[key]] for key in ("mentorships", "active", "completed", "withdrawn", "completion_rate",
                                      "sessions", "hours", "study_visits", "goals", "goals_achieved",
                                      "satisfaction", "maturity_before", "maturity_after")]})

    result = {"as_of": as_of.isoformat(), "members": len(members), "min_cell": MIN_CELL,
              "axes": axes, "areas": [a.key for a in areas], "tables": {t["id"]: t for t in tables},
              "income": {k: classification()[k] for k in ("source", "date", "edition")}}
    if previous:
        prior_date = _year_before(as_of)
        prior = compute(prior_date, previous=False)
        result["previous"] = prior_date.isoformat()
        result["tables"]["changes"] = _changes(result, prior)
    return result


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day - timedelta(days=365)


def _changes(now: dict, prior: dict) -> dict:
    """Members and mean maturity per area, this edition against the previous one."""
    rows = [["members", suppress(prior["members"]), suppress(now["members"]),
             now["members"] - prior["members"] if suppress(prior["members"]) is not None
             and suppress(now["members"]) is not None else None]]
    before = {r[0]: r[-1] for r in prior["tables"]["maturity_by_area"]["rows"]}
    for row in now["tables"]["maturity_by_area"]["rows"]:
        was, is_ = before.get(row[0]), row[-1]
        rows.append([row[0], was, is_, round(is_ - was, 2) if was is not None and is_ is not None else None])
    return {"id": "changes", "columns": ["measure", "previous", "current", "change"], "rows": rows}


def to_csv(study: dict) -> str:
    """Every table in long form: ``table, row, column, value`` (suppressed cells are empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["table", "row", "column", "value"])
    for table in study["tables"].values():
        for row in table["rows"]:
            for column, value in zip(table["columns"][1:], row[1:]):
                writer.writerow([table["id"], row[0], column, "" if value is None else value])
    return buffer.getvalue()
