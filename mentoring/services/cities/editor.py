"""The profile editor's operations: registration, identity, languages, commissions, assessments.

Every operation flushes and leaves the commit to its caller (a view, a CLI command, an import), and
records what it changed in the audit trail in the same transaction.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    CapabilityArea,
    City,
    CityCommission,
    CityLanguage,
    CityMember,
    Commission,
    utcnow,
)
from mentoring.models.cities import MATURITY_LEVELS, MIN_MENTOR_LEVEL, NEED_LEVELS
from mentoring.services import NotAllowed, ServiceError, audit, geography
from mentoring.services.cities.validation import (
    clean_identity,
    commission_keys,
    conflict_message,
    flush,
    identity_snapshot,
    language_codes,
    whole_number,
)


def register_city(actor, *, name, country, region=None, is_demo: bool = False, **fields) -> City:
    """Register a city (status ``pending``); ``actor`` becomes its first representative.

    ``actor`` may be ``None`` for data loaded by the system (demo data), in which case the city has
    no member yet. Registration by a user whose e-mail address is not confirmed is refused.
    Missing region, time zone, coordinates and population are filled from GeoNames when known.
    """
    if actor is not None and getattr(actor, "email_confirmed_at", None) is None:
        raise NotAllowed(
            _("Please confirm your e-mail address before registering a city: follow the link in "
              "the message we sent you when you created your account.")
        )
    fields = {"name": name, "country": country, "region": region, **fields}
    known = known_place(name, country, fields.get("subdivision"), fields.get("geonames_id")) or {}
    if known and not fields.get("subdivision"):
        fields["subdivision"] = geography.subdivision_of(known)
    values, errors = clean_identity(fields, None)
    if errors:
        raise ServiceError(_("The city could not be registered."), errors)
    languages = values.pop("languages", None)
    commissions = values.pop("commissions", None)
    if values.get("timezone") is None:
        values["timezone"] = known.get("timezone") or geography.country_timezone(values["country"])
    if values.get("latitude") is None and values.get("longitude") is None and known:
        values["latitude"], values["longitude"] = known.get("latitude"), known.get("longitude")
    if values.get("population") is None and known.get("population"):
        values["population"] = known["population"]
    city = City(status="pending", is_demo=is_demo, **values)
    db.session.add(city)
    flush()
    if languages is not None:
        set_languages(city, languages)
    if commissions is not None:
        set_commissions(city, commissions)
    if actor is not None:
        db.session.add(CityMember(city_id=city.id, user_id=actor.id, role="representative"))
    flush()
    audit.record(actor, "city.register", city, after=identity_snapshot(city))
    return city


def known_place(name, country, subdivision=None, geonames_id=None) -> dict | None:
    """The GeoNames record of a city being registered: the one chosen by ``geonames_id`` among the cities of
    that name in the country, else the only one of that name (in ``subdivision`` when given). ``None`` when
    GeoNames does not know it or several cities share the name (Suzhou, Jiangsu and Suzhou, Anhui): the
    registration page then offers them to choose from."""
    places = geography.cities_named(name or "", country or "")
    if geonames_id not in (None, ""):
        return next((p for p in places if str(p["geonameid"]) == str(geonames_id).strip()), None)
    if subdivision:
        code = geography.subdivision_code(country or "", str(subdivision))
        places = [p for p in places if geography.subdivision_of(p) == code]
    return places[0] if len(places) == 1 else None


def update_identity(city: City, actor, expected_version, **fields) -> City:
    """Change identity fields of ``city``, read by the caller at ``expected_version``.

    Raises :class:`Conflict` if the city changed since (nothing is saved), :class:`ServiceError`
    with field errors when a value is refused (nothing is saved either).
    """
    rules.check_version(city, expected_version, conflict_message())
    values, errors = clean_identity(fields, city)
    if errors:
        raise ServiceError(_("The profile could not be saved."), errors)
    before = identity_snapshot(city)
    languages = values.pop("languages", None)
    commissions = values.pop("commissions", None)
    if "timezone" in values and values["timezone"] is None:
        country = values.get("country", city.country)
        known = geography.find_city(values.get("name", city.name), country) or {}
        values["timezone"] = known.get("timezone") or geography.country_timezone(country)
    # One flush at the end: the city's row is written (and its version bumped) once per save.
    with db.session.no_autoflush:
        for key, value in values.items():
            setattr(city, key, value)
        if languages is not None:
            set_languages(city, languages)
        if commissions is not None:
            set_commissions(city, commissions)
        old, new = audit.changes(before, identity_snapshot(city))
        if new:
            city.updated_at = utcnow()  # also bumps the version when only languages/commissions changed
    if new:
        flush()
        audit.record(actor, "city.update", city, before=old, after=new)
    return city


def set_languages(city: City, codes) -> None:
    """Replace the city's languages by ``codes`` (ISO 639-1), keeping their order."""
    errors: dict[str, list[str]] = {}
    codes = language_codes(codes, errors)
    if errors:
        raise ServiceError(_("The languages could not be saved."), errors)
    if codes == city.language_codes:
        return
    existing = {language.code: language for language in city.languages}
    city.languages = [existing.get(code) or CityLanguage(code=code) for code in codes]
    for position, language in enumerate(city.languages):
        language.position = position


