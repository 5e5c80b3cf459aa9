"""The directory's query: which cities a list shows for given filters, in which order."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import String, bindparam, cast, func, inspect, literal, select, union_all

from mentoring.database import LIKE_ESCAPE, contains_pattern
from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    CapabilityArea,
    City,
    CityCommission,
    CityLanguage,
    Commission,
)
from mentoring.models.cities import CITY_STATUSES, REGIONS
from mentoring.services import geography

#: Each sort has its index (models/cities.py, ``ix_city_sort_*``), with the same expressions: a page is read in
#: index order. Unknown populations (NULL) come last as -1 (populations are never negative).
SORTS = {
    "name": (func.lower(City.name), City.id),
    "population": (func.coalesce(City.population, -1).desc(), City.id),
    "country": (City.country, func.lower(City.name), City.id),
    "updated": (City.updated_at.desc(), City.id.desc()),
}
#: Filters of the directory (query-string names).
FILTERS = ("q", "region", "country", "subdivision", "language", "commission", "strong", "needs", "status", "sort")


def directory_filters(args, *, coordinator: bool) -> dict:
    """The directory's filters read from ``args`` (a request's query string), cleaned."""
    filters = {key: (args.get(key) or "").strip()[:120] for key in FILTERS}
    if filters["sort"] not in SORTS:
        filters["sort"] = "name"
    if not coordinator:
        filters["status"] = ""
    return filters


def directory_query(filters: dict, *, coordinator: bool):
    """The directory's SELECT for ``filters`` (every filter is an indexed EXISTS or column test), with the
    filters' values bound: ``(statement, parameters)``. The statement is built once per *shape* (which filters
    are set, the sort, the reader) and its values are parameters: building a statement and its cache key cost
    more than running it."""
    status = filters.get("status")
    values = {
        "status": (status if status in CITY_STATUSES else None) if coordinator else "verified",
        "name_like": contains_pattern(filters["q"]) if filters.get("q") else None,
        "region": filters.get("region") if filters.get("region") in REGIONS else None,
        "country": (filters.get("country") or "").upper() or None,
        "subdivision": (filters.get("subdivision") or "").upper() or None,
        "language": (filters.get("language") or "").lower() or None,
        "commission": filters.get("commission") or None,
        "strong": filters.get("strong") or None,
        "needs": filters.get("needs") or None,
    }
    shape = (tuple(key for key, value in values.items() if value is not None), filters.get("sort") or "name")
    return _query(shape), {key: value for key, value in values.items() if value is not None}


@lru_cache(maxsize=512)
def _query(shape: tuple[tuple[str, ...], str]):
    """The directory's SELECT for the filters named in ``shape``, their values as parameters of those names."""
    present, sort = shape
    stmt = select(City)
    if "status" in present:
        stmt = stmt.where(City.status == bindparam("status"))
    if "name_like" in present:  # (as ``icontains`` with autoescape: the pattern is escaped in Python)
        stmt = stmt.where(func.lower(City.name).like(func.lower(bindparam("name_like")), escape=LIKE_ESCAPE))
    for key, column in (("region", City.region), ("country", City.country), ("subdivision", City.subdivision)):
        if key in present:
            stmt = stmt.where(column == bindparam(key))
    if "language" in present:
        stmt = stmt.where(
            select(CityLanguage.city_id)
            .where(CityLanguage.city_id == City.id, CityLanguage.code == bindparam("language"))
            .exists()
        )
    if "commission" in present:
        stmt = stmt.where(
            select(CityCommission.city_id)
            .join(Commission, Commission.id == CityCommission.commission_id)
            .where(CityCommission.city_id == City.id, Commission.key == bindparam("commission"))
            .exists()
        )
    for key, column, threshold in (("strong", Assessment.maturity, 3), ("needs", Assessment.need, 2)):
        if key in present:
            # Uncorrelated IN: one range scan of ix_assessment_area_current, not one per city.
            area_id = select(CapabilityArea.id).where(CapabilityArea.key == bindparam(key)).scalar_subquery()
            stmt = stmt.where(City.id.in_(
                select(Assessment.city_id)
                .where(Assessment.area_id == area_id, Assessment.is_current, column >= threshold)
            ))
    return stmt.order_by(*SORTS[sort])


# --- One page of the directory ---------------------------------------------------------------------

#: The columns a row of the directory shows: the profile's texts and the rest stay in the database.
ROW_COLUMNS = (City.id, City.name, City.country, City.region, City.subdivision, City.population, City.status,
               City.is_demo, City.mentor_capacity, City.wants_mentor)


@dataclass(slots=True)
class DirectoryRow:
    """A city as one row of the directory shows it (plain values: no ORM state to build per row)."""

    id: int
    name: str
    country: str
    region: str
    subdivision: str
    population: int | None
    status: str
    is_demo: bool
    mentor_capacity: int
    wants_mentor: bool
    languages: list[str] = field(default_factory=list)  # codes, in the city's order
    commission_ids: list[int] = field(default_factory=list)
    offers: list[int] = field(default_factory=list)  # ids of the areas the city can mentor in (current)


