"""Why a pair was proposed, in the reader's language — rendered when the page is shown.

The engine stores one English sentence on each proposal (``Proposal.explanation``): it stays the
audit record and the fallback. Pages render their explanation here instead, from structured data:

- the pair's focus areas (best first), with the CapabilityArea labels of the current language;
- the mentor's maturity and the mentee's need in those areas, from the cities' *current* assessments;
- the working languages the two cities share (names in the current language);
- the context: same UCLG region, comparable population;
- the score components (a sentence when the texts echo each other).

Every sentence is a ``gettext`` message with named placeholders. One function,
:func:`explain`, serves the round page, the proposal page, the representatives' pages, the manual
matching suggestions and the JSON API; :func:`explain_many` does the same for a list of pairs in
a constant number of queries (one for the areas, one for the assessments).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from mentoring import cache
from mentoring.extensions import db
from mentoring.models import Assessment, CapabilityArea, City
from mentoring.services import rule_reasons
from mentoring.services.cities.directory import display_name
from mentoring.services.geography import REGION_LABELS, language_name
from mentoring.services.taxonomy import area_labels, level_name

__all__ = ["AreaFacts", "Explanation", "explain", "explain_many", "load_levels"]

# Areas named in the sentences (the proposal page lists every focus area with its levels).
AREAS_IN_SENTENCES = 3
# Two populations are "comparable" when the larger is at most this many times the smaller.
COMPARABLE_POPULATION_RATIO = 3.0
# The text component must reach this share of the score to be worth a sentence (as the engine).
TEXT_COMPONENT_MIN = 0.05

Levels = dict[tuple[int, str], tuple[int, int]]  # (city id, area key) -> (maturity, need)


@dataclass
class AreaFacts:
    key: str
    label: str
    mentor_level: int | None
    mentee_level: int | None
    mentee_need: int | None


@dataclass
class Explanation:
    """The localised sentences, the facts behind them, and the stored English fallback."""

    sentences: list[str] = field(default_factory=list)
    areas: list[AreaFacts] = field(default_factory=list)
    shared_languages: list[str] = field(default_factory=list)
    same_region: bool = False
    comparable_population: bool = False
    fallback: str = ""

    @property
    def text(self) -> str:
        return " ".join(self.sentences) or self.fallback

    def __str__(self) -> str:  # templates may print the object directly
        return self.text

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "sentences": list(self.sentences),
            "areas": [vars(a).copy() for a in self.areas],
            "shared_languages": list(self.shared_languages),
            "same_region": self.same_region,
            "comparable_population": self.comparable_population,
            "stored": self.fallback,
        }


def _locale() -> str:
    return str(get_locale() or "en")


@functools.lru_cache(maxsize=4096)
def _joined(items: tuple[str, ...], locale: str) -> str:
    """``format_list`` once per list and language (Babel resolves the list style on every call)."""
    try:
        return format_list(list(items), locale=locale)
    except (ValueError, LookupError):  # an unknown locale: plain commas
        return ", ".join(items)


def _join(items: list[str]) -> str:
    if not items:
        return ""
    return items[0] if len(items) == 1 else _joined(tuple(str(item) for item in items), _locale())


def _language(code: str, locale: str) -> str:
    name = language_name(code, locale)
    # French and Spanish write language names in lower case inside a sentence ("ils partagent l'espagnol").
    return name[:1].lower() + name[1:] if locale in ("fr", "es") else name


def load_levels(city_ids, area_keys) -> Levels:
    """Current (maturity, need) of the cities in the areas, in one query."""
    city_ids, area_keys = set(city_ids), set(area_keys)
    if not city_ids or not area_keys:
        return {}
    rows = db.session.execute(
        select(Assessment.city_id, CapabilityArea.key, Assessment.maturity, Assessment.need)
        .join(CapabilityArea, CapabilityArea.id == Assessment.area_id)
        .where(Assessment.is_current, Assessment.city_id.in_(city_ids), CapabilityArea.key.in_(area_keys))
    )
    return {(city_id, key): (maturity, need) for city_id, key, maturity, need in rows}


_LEVEL_TEXTS: dict[tuple[str, int], str] = {}


def _level_text(level: int) -> str:
    """"3 (Advanced)" in the reader's language (kept per language: the taxonomy file does not change)."""
    key = (_locale(), level)
    if key not in _LEVEL_TEXTS:
        try:
            _LEVEL_TEXTS[key] = _("%(number)d (%(name)s)", number=level, name=level_name(level))
        except (IndexError, KeyError, TypeError):
            return str(level)
    return _LEVEL_TEXTS[key]


def _first_sentence(mentor: str, mentee: str, area: str, level: int | None, need: int | None) -> str:
    if level is None:
        return _("%(mentor)s can share its experience of %(area)s with %(mentee)s.",
                 mentor=mentor, area=area, mentee=mentee)
    values = {"mentor": mentor, "mentee": mentee, "area": area, "level": _level_text(level)}
    if need == 3:
        return _("%(mentor)s is at level %(level)s in %(area)s, where %(mentee)s has a high need.", **values)
    if need == 2:
        return _("%(mentor)s is at level %(level)s in %(area)s, where %(mentee)s has a medium need.", **values)
    if need == 1:
        return _("%(mentor)s is at level %(level)s in %(area)s, where %(mentee)s has a low need.", **values)
    return _("%(mentor)s is at level %(level)s in %(area)s, an area %(mentee)s wants to develop.", **values)


