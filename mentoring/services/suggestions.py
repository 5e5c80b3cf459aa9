"""A city's best mentors right now, for its home page: the engine over every mentor with a free place.

Computed with the round's own records (:func:`mentoring.services.matchmaking.participants`) and kept
until a table it reads changes (:mod:`mentoring.cache`).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

import matching
from mentoring import cache
from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    City,
    CityCommission,
    CityPreference,
    MentorRequest,
    Mentorship,
    Proposal,
)
from mentoring.services.matchmaking import Eligibility, mentees_with_a_mentor, participants

#: What a city's mentor suggestions are computed from: a write to any of them recomputes them.
SUGGESTION_TABLES = (City, Assessment, CityCommission, CityPreference, MentorRequest, Mentorship, Proposal)
_suggestions = cache.Memo(maxsize=4096)


class _NoRound:
    """Outside a round: no round's rejections apply (no round has id 0)."""

    id = 0


def suggestions_for_city(city: City, k: int = 5) -> list[dict]:
    """The ``k`` mentor cities that would suit ``city`` best right now, across the network.

    The engine's :func:`matching.suggest_mentors` with the programme's default rules, on every
    verified city with a free mentor place (``rules.places_used``), with the same exclusions and
    preferences as a round. Each item: ``{"pair", "mentor", "places"}``. Empty when the city does
    not ask for a mentor, already has one, or its profile is incomplete.
    """
    from mentoring import rules

    city = db.session.scalar(select(City).where(City.id == city.id).options(
        selectinload(City.languages), selectinload(City.assessments)))
    if (city is None or city.status != "verified" or not city.wants_mentor or not city.languages
            or not any(a.need > 0 for a in city.assessments) or mentees_with_a_mentor([city.id])):
        return []
    key = ("suggestions", cache.fingerprint(*SUGGESTION_TABLES), city.id, k)
    ranked = _suggestions.get_or_compute(key, lambda: _rank_mentors_for(city, k))
    mentors = list(db.session.scalars(select(City).where(City.id.in_([mentor_id for mentor_id, _ in ranked]))))
    by_id = {c.id: c for c in mentors}
    places = rules.places_by_city(mentors)
    return [{"pair": p, "mentor": by_id[mentor_id], "places": places[mentor_id]}
            for mentor_id, p in ranked if mentor_id in by_id]


def _rank_mentors_for(city: City, k: int) -> list[tuple[int, matching.Pair]]:
    """The engine's ``k`` best mentors for ``city`` as ``[(mentor city id, pair)]`` (see above)."""
    from mentoring import rules

    mentors = list(db.session.scalars(
        select(City).where(
            City.status == "verified", City.mentor_capacity > 0, City.id != city.id,
            City.id.in_(select(Assessment.city_id).where(Assessment.is_current, Assessment.can_mentor)),
        ).options(selectinload(City.languages), selectinload(City.assessments))
    ))
    places = rules.places_by_city(mentors)
    mentors = [c for c in mentors if places[c.id].free > 0 and c.languages]
    if not mentors:
        return []
    elig = Eligibility(mentors, [city], [], {c.id: places[c.id].free for c in mentors})
    records = participants(_NoRound(), elig)
    try:
        pairs = matching.suggest_mentors(records, str(city.id), matching.MatchParams(), k=k)
    except matching.MatchingError:
        return []
    return [(int(p.mentor), p) for p in pairs]
