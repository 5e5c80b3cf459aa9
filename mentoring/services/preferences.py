"""What a city would like from the next rounds, and how much of it a round gave.

A city states, all optionally: up to five preferred partner cities, cities to avoid, preferred
regions, its working languages in order, and its focus areas in order. The engine adapter
(:mod:`mentoring.services.matchmaking`) turns avoid-lists into hard exclusions (both ways) and the
rest into a small, bounded bonus (``MatchParams.preference_weights``); :func:`met` counts, after a
round, which stated preferences its pairs honour.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import City, CityPreference
from mentoring.models.cities import REGIONS
from mentoring.models.requests import MAX_PREFERRED_PARTNERS
from mentoring.rules import check_version
from mentoring.services import ServiceError
from mentoring.services.audit import record
from mentoring.services.cities.directory import display_name
from mentoring.services.geography import is_language
from mentoring.services.taxonomy import active_areas

FIELDS = ("preferred_city_ids", "avoided_city_ids", "regions", "languages", "areas")


def get(city_id: int) -> CityPreference | None:
    return db.session.get(CityPreference, city_id)


def for_cities(city_ids) -> dict[int, CityPreference]:
    """The stated preferences of the given cities (one query); cities without any are absent."""
    ids = list(city_ids)
    if not ids:
        return {}
    rows = db.session.scalars(select(CityPreference).where(CityPreference.city_id.in_(ids)))
    return {row.city_id: row for row in rows if not row.is_empty}


def _ints(values) -> list[int]:
    out = []
    for value in values or []:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            raise ServiceError(_("The preferences are not valid."),
                               {"cities": [_("Choose cities from the list.")]}) from None
    return list(dict.fromkeys(out))


def save(actor, city: City, *, preferred_city_ids=(), avoided_city_ids=(), regions=(), languages=(),
         areas=(), version=None) -> CityPreference:
    """Validate and store a city's preferences (replacing the previous ones); flushes."""
    preference = get(city.id)
    if preference is not None:
        check_version(preference, version)
    errors: dict[str, list[str]] = {}
    preferred = _ints(preferred_city_ids)
    avoided = _ints(avoided_city_ids)
    regions = list(dict.fromkeys(regions or []))
    languages = [code.lower() for code in dict.fromkeys(languages or []) if code]
    areas = list(dict.fromkeys(areas or []))
    if len(preferred) > MAX_PREFERRED_PARTNERS:
        errors["preferred_city_ids"] = [_("Choose at most %(n)d preferred partner cities.",
                                          n=MAX_PREFERRED_PARTNERS)]
    if city.id in preferred or city.id in avoided:
        errors.setdefault("preferred_city_ids" if city.id in preferred else "avoided_city_ids", []).append(
            _("A city cannot choose itself."))
    both = set(preferred) & set(avoided)
    if both:
        errors.setdefault("avoided_city_ids", []).append(
            _("A city cannot be both preferred and avoided."))
    known = set(db.session.scalars(
        select(City.id).where(City.id.in_(preferred + avoided), City.status == "verified")))
    if any(c not in known for c in preferred):
        errors.setdefault("preferred_city_ids", []).append(_("Choose verified cities."))
    if any(c not in known for c in avoided):
        errors.setdefault("avoided_city_ids", []).append(_("Choose verified cities."))
    if any(r not in REGIONS for r in regions):
        errors["regions"] = [_("Unknown region.")]
    if any(not is_language(code) for code in languages):
        errors["languages"] = [_("Unknown language.")]
    if any(a not in {area.key for area in active_areas()} for a in areas):
        errors["areas"] = [_("Unknown focus area.")]
    if errors:
        raise ServiceError(_("The preferences could not be saved."), errors)
    before = {name: list(getattr(preference, name)) for name in FIELDS} if preference else None
    if preference is None:
        preference = CityPreference(city_id=city.id)
        db.session.add(preference)
    preference.preferred_city_ids = preferred
    preference.avoided_city_ids = avoided
    preference.regions = regions
    preference.languages = languages
    preference.areas = areas
    preference.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    record(actor, "city.preferences", city, before=before,
           after={name: list(getattr(preference, name)) for name in FIELDS})
    return preference


def avoided_pairs(city_ids) -> set[tuple[int, int]]:
    """Unordered pairs ``(a, b)`` (a < b) where one city avoids the other, among ``city_ids``."""
    ids = set(city_ids)
    pairs = set()
    for city_id, preference in for_cities(ids).items():
        for other in preference.avoided_city_ids:
            pairs.add((min(city_id, other), max(city_id, other)))
    return pairs


def avoids(city_a: int, city_b: int) -> bool:
    """Whether either city avoids the other."""
    return (min(city_a, city_b), max(city_a, city_b)) in avoided_pairs([city_a, city_b])


# --- After a round: which preferences were met ------------------------------------------------

@dataclass(frozen=True)
class CityMet:
    """One city's stated preferences and how many the pairs honour; ``granted``: the preferred
    partners it was paired with (city ids, named on the page)."""
    city_id: int
    stated: int = 0
    met: int = 0
    granted: tuple[int, ...] = ()


@dataclass(frozen=True)
class MetReport:
    """Per city that stated something (by name), and ``depends_on``: every city whose row the figures
    read (the stating cities, their partners and the partners they named), for the round page's cache."""
    cities: tuple[CityMet, ...] = ()
    depends_on: frozenset[int] = field(default_factory=frozenset)

    @property
    def stated(self) -> int:
        return sum(c.stated for c in self.cities)

    @property
    def met(self) -> int:
        return sum(c.met for c in self.cities)