def _comparable(a: int | None, b: int | None) -> bool:
    if not a or not b or a <= 0 or b <= 0:
        return False
    return math.log(max(a, b) / min(a, b)) <= math.log(COMPARABLE_POPULATION_RATIO)


def explain(mentor: City, mentee: City, areas, components: dict | None, *, stored: str = "",
            levels: Levels | None = None, labels: dict[str, str] | None = None, rules=None) -> Explanation:
    """The explanation of one pair in the current language.

    ``levels`` and ``labels`` are loaded when not given (pass them from :func:`explain_many` to
    explain a list without a query per pair). ``stored`` is the engine's English sentence; ``rules``
    the programme's rules that decided the pair (``Proposal.rules``), one sentence each.
    """
    areas = [a for a in (areas or []) if a]
    labels = labels if labels is not None else area_labels()
    if levels is None:
        levels = load_levels((mentor.id, mentee.id), areas)
    out = Explanation(fallback=stored or "")
    for key in areas:
        mentor_facts = levels.get((mentor.id, key))
        mentee_facts = levels.get((mentee.id, key))
        out.areas.append(AreaFacts(
            key=key, label=labels.get(key, key),
            mentor_level=mentor_facts[0] if mentor_facts else None,
            mentee_level=mentee_facts[0] if mentee_facts else None,
            mentee_need=mentee_facts[1] if mentee_facts else None,
        ))
    if out.areas:
        top = out.areas[0]
        out.sentences.append(_first_sentence(display_name(mentor), display_name(mentee), top.label, top.mentor_level,
                                             top.mentee_need))
        others = [a.label for a in out.areas[1:AREAS_IN_SENTENCES]]
        if others:
            out.sentences.append(_("Their profiles also meet in %(areas)s.", areas=_join(others)))
    locale = _locale()
    mentor_codes = [lang.code for lang in mentor.languages]
    shared = [lang.code for lang in mentee.languages if lang.code in mentor_codes]
    out.shared_languages = shared
    if shared:
        out.sentences.append(_("They share %(languages)s.",
                               languages=_join([_language(code, locale) for code in shared])))
    else:
        out.sentences.append(_("They have no working language in common."))
    out.same_region = bool(mentor.region) and mentor.region == mentee.region
    out.comparable_population = _comparable(mentor.population, mentee.population)
    region = str(REGION_LABELS.get(mentor.region, mentor.region or ""))
    if out.same_region and out.comparable_population:
        out.sentences.append(_("Both are in %(region)s and have comparable populations.", region=region))
    elif out.same_region:
        out.sentences.append(_("Both are in %(region)s.", region=region))
    elif out.comparable_population:
        out.sentences.append(_("Their populations are comparable."))
    if (components or {}).get("text", 0.0) > TEXT_COMPONENT_MIN:
        out.sentences.append(_("The mentor's practices echo the needs the mentee describes."))
    from mentoring.services import preferences

    out.sentences.extend(preferences.sentences(mentor, mentee, components))
    out.sentences.extend(rule_reasons.pair_sentences(rules))
    return out


def explain_many(pairs, *, kept_with: tuple | None = None) -> dict:
    """Explanations of many pairs in two queries; ``pairs`` are proposals (or objects with
    ``mentor_city``, ``mentee_city``, ``areas``, ``components``, ``explanation``), keyed by ``id``.

    The cities' languages must be loaded already (``selectinload(City.languages)``).

    ``kept_with``: keep each proposal's explanation (per process) under everything it is written from:
    the language, the proposal's version and creation time (a row deleted and its id reused is another
    proposal), its components, rules and stored sentence, the areas' labels and levels read for it, both
    cities' versions, names as shown, regions, populations and languages, plus ``kept_with`` (the caller's
    fingerprint of the stated preferences) — and write it again when any of them changes. The round page
    passes it: the same rows are read again and again.
    """
    pairs = list(pairs)
    labels = area_labels()
    city_ids = {p.mentor_city_id for p in pairs} | {p.mentee_city_id for p in pairs}
    area_keys = {key for p in pairs for key in (p.areas or [])}
    levels = load_levels(city_ids, area_keys)
    out = {}
    locale = _locale() if kept_with is not None else ""
    database = cache.database_key()
    cities: dict[int, tuple] = {}  # each city's part of the key, once per city

    def city_key(city) -> tuple:
        if city.id not in cities:
            cities[city.id] = (city.id, city.version, display_name(city), city.region, city.population,
                               tuple(city.language_codes))
        return cities[city.id]

    for p in pairs:
        def write(p=p):
            return explain(p.mentor_city, p.mentee_city, p.areas, p.components, stored=p.explanation,
                           levels=levels, labels=labels, rules=getattr(p, "rules", None))
        if kept_with is None:
            out[p.id] = write()
            continue
        mentor, mentee = p.mentor_city, p.mentee_city
        key = (database, locale, kept_with, p.id, p.version, p.created_at, p.explanation,
               repr(p.components), repr(getattr(p, "rules", None)),
               tuple((labels.get(a), levels.get((mentor.id, a)), levels.get((mentee.id, a))) for a in p.areas or ()),
               city_key(mentor), city_key(mentee))
        out[p.id] = _kept.get_or_compute(key, write)
    return out


_kept = cache.Memo(maxsize=4096)
