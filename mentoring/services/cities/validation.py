"""Validation of a city's identity fields: one place for what a profile may hold.

Field-level problems are returned keyed by form field names, so the editor shows them next to the
right input and the survey import reports them per cell.
"""
from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import City, Commission
from mentoring.models.cities import REGIONS
from mentoring.services import Conflict, ServiceError, geography

MAX_MENTOR_CAPACITY = 20
MAX_POPULATION = 100_000_000
#: A verification decision's reason.
REASON_MAX = 2000
#: Languages a city may list.
MAX_LANGUAGES = 20
# The identity fields a caller may change; everything else (status, version, priority, is_demo…)
# is out of reach of the profile editor and of imports (no mass assignment).
IDENTITY_FIELDS = (
    "name", "country", "subdivision", "geonames_id", "region", "population", "latitude", "longitude", "timezone",
    "website",
    "mentor_capacity", "wants_mentor", "practices", "needs", "languages", "commissions",
)
#: Characters a name may not hold: controls and bidirectional overrides/isolates (a name that reads
#: differently from what it is, "Trojan Source").
HIDDEN_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def hidden_characters(text: str) -> bool:
    return bool(HIDDEN_CHARACTERS.search(text or ""))


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def whole_number(value, field, errors, low, high, message):
    if blank(value):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("Please enter a whole number."))
        return None
    if isinstance(value, float) and value != number:
        errors.setdefault(field, []).append(_("Please enter a whole number."))
        return None
    if not low <= number <= high:
        errors.setdefault(field, []).append(message)
        return None
    return number


def decimal_number(value, field, errors, low, high, message):
    if blank(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("Please enter a number."))
        return None
    if number != number or not low <= number <= high:  # NaN fails the first test
        errors.setdefault(field, []).append(message)
        return None
    return number