def set_commissions(city: City, keys) -> None:
    """Replace the commissions the city takes part in by those with ``keys``."""
    errors: dict[str, list[str]] = {}
    keys = commission_keys(keys, errors)
    if errors:
        raise ServiceError(_("The commissions could not be saved."), errors)
    if sorted(keys) == sorted(city.commission_keys):
        return
    by_key = {c.key: c for c in db.session.scalars(select(Commission).where(Commission.key.in_(keys)))}
    existing = {membership.commission.key: membership for membership in city.commissions}
    city.commissions = [
        existing.get(key) or CityCommission(commission=by_key[key]) for key in keys
    ]


# --- Assessments ----------------------------------------------------------------------------

def current_assessments(city: City) -> dict[str, Assessment]:
    """The current assessment of each area, by area key."""
    rows = db.session.scalars(
        select(Assessment).where(Assessment.city_id == city.id, Assessment.is_current)
    )
    return {row.area.key: row for row in rows}


def _assessment_values(row: Assessment | None) -> dict | None:
    if row is None:
        return None
    return {"maturity": row.maturity, "need": row.need, "can_mentor": row.can_mentor, "evidence": row.evidence}


def set_assessments(city: City, values: dict[str, dict], actor) -> int:
    """Record the city's assessment of the areas in ``values``; returns how many areas changed.

    ``values`` maps area keys to ``{"maturity": int | None, "need": int | None, "can_mentor":
    bool, "evidence": str}``. Each changed area gets a new current :class:`Assessment` (dated,
    by ``actor``) and its previous one is kept as history; an area whose maturity and need are
    both empty (and without offer or evidence) stops having a current assessment. All or nothing:
    any refused value raises :class:`ServiceError` with errors keyed ``<area>_maturity``,
    ``<area>_need``, ``<area>_can_mentor``, ``<area>_evidence``.
    """
    areas = {a.key: a for a in db.session.scalars(select(CapabilityArea))}
    errors: dict[str, list[str]] = {}
    clean: dict[str, dict | None] = {}
    for key, raw in values.items():
        area = areas.get(key)
        if area is None:
            errors.setdefault(f"{key}_maturity", []).append(_("Unknown capability area."))
            continue
        raw = raw or {}
        maturity = whole_number(raw.get("maturity"), f"{key}_maturity", errors, MATURITY_LEVELS[0],
                        MATURITY_LEVELS[-1], _("Choose a level from 0 to 4."))
        need = whole_number(raw.get("need"), f"{key}_need", errors, NEED_LEVELS[0], NEED_LEVELS[-1],
                    _("Choose a need from 0 to 3."))
        can_mentor = bool(raw.get("can_mentor"))
        evidence = (raw.get("evidence") or "").strip()
        if len(evidence) > rules.TEXT_MAX:
            errors.setdefault(f"{key}_evidence", []).append(_("Use at most %(n)d characters.", n=rules.TEXT_MAX))
        if any(f"{key}_{part}" in errors for part in ("maturity", "need")):
            continue
        if maturity is None:
            if need is not None or can_mentor or evidence:
                errors.setdefault(f"{key}_maturity", []).append(
                    _("Choose a maturity level to record a need, an offer or evidence.")
                )
            clean[key] = None
            continue
        if can_mentor and maturity < MIN_MENTOR_LEVEL:
            errors.setdefault(f"{key}_can_mentor", []).append(
                _("A city can offer mentoring only in areas where it is at level 3 (Established) or 4 (Leading).")
            )
        clean[key] = {"maturity": maturity, "need": need or 0, "can_mentor": can_mentor, "evidence": evidence}
    if errors:
        raise ServiceError(_("The assessment could not be saved."), errors)

    current = current_assessments(city)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    now = utcnow()
    for key, new in clean.items():
        old_row = current.get(key)
        old = _assessment_values(old_row)
        if old == new:
            continue
        before[key], after[key] = old, new
        if old_row is not None:
            old_row.is_current = False
        if new is not None:
            # The retired row must be written before the new current one (one current per area).
            flush()
            db.session.add(Assessment(
                city_id=city.id, area_id=areas[key].id, is_current=True, assessed_at=now,
                assessed_by_id=getattr(actor, "id", None), **new,
            ))
    if after:
        city.updated_at = now  # bumps the version: forms read before this change are stale
        flush()
        db.session.expire(city, ["assessments"])
        audit.record(actor, "city.assess", city, before=before, after=after)
    return len(after)




def idle_mentor_areas(city: City) -> list[str]:
    """Labels of the areas a city offers to mentor in while its mentor capacity is 0.

    With no place (``rules.Places``), no round, suggestion or request proposes it as a mentor: the
    editor and the profile warn its representatives and the coordinators.
    """
    if (city.mentor_capacity or 0) > 0:
        return []
    keys = [a.area.key for a in city.assessments if a.can_mentor]
    if not keys:
        return []
    from mentoring.services.taxonomy import area_labels

    labels = area_labels()
    return [labels.get(key, key) for key in keys]
