"""City profiles: registration, verification, members and invitations, identity and assessments.

Every operation flushes and leaves the commit to its caller (a view, a CLI command, an import), and
records what it changed in the audit trail in the same transaction. Field-level problems are
reported as :class:`ServiceError` with ``errors`` keyed by form field names, so a view can show them
next to the right input and an import can report them per row.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import zoneinfo
from datetime import timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    CapabilityArea,
    City,
    CityCommission,
    CityInvitation,
    CityLanguage,
    CityMember,
    Commission,
    Notification,
    User,
    utcnow,
)
from mentoring.models.cities import MATURITY_LEVELS, MEMBER_ROLES, MIN_MENTOR_LEVEL, NEED_LEVELS, REGIONS
from mentoring.services import Conflict, NotAllowed, ServiceError, accounts, audit, geography
from mentoring.services.mail import send_mail

__all__ = [
    "IDENTITY_FIELDS", "MAX_MENTOR_CAPACITY", "STATUS_ACTIONS",
    "register_city", "update_identity", "set_languages", "set_commissions", "set_assessments",
    "verify_city", "reject_city", "suspend_city", "reinstate_city", "change_status",
    "invite_member", "accept_invitation", "find_invitation", "remove_member",
    "is_member", "is_representative", "can_edit", "can_view", "representatives",
    "identity_snapshot", "check_version",
]

MAX_MENTOR_CAPACITY = 20
MAX_POPULATION = 100_000_000
MAX_TEXT = 5000
MAX_EVIDENCE = 2000
# The identity fields a caller may change; everything else (status, version, priority, is_demo…)
# is out of reach of the profile editor and of imports (no mass assignment).
IDENTITY_FIELDS = (
    "name", "country", "region", "population", "latitude", "longitude", "timezone", "website",
    "mentor_capacity", "wants_mentor", "practices", "needs", "languages", "commissions",
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- Access helpers (used by the views' owner checks) -------------------------------------------

def _membership(city: City, user) -> CityMember | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.get(CityMember, (city.id, user.id))


def is_member(city: City, user) -> bool:
    return _membership(city, user) is not None


def is_representative(city: City, user) -> bool:
    member = _membership(city, user)
    return member is not None and member.role == "representative"


def can_edit(city: City, user) -> bool:
    """Representatives of the city, coordinators and administrators."""
    return bool(getattr(user, "is_coordinator", False)) or is_representative(city, user)


def can_view(city: City, user) -> bool:
    """Verified cities are visible to every signed-in user; others to members and coordinators."""
    if city.status == "verified":
        return True
    return bool(getattr(user, "is_coordinator", False)) or is_member(city, user)


def representatives(city: City) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(CityMember, CityMember.user_id == User.id)
            .where(CityMember.city_id == city.id, CityMember.role == "representative")
            .order_by(User.id)
        )
    )


def check_version(city: City, expected_version: Any) -> None:
    """Refuse a change made from a form read at another version of the city."""
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        expected = None
    if expected != city.version:
        raise Conflict(
            _("Someone else saved this city's profile while you were editing it. Your changes were "
              "not saved: review the current values and save again."),
        )


# --- Validation -----------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _int(value, field, errors, low, high, message):
    if _blank(value):
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


def _float(value, field, errors, low, high, message):
    if _blank(value):
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


def _clean_identity(fields: dict, city: City | None) -> tuple[dict, dict[str, list[str]]]:
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
        if not name:
            errors["name"] = [_("Please give the city's name.")]
        elif len(name) > 120:
            errors["name"] = [_("Use at most %(n)d characters.", n=120)]
        else:
            clean["name"] = name
    if "country" in fields:
        country = (fields["country"] or "").strip().upper()
        if not geography.is_country(country) or len(country) != 2:
            errors["country"] = [_("Choose a country from the list.")]
        else:
            clean["country"] = country
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
        clean["population"] = _int(
            fields["population"], "population", errors, 0, MAX_POPULATION,
            _("Enter a population between 0 and %(n)s.", n=format_decimal(MAX_POPULATION)),
        )
    if "latitude" in fields:
        clean["latitude"] = _float(
            fields["latitude"], "latitude", errors, -90, 90, _("Latitude is between -90 and 90.")
        )
    if "longitude" in fields:
        clean["longitude"] = _float(
            fields["longitude"], "longitude", errors, -180, 180, _("Longitude is between -180 and 180.")
        )
    if "timezone" in fields:
        timezone = (fields["timezone"] or "").strip()
        if timezone and timezone not in _timezones():
            errors["timezone"] = [_("Choose a time zone from the list (e.g. Europe/Paris).")]
        else:
            clean["timezone"] = timezone or None
    if "website" in fields:
        website = (fields["website"] or "").strip()
        if website and len(website) > 300:
            errors["website"] = [_("Use at most %(n)d characters.", n=300)]
        elif website and safe_website(website) is None:
            errors["website"] = [_("Enter a web address starting with https:// or http://.")]
        else:
            clean["website"] = website or None
    if "mentor_capacity" in fields:
        capacity = _int(
            fields["mentor_capacity"], "mentor_capacity", errors, 0, MAX_MENTOR_CAPACITY,
            _("Mentor capacity is between 0 and %(n)d cities.", n=MAX_MENTOR_CAPACITY),
        )
        if "mentor_capacity" not in errors:
            clean["mentor_capacity"] = capacity or 0
    if "wants_mentor" in fields:
        clean["wants_mentor"] = bool(fields["wants_mentor"])
    for text_field in ("practices", "needs"):
        if text_field in fields:
            text = (fields[text_field] or "").strip()
            if len(text) > MAX_TEXT:
                errors[text_field] = [_("Use at most %(n)d characters.", n=MAX_TEXT)]
            else:
                clean[text_field] = text
    if "languages" in fields:
        codes = _language_codes(fields["languages"], errors)
        if codes is not None:
            clean["languages"] = codes
    if "commissions" in fields:
        keys = _commission_keys(fields["commissions"], errors)
        if keys is not None:
            clean["commissions"] = keys

    # One city per name and country.
    name = clean.get("name", city.name if city is not None else None)
    country = clean.get("country", city.country if city is not None else None)
    if name and country and ("name" in clean or "country" in clean):
        other = db.session.scalar(
            select(City.id).where(City.name == name, City.country == country).limit(1)
        )
        if other is not None and (city is None or other != city.id):
            errors.setdefault("name", []).append(
                _("A city with this name is already registered in this country.")
            )
    return clean, errors


def _language_codes(codes, errors) -> list[str] | None:
    seen: list[str] = []
    for code in codes or ():
        code = (code or "").strip().lower()
        if not geography.is_language(code):
            errors["languages"] = [_("Choose languages from the list.")]
            return None
        if code not in seen:
            seen.append(code)
    if len(seen) > 20:
        errors["languages"] = [_("Choose at most %(n)d languages.", n=20)]
        return None
    return seen


def _commission_keys(keys, errors) -> list[str] | None:
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


def _flush() -> None:
    """Flush, turning a lost optimistic-locking race into a :class:`Conflict`."""
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError) as error:
        db.session.rollback()
        if isinstance(error, IntegrityError) and "uq_city_name_country" in str(error.orig):
            raise ServiceError(
                _("The city could not be saved."),
                {"name": [_("A city with this name is already registered in this country.")]},
            ) from None
        raise Conflict(
            _("Someone else saved this city's profile while you were editing it. Your changes were "
              "not saved: review the current values and save again.")
        ) from None


# --- Registration and identity --------------------------------------------------------------

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
    values, errors = _clean_identity({"name": name, "country": country, "region": region, **fields}, None)
    if errors:
        raise ServiceError(_("The city could not be registered."), errors)
    languages = values.pop("languages", None)
    commissions = values.pop("commissions", None)
    known = geography.find_city(values["name"], values["country"]) or {}
    if values.get("timezone") is None:
        values["timezone"] = known.get("timezone") or geography.country_timezone(values["country"])
    if values.get("latitude") is None and values.get("longitude") is None and known:
        values["latitude"], values["longitude"] = known.get("latitude"), known.get("longitude")
    if values.get("population") is None and known.get("population"):
        values["population"] = known["population"]
    city = City(status="pending", is_demo=is_demo, **values)
    db.session.add(city)
    _flush()
    if languages is not None:
        set_languages(city, languages)
    if commissions is not None:
        set_commissions(city, commissions)
    if actor is not None:
        db.session.add(CityMember(city_id=city.id, user_id=actor.id, role="representative"))
    _flush()
    audit.record(actor, "city.register", city, after=identity_snapshot(city))
    return city


def update_identity(city: City, actor, expected_version, **fields) -> City:
    """Change identity fields of ``city``, read by the caller at ``expected_version``.

    Raises :class:`Conflict` if the city changed since (nothing is saved), :class:`ServiceError`
    with field errors when a value is refused (nothing is saved either).
    """
    check_version(city, expected_version)
    values, errors = _clean_identity(fields, city)
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
        _flush()
        audit.record(actor, "city.update", city, before=old, after=new)
    return city


def set_languages(city: City, codes) -> None:
    """Replace the city's languages by ``codes`` (ISO 639-1), keeping their order."""
    errors: dict[str, list[str]] = {}
    codes = _language_codes(codes, errors)
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
    keys = _commission_keys(keys, errors)
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
        maturity = _int(raw.get("maturity"), f"{key}_maturity", errors, MATURITY_LEVELS[0],
                        MATURITY_LEVELS[-1], _("Choose a level from 0 to 4."))
        need = _int(raw.get("need"), f"{key}_need", errors, NEED_LEVELS[0], NEED_LEVELS[-1],
                    _("Choose a need from 0 to 3."))
        can_mentor = bool(raw.get("can_mentor"))
        evidence = (raw.get("evidence") or "").strip()
        if len(evidence) > MAX_EVIDENCE:
            errors.setdefault(f"{key}_evidence", []).append(_("Use at most %(n)d characters.", n=MAX_EVIDENCE))
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
            _flush()
            db.session.add(Assessment(
                city_id=city.id, area_id=areas[key].id, is_current=True, assessed_at=now,
                assessed_by_id=getattr(actor, "id", None), **new,
            ))
    if after:
        city.updated_at = now  # bumps the version: forms read before this change are stale
        _flush()
        db.session.expire(city, ["assessments"])
        audit.record(actor, "city.assess", city, before=before, after=after)
    return len(after)