class DirectoryPage(Pagination):
    """A page of :class:`DirectoryRow` (``items``), with Flask-SQLAlchemy's pager (``page``, ``pages``,
    ``total``, ``has_prev``/``has_next``…): three queries whatever the page or the filters — the page's rows
    in the sort's index order, their count, and the rows' languages, commissions and offers. ``stmt`` and
    ``params`` are :func:`directory_query`'s."""

    def __init__(self, stmt, params: dict, page: int, per_page: int):
        super().__init__(page=page, per_page=per_page, error_out=False, stmt=stmt, params=params)

    def _query_items(self) -> list[DirectoryRow]:
        rows = [DirectoryRow(*row) for row in db.session.execute(
            _page_statement(self._query_args["stmt"]),
            {**self._query_args["params"], "limit": self.per_page, "offset": self._query_offset})]
        _add_details(rows)
        return rows

    def _query_count(self) -> int:
        return db.session.scalar(_count_statement(self._query_args["stmt"]), self._query_args["params"]) or 0


@lru_cache(maxsize=512)
def _page_statement(stmt):
    """A page of ``stmt``'s rows (:data:`ROW_COLUMNS`), ``limit`` and ``offset`` as parameters."""
    return stmt.with_only_columns(*ROW_COLUMNS).limit(bindparam("limit")).offset(bindparam("offset"))


@lru_cache(maxsize=512)
def _count_statement(stmt):
    return select(func.count()).select_from(stmt.with_only_columns(City.id).order_by(None).subquery())


_IDS = bindparam("ids", expanding=True)
#: A page's languages (in order), commissions and offers; built once (statements cost more to build than to run).
_DETAILS = union_all(
    select(CityLanguage.city_id.label("city_id"), literal("l").label("kind"), CityLanguage.code.label("value"),
           CityLanguage.position.label("n"))
    .where(CityLanguage.city_id.in_(_IDS)),
    select(CityCommission.city_id, literal("c"), cast(CityCommission.commission_id, String),
           CityCommission.commission_id)
    .where(CityCommission.city_id.in_(_IDS)),
    select(Assessment.city_id, literal("a"), cast(Assessment.area_id, String), Assessment.id)
    .where(Assessment.city_id.in_(_IDS), Assessment.is_current, Assessment.can_mentor),
)


def _add_details(rows: list[DirectoryRow]) -> None:
    """The rows' languages, commissions and offers, in one query (a UNION of three indexed lookups)."""
    by_id = {row.id: row for row in rows}
    if not by_id:
        return
    for city_id, kind, value, _n in sorted(db.session.execute(_DETAILS, {"ids": list(by_id)}),
                                           key=lambda d: (d[0], d[1], d[3])):
        row = by_id[city_id]
        if kind == "l":
            row.languages.append(value)
        elif kind == "c":
            row.commission_ids.append(int(value))
        else:
            row.offers.append(int(value))
    prime_homonyms((row.name, row.country) for row in rows if row.subdivision)


# --- Telling homonyms apart -------------------------------------------------------------------------

#: Names looked up per query (well under every database's limit on bound parameters).
_HOMONYM_BATCH = 500
_HOMONYMS = (select(City.name, City.country).where(City.name.in_(bindparam("names", expanding=True)))
             .group_by(City.name, City.country).having(func.count() > 1))


def has_homonym(name: str, country: str) -> bool:
    """Whether another city of ``country`` has this ``name``.

    Answered per request (or per app context outside requests: mail from the CLI and jobs) for every city the
    session holds at the first question, in one indexed query over those names only — never a scan of every
    city — so that any number of names on a page costs one query; a city loaded later costs one more for all
    those loaded meanwhile. Kept on the request rather than ``g``: tests and CLI runs share one app context.
    """
    known = _homonyms_known()
    key = (name, country)
    if key not in known:
        wanted = {key}
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, City):
                loaded = inspect(obj).dict  # never loads an expired attribute
                if "name" in loaded and "country" in loaded:
                    wanted.add((loaded["name"], loaded["country"]))
        _look_up_homonyms(known, wanted)
    return known[key]


def prime_homonyms(pairs) -> None:
    """Answer :func:`has_homonym` for these ``(name, country)`` pairs in one query (rows that are no
    :class:`City` objects, so not seen in the session: the directory's)."""
    _look_up_homonyms(_homonyms_known(), set(pairs))


def _homonyms_known() -> dict[tuple[str, str], bool]:
    from flask import g, has_request_context, request

    holder = request if has_request_context() else g
    known = getattr(holder, "_city_homonyms", None)
    if known is None:
        known = holder._city_homonyms = {}
    return known


def _look_up_homonyms(known: dict, wanted: set) -> None:
    wanted = wanted - known.keys()
    if not wanted:
        return
    names = sorted({n for n, _c in wanted})
    found: set[tuple[str, str]] = set()
    for start in range(0, len(names), _HOMONYM_BATCH):
        found.update((row_name, row_country) for row_name, row_country in db.session.execute(
            _HOMONYMS, {"names": names[start:start + _HOMONYM_BATCH]}))
    known.update((pair, pair in found) for pair in wanted)


def display_name(city) -> str:
    """The city's name, with its subdivision when another city of its country has the same name:
    "Suzhou (Jiangsu Sheng)" and "Suzhou (Anhui Sheng)", but just "Lyon". ``city`` may be a :class:`City` or
    a row with its ``name``, ``country`` and ``subdivision``."""
    if city.subdivision and has_homonym(city.name, city.country):
        return f"{city.name} ({geography.subdivision_name(city.subdivision)})"
    return city.name
