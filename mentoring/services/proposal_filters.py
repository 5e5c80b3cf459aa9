"""A round's proposals filtered and sorted in the database, for the round page and the API."""
from __future__ import annotations

import json
import math
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import String, cast, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from mentoring.extensions import db
from mentoring.models import (
    City,
    Proposal,
)

# Proposal states in which the pair is still "live" (the mentee is not back in the pool).
LIVE_STATES = ("proposed", "approved", "endorsed")
TRANSITIONS = {
    "proposed": ("approved", "rejected"),
    "approved": ("endorsed", "declined", "expired"),
    "rejected": (),
    "endorsed": (),
    "declined": (),
    # Nobody answered within ENDORSEMENT_EXPIRES_AFTER (services.consent): place freed, mentee back in the pool.
    "expired": (),
}
STALE_AFTER = timedelta(days=14)


FILTER_KEYS = ("region", "area", "state", "min_score")


def parse_filters(args, *, regions, area_keys) -> tuple[dict, dict[str, list[str]]]:
    """Clean the round page's (and the API's) filters: ``(filters, errors)``.

    Unknown values are dropped from ``filters`` and reported in ``errors`` (the HTML page ignores
    them, the API answers 422).
    """
    filters: dict = {"region": "", "area": "", "state": "", "min_score": None}
    errors: dict[str, list[str]] = {}
    region = (args.get("region") or "").strip()
    if region:
        if region in regions:
            filters["region"] = region
        else:
            errors["region"] = [_("Unknown region.")]
    area = (args.get("area") or "").strip()
    if area:
        if area in area_keys:
            filters["area"] = area
        else:
            errors["area"] = [_("Unknown focus area.")]
    state = (args.get("state") or "").strip()
    if state:
        if state in TRANSITIONS:
            filters["state"] = state
        else:
            errors["state"] = [_("Unknown state.")]
    raw = (args.get("min_score") or "").strip()
    if raw:
        try:
            value = float(raw)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value):
            errors["min_score"] = [_("Give a number, e.g. 0.5.")]
        else:
            filters["min_score"] = value
    return filters, errors


def area_json_pattern(area_key: str) -> str:
    """The text an area key has inside the stored JSON list: the key in JSON quotes."""
    return json.dumps(area_key)


def round_proposals_query(round_id: int, filters: dict, *, with_cities: bool = True):
    """The SELECT of a round's proposals with every filter applied in the database, best first
    (``with_cities``: their cities and languages too; else load them by :func:`load_cities`).

    The focus areas are a JSON list on the proposal. They are filtered portably by a LIKE on the
    JSON text (SQLite and PostgreSQL both render the list as ``["a", "b"]``): the key is searched
    *with its JSON quotes*, so ``data`` never matches ``open_data``, and LIKE's wildcards (``_``
    is common in keys) are escaped (``autoescape``). Keys are checked against the taxonomy first.
    """
    query = select(Proposal).where(Proposal.round_id == round_id).order_by(Proposal.score.desc(), Proposal.id)
    if with_cities:
        query = query.options(joinedload(Proposal.mentor_city).selectinload(City.languages),
                              joinedload(Proposal.mentee_city).selectinload(City.languages))
    if filters.get("state"):
        query = query.where(Proposal.state == filters["state"])
    if filters.get("min_score") is not None:
        query = query.where(Proposal.score >= filters["min_score"])
    if filters.get("region"):
        query = query.where(
            Proposal.mentee_city_id.in_(select(City.id).where(City.region == filters["region"]))
        )
    if filters.get("area"):
        query = query.where(
            cast(Proposal.areas, String).contains(area_json_pattern(filters["area"]), autoescape=True)
        )
    return query


def load_cities(proposals) -> None:
    """Set the two cities of each of ``proposals`` (``mentor_city``, ``mentee_city``) with their languages, in
    one query. For a page of rows, after the page is chosen: joined to the proposals, SQLite joined every
    proposal of the round before sorting them and keeping a page."""
    ids = sorted({p.mentor_city_id for p in proposals} | {p.mentee_city_id for p in proposals})
    if not ids:
        return
    cities = {c.id: c for c in db.session.scalars(select(City).where(City.id.in_(ids))
                                                  .options(joinedload(City.languages))).unique()}
    for p in proposals:
        set_committed_value(p, "mentor_city", cities[p.mentor_city_id])
        set_committed_value(p, "mentee_city", cities[p.mentee_city_id])