# --- Verification ---------------------------------------------------------------------------

# action: (statuses it starts from, status it leads to, reason required)
STATUS_ACTIONS = {
    "verify": (("pending",), "verified", False),
    "reject": (("pending",), "rejected", True),
    "suspend": (("verified",), "suspended", True),
    "reinstate": (("suspended", "rejected"), None, False),  # suspended → verified, rejected → pending
}


def change_status(city: City, actor, action: str, reason: str | None = None) -> City:
    """Apply a verification ``action``; refuses transitions that do not exist."""
    if action not in STATUS_ACTIONS:
        raise ServiceError(_("Unknown action."), {"action": [_("Unknown action.")]})
    sources, target, needs_reason = STATUS_ACTIONS[action]
    reason = (reason or "").strip() or None
    if city.status not in sources:
        raise NotAllowed(
            _("This city cannot be %(action)s: its status is %(status)s.",
              action=_action_done(action), status=status_label(city.status))
        )
    if needs_reason and not reason:
        raise ServiceError(_("Please give a reason."), {"reason": [_("Please give a reason; the city's representatives will read it.")]})
    if reason and len(reason) > MAX_EVIDENCE:
        raise ServiceError(_("The reason is too long."), {"reason": [_("Use at most %(n)d characters.", n=MAX_EVIDENCE)]})
    if target is None:
        target = "verified" if city.status == "suspended" else "pending"
    before = {"status": city.status, "status_reason": city.status_reason}
    city.status = target
    city.status_reason = reason
    if target == "verified":
        city.verified_at = utcnow()
        city.verified_by_id = getattr(actor, "id", None)
    _flush()
    audit.record(actor, f"city.{action}", city, before=before,
                 after={"status": city.status, "status_reason": city.status_reason}, reason=reason)
    _notify_representatives(city, action, reason)
    return city