def safe_website(url: str | None) -> str | None:
    """``url`` if it is an http(s) address with a host, else ``None`` (never a ``javascript:`` link)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url.strip()


def complete_website(text: str | None) -> str | None:
    """The address a person meant: ``www.example.cl`` becomes ``https://www.example.cl``.

    An address without a scheme is completed with ``https://`` when what is left is a host name
    with a dot (and no spaces); anything else is returned as typed, for :func:`safe_website` to judge.
    """
    text = (text or "").strip()
    if not text or "://" in text or any(ch.isspace() for ch in text):
        return text or None
    candidate = "https://" + text.lstrip("/")
    try:
        parts = urlsplit(candidate)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number ("javascript:alert(1)")
    except ValueError:
        return text
    if parts.username is None and parts.hostname and "." in parts.hostname.strip("."):
        return candidate
    return text


def clean_identity(fields: dict, city: City | None) -> tuple[dict, dict[str, list[str]]]:
    """Validate the given identity fields; returns ``(clean values, errors)``.

    Only the keys present in ``fields`` are validated and returned, so a section of the editor
    (or an import column) changes only what it carries.
    """
    unknown = set(fields) - set(IDENTITY_FIELDS)
    if unknown:
        raise TypeError(f"not identity fields: {', '.join(sorted(unknown))}")
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}

    if "name" in fields:
        name = " ".join((fields["name"] or "").split())
        if hidden_characters(fields["name"] or ""):
            errors["name"] = [_("The name contains control or text-direction characters; type it again.")]
        elif not name:
            errors["name"] = [_("Please give the city's name.")]
        elif len(name) > rules.CITY_NAME_MAX:
            errors["name"] = [_("Use at most %(n)d characters.", n=rules.CITY_NAME_MAX)]
        else:
            clean["name"] = name
    if "country" in fields:
        country = (fields["country"] or "").strip().upper()
        if not geography.is_country(country) or len(country) != 2:
            errors["country"] = [_("Choose a country from the list.")]
        else:
            clean["country"] = country
    if "subdivision" in fields:
        raw = (fields["subdivision"] or "").strip()
        country = clean.get("country") or (city.country if city is not None else "")
        code = geography.subdivision_code(country, raw) if raw else ""
        if raw and not code:
            errors["subdivision"] = [_("Choose a province, state or region of the country from the list.")]
        else:
            clean["subdivision"] = code
    if "geonames_id" in fields:
        clean["geonames_id"] = whole_number(fields["geonames_id"], "geonames_id", errors, 1, 2**31 - 1,
                                            _("A GeoNames identifier is a positive whole number."))
    if "region" in fields:
        region = (fields["region"] or "").strip()
        if region and region not in REGIONS:
            errors["region"] = [_("Choose a region from the list.")]
        elif region:
            clean["region"] = region
        else:
            # Left empty: the UCLG region of the country.
            country = clean.get("country") or (city.country if city is not None else None)
            default = geography.region_for_country(country) if country else None
            if default is None and "country" not in errors:
                errors["region"] = [_("Choose the city's region.")]
            else:
                clean["region"] = default
    if "population" in fields:
        clean["population"] = whole_number(
            fields["population"], "population", errors, 0, MAX_POPULATION,
            _("Enter a population between 0 and %(n)s.", n=format_decimal(MAX_POPULATION)),
        )
    if "latitude" in fields:
        clean["latitude"] = decimal_number(
            fields["latitude"], "latitude", errors, -90, 90, _("Latitude is between -90 and 90.")
        )
    if "longitude" in fields:
        clean["longitude"] = decimal_number(
            fields["longitude"], "longitude", errors, -180, 180, _("Longitude is between -180 and 180.")
        )
    if "timezone" in fields:
        timezone = (fields["timezone"] or "").strip()
        if timezone and timezone not in _timezones():
            errors["timezone"] = [_("Choose a time zone from the list (e.g. Europe/Paris).")]
        else:
            clean["timezone"] = timezone or None
    if "website" in fields:
        website = complete_website(fields["website"]) or ""
        if website and len(website) > 300:
            errors["website"] = [_("Use at most %(n)d characters.", n=300)]
        elif website and safe_website(website) is None:
            errors["website"] = [_("Enter a web address starting with https:// or http://.")]
        else:
            clean["website"] = website or None
    if "mentor_capacity" in fields:
        capacity = whole_number(
            fields["mentor_capacity"], "mentor_capacity", errors, 0, MAX_MENTOR_CAPACITY,
            _("Mentor capacity is between 0 and %(n)d cities.", n=MAX_MENTOR_CAPACITY),
        )
        if "mentor_capacity" not in errors:
            clean["mentor_capacity"] = capacity or 0
            if city is not None and clean["mentor_capacity"] != city.mentor_capacity:
                try:
                    rules.check_capacity_change(city, clean["mentor_capacity"])
                except ServiceError as error:
                    errors.update(error.errors)
    if "wants_mentor" in fields:
        clean["wants_mentor"] = bool(fields["wants_mentor"])
    for text_field in ("practices", "needs"):
        if text_field in fields:
            text = (fields[text_field] or "").strip()
            if len(text) > rules.TEXT_MAX:
                errors[text_field] = [_("Use at most %(n)d characters.", n=rules.TEXT_MAX)]
            else:
                clean[text_field] = text
    if "languages" in fields:
        codes = language_codes(fields["languages"], errors)
        if codes is not None:
            clean["languages"] = codes
    if "commissions" in fields:
        keys = commission_keys(fields["commissions"], errors)
        if keys is not None:
            clean["commissions"] = keys

    # One city per name, country and subdivision (or per GeoNames id).
    def current(key):
        return clean.get(key, getattr(city, key) if city is not None else None)

    name, country, subdivision, geonames_id = (current(k) for k in ("name", "country", "subdivision", "geonames_id"))
    if name and country and geonames_id is None and {"name", "country", "subdivision", "geonames_id"} & set(clean):
        other = db.session.scalar(
            select(City.id).where(City.name == name, City.country == country,
                                  City.subdivision == (subdivision or ""), City.geonames_id.is_(None)).limit(1)
        )
        if other is not None and (city is None or other != city.id):
            errors.setdefault("name", []).append(
                _("A city with this name is already registered in this country.")
            )
    if geonames_id is not None and "geonames_id" in clean:
        other = db.session.scalar(select(City.id).where(City.geonames_id == geonames_id).limit(1))
        if other is not None and (city is None or other != city.id):
            errors.setdefault("geonames_id", []).append(_("Another city has this GeoNames identifier."))
    return clean, errors


def language_codes(codes, errors) -> list[str] | None:
    seen: list[str] = []
    for code in codes or ():
        code = (code or "").strip().lower()
        if not geography.is_language(code):
            errors["languages"] = [_("Choose languages from the list.")]
            return None
        if code not in seen:
            seen.append(code)
    if len(seen) > MAX_LANGUAGES:
        errors["languages"] = [_("Choose at most %(n)d languages.", n=MAX_LANGUAGES)]
        return None
    return seen


def commission_keys(keys, errors) -> list[str] | None:
    wanted = []
    for key in keys or ():
        if key not in wanted:
            wanted.append(key)
    known = set(db.session.scalars(select(Commission.key).where(Commission.key.in_(wanted)))) if wanted else set()
    if set(wanted) - known:
        errors["commissions"] = [_("Choose commissions from the list.")]
        return None
    return wanted


def identity_snapshot(city: City) -> dict:
    """The identity fields as plain values, for the audit trail and JSON."""
    return {
        "name": city.name,
        "country": city.country,
        "subdivision": city.subdivision,
        "geonames_id": city.geonames_id,
        "region": city.region,
        "population": city.population,
        "latitude": city.latitude,
        "longitude": city.longitude,
        "timezone": city.timezone,
        "website": city.website,
        "mentor_capacity": city.mentor_capacity,
        "wants_mentor": city.wants_mentor,
        "practices": city.practices,
        "needs": city.needs,
        "languages": city.language_codes,
        "commissions": sorted(city.commission_keys),
    }


def conflict_message() -> str:
    return _("Someone else saved this city's profile while you were editing it. Your changes were "
             "not saved: review the current values and save again.")


def flush() -> None:
    """Flush, turning a lost optimistic-locking race into a :class:`Conflict`.

    The session then needs the rollback that the caller's commit point makes (a view's error
    answer, or the app-wide :class:`ServiceError` handler).
    """
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError) as error:
        if isinstance(error, IntegrityError) and "uq_city_name_country" in str(error.orig):
            raise ServiceError(
                _("The city could not be saved."),
                {"name": [_("A city with this name is already registered in this country.")]},
            ) from None
        raise Conflict(conflict_message()) from None