def met(pairs, city_ids=()) -> MetReport:
    """How many stated preferences the given (mentor city id, mentee city id) pairs honour.

    ``city_ids``: the round's cities, so that a city left unmatched counts its preferences too.

    Per city that stated something: each preferred partner counts once (met when the city is
    paired with it), preferred regions once (met when a partner is in one of them), working
    languages once (met when a partner speaks the first of them), focus areas are not counted
    (they weight the need, they do not name a partner), and each avoided city once (met when
    the city is not paired with it — always, since avoid-lists are hard rules).

    Reads only the cities that stated something, their partners and the partners they named (three
    queries whatever the round's size), never every city of the round.
    """
    from mentoring.models import CityLanguage

    partners: dict[int, set[int]] = {}
    for mentor, mentee in pairs:
        mentor, mentee = int(mentor), int(mentee)
        partners.setdefault(mentor, set()).add(mentee)
        partners.setdefault(mentee, set()).add(mentor)
    stated = for_cities(set(partners) | {int(c) for c in city_ids})
    if not stated:
        return MetReport()
    wanted = set(stated)
    for city_id, preference in stated.items():
        wanted |= partners.get(city_id, set()) | set(preference.preferred_city_ids)
    cities = {row.id: row for row in db.session.execute(
        select(City.id, City.name, City.region).where(City.id.in_(wanted)))}
    first_languages = {p.languages[0] for p in stated.values() if p.languages}
    speaks: dict[int, set[str]] = {}
    if first_languages:
        for city_id, code in db.session.execute(select(CityLanguage.city_id, CityLanguage.code).where(
                CityLanguage.city_id.in_(wanted), CityLanguage.code.in_(first_languages))):
            speaks.setdefault(city_id, set()).add(code)
    report = []
    for city_id, preference in sorted(stated.items(), key=lambda kv: cities[kv[0]].name if kv[0] in cities else ""):
        if city_id not in cities:
            continue
        paired = partners.get(city_id, set())
        mine = {p for p in paired if p in cities}
        count = met_count = 0
        granted = []
        for other in preference.preferred_city_ids:
            if other in cities:
                count += 1
                if other in mine:
                    met_count += 1
                    granted.append(other)
        if preference.regions:
            count += 1
            met_count += any(cities[p].region in preference.regions for p in mine)
        if preference.languages:
            count += 1
            met_count += any(preference.languages[0] in speaks.get(p, ()) for p in mine)
        for other in preference.avoided_city_ids:
            count += 1
            met_count += other not in paired
        if count:
            report.append(CityMet(city_id, count, met_count, tuple(granted)))
    return MetReport(tuple(report), frozenset(cities))


# --- For the engine -----------------------------------------------------------------------------

def engine_fields(city_ids) -> dict[int, dict]:
    """The engine's preference fields of each city (``matching.Participant`` keywords).

    Partner ids become engine ids (text); avoided cities are not here: they are exclusions
    (:func:`avoided_pairs`), hard rules both ways.
    """
    out = {}
    for city_id, preference in for_cities(city_ids).items():
        out[city_id] = {
            "prefer": tuple(str(c) for c in preference.preferred_city_ids if c != city_id),
            "prefer_regions": tuple(preference.regions),
            "prefer_languages": tuple(preference.languages),
            "focus": tuple(preference.areas),
        }
    return out


# --- Explanations -------------------------------------------------------------------------------

PREFERENCE_COMPONENTS = ("preference_partner", "preference_region", "preference_language")


def sentences(mentor: City, mentee: City, components: dict | None) -> list[str]:
    """Sentences saying which stated preference added to a pair's score ("Dakar asked for Lyon.").

    Only the preferences the engine counted (a positive ``preference_*`` component) are named;
    no query is made for a pair without one.
    """
    components = components or {}
    if not any(components.get(name, 0.0) > 0 for name in PREFERENCE_COMPONENTS):
        return []
    from mentoring.services.explanations import _join, _language, _locale
    from mentoring.services.geography import REGION_LABELS

    stated = for_cities([mentor.id, mentee.id])
    out = []
    pairs = ((mentee, mentor), (mentor, mentee))
    if components.get("preference_partner", 0.0) > 0:
        for a, b in pairs:
            if a.id in stated and b.id in stated[a.id].preferred_city_ids:
                out.append(_("%(city)s asked for %(partner)s.", city=display_name(a), partner=display_name(b)))
    if components.get("preference_region", 0.0) > 0:
        for a, b in pairs:
            if a.id in stated and b.region in stated[a.id].regions:
                out.append(_("%(city)s prefers partners in %(region)s.", city=display_name(a),
                             region=str(REGION_LABELS.get(b.region, b.region))))
    if components.get("preference_language", 0.0) > 0:
        locale = _locale()
        for a, b in pairs:
            if a.id not in stated:
                continue
            spoken = [c for c in stated[a.id].languages if c in b.language_codes]
            if spoken:
                out.append(_("%(city)s prefers to work in %(languages)s.", city=display_name(a),
                             languages=_join([_language(c, locale) for c in spoken[:2]])))
    return out


def met_in_round(round_) -> MetReport:
    """:func:`met` for a round's live proposals; its cities are the pairs' and the unmatched mentees'."""
    from mentoring.models import Proposal

    pairs = list(db.session.execute(select(Proposal.mentor_city_id, Proposal.mentee_city_id).where(
        Proposal.round_id == round_.id, Proposal.state.in_(("proposed", "approved", "endorsed")))))
    unmatched = [int(u["mentee"]) for u in (round_.unmatched or []) if str(u.get("mentee", "")).isdigit()]
    return met(pairs, unmatched)