def verify_city(city: City, actor, reason: str | None = None) -> City:
    return change_status(city, actor, "verify", reason)


def reject_city(city: City, actor, reason: str | None) -> City:
    return change_status(city, actor, "reject", reason)


def suspend_city(city: City, actor, reason: str | None) -> City:
    return change_status(city, actor, "suspend", reason)


def reinstate_city(city: City, actor, reason: str | None = None) -> City:
    return change_status(city, actor, "reinstate", reason)


def status_label(status: str) -> str:
    return {
        "pending": _("pending verification"),
        "verified": _("verified"),
        "rejected": _("rejected"),
        "suspended": _("suspended"),
    }.get(status, status)


def _action_done(action: str) -> str:
    return {"verify": _("verified"), "reject": _("rejected"), "suspend": _("suspended"),
            "reinstate": _("reinstated")}.get(action, action)


def _url(endpoint: str, external: bool = False, **values) -> str:
    """A URL for mail and notifications; falls back to a path outside a request (CLI)."""
    try:
        return url_for(endpoint, _external=external, **values)
    except RuntimeError:
        if endpoint == "cities.invitation":
            return f"/cities/invitations/{values['token']}"
        return f"/cities/{values.get('city_id', '')}"


def _notify_representatives(city: City, action: str, reason: str | None) -> None:
    link = _url("cities.profile", city_id=city.id)
    external = _url("cities.profile", external=True, city_id=city.id)
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    for user in representatives(city):
        with force_locale(user.locale or default):
            message = {
                "verify": _("%(city)s is verified: it can now take part in matching rounds.", city=city.name),
                "reject": _("The registration of %(city)s was not accepted.", city=city.name),
                "suspend": _("%(city)s is suspended from the programme.", city=city.name),
                "reinstate": _("%(city)s is reinstated (status: %(status)s).",
                               city=city.name, status=status_label(city.status)),
            }[action]
            body = message
            if reason:
                body += "\n\n" + _("Reason: %(reason)s", reason=reason)
            body += "\n\n" + _("City profile: %(url)s", url=external)
            send_mail(user.email, _("City profile: %(city)s", city=city.name), body)
        db.session.add(Notification(user_id=user.id, message=message, link=link))
    db.session.flush()


# --- Members and invitations ----------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invite_member(city: City, actor, email: str, role: str) -> tuple[CityInvitation, str]:
    """Invite ``email`` to join ``city`` as ``role``; returns the invitation and its token.

    The token travels only in the e-mail; the database keeps its SHA-256 hash. It expires after
    ``TOKEN_MAX_AGE`` and can be used once.
    """
    if not can_edit(city, actor):
        raise NotAllowed(_("Only the city's representatives can invite colleagues."))
    email = (email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    if not _EMAIL.match(email) or len(email) > 254:
        errors["email"] = [_("Enter a valid e-mail address.")]
    if role not in MEMBER_ROLES:
        errors["role"] = [_("Choose a role from the list.")]
    if not errors:
        already = db.session.scalar(
            select(CityMember).join(User).where(CityMember.city_id == city.id, User.email == email)
        )
        if already is not None:
            errors["email"] = [_("This person is already a member of the city.")]
    if errors:
        raise ServiceError(_("The invitation could not be sent."), errors)
    token = secrets.token_urlsafe(32)
    invitation = CityInvitation(
        city_id=city.id, email=email, role=role, token_hash=_token_hash(token),
        invited_by_id=getattr(actor, "id", None),
        expires_at=utcnow() + current_app.config.get("TOKEN_MAX_AGE", timedelta(hours=24)),
    )
    db.session.add(invitation)
    _flush()
    audit.record(actor, "city.invite", city, after={"email": email, "role": role, "invitation": invitation.id})
    role_name = _("representative") if role == "representative" else _("mentor")
    send_mail(
        email,
        _("Invitation to join %(city)s on City mentoring", city=city.name),
        _("%(name)s invites you to join %(city)s as %(role)s on the city-to-city mentoring programme.\n\n"
          "Open this link to accept (it works once, until %(expires)s UTC):\n%(url)s\n\n"
          "Sign in, or create an account, with this e-mail address (%(email)s).",
          name=getattr(actor, "name", "") or _("A coordinator"), city=city.name, role=role_name,
          expires=invitation.expires_at.strftime("%Y-%m-%d %H:%M"),
          url=_url("cities.invitation", external=True, token=token), email=email),
    )
    return invitation, token


def find_invitation(token: str) -> CityInvitation | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(CityInvitation).where(CityInvitation.token_hash == _token_hash(token)))


def invitation_problem(invitation: CityInvitation | None) -> str | None:
    """Why an invitation cannot be used (unknown, used, expired), or ``None``."""
    if invitation is None:
        return _("This invitation link is not valid. Ask your colleague to invite you again.")
    if invitation.accepted_at is not None:
        return _("This invitation was already used.")
    if invitation.expires_at <= utcnow():
        return _("This invitation has expired. Ask your colleague to invite you again.")
    return None


def accept_invitation(token: str, user) -> CityMember:
    """Make ``user`` a member of the inviting city; the invitation must be for their e-mail.

    The user's own e-mail address must be confirmed (proof they own the invited address).
    """
    accounts.ensure_confirmed(user)
    invitation = find_invitation(token)
    problem = invitation_problem(invitation)
    if problem:
        raise NotAllowed(problem)
    if (user.email or "").lower() != invitation.email.lower():
        raise NotAllowed(
            _("This invitation was sent to another e-mail address. Sign in with the account of "
              "that address to accept it.")
        )
    invitation.accepted_at = utcnow()
    member = db.session.get(CityMember, (invitation.city_id, user.id))
    if member is None:
        member = CityMember(city_id=invitation.city_id, user_id=user.id, role=invitation.role)
        db.session.add(member)
    elif invitation.role == "representative" and member.role != "representative":
        member.role = "representative"
    _flush()
    audit.record(user, "city.join", invitation.city,
                 after={"user": user.id, "role": member.role, "invitation": invitation.id})
    return member


def remove_member(city: City, actor, user_id: int) -> None:
    """Remove a member from the city; the last representative cannot be removed."""
    if not can_edit(city, actor):
        raise NotAllowed(_("Only the city's representatives can remove members."))
    member = db.session.get(CityMember, (city.id, user_id))
    if member is None:
        raise ServiceError(_("This person is not a member of the city."))
    if member.role == "representative":
        count = len([m for m in city.members if m.role == "representative"])
        if count <= 1:
            raise NotAllowed(
                _("The last representative cannot be removed: invite another representative first.")
            )
    db.session.delete(member)
    _flush()
    audit.record(actor, "city.remove_member", city, before={"user": user_id, "role": member.role})
