"""Programme contacts of a city, and who each side of a pair sees of the other.

A city's contacts are recorded by its representatives or a coordinator. From the moment a pair is
endorsed by the viewer's own city (and in the mentorship), each side sees the other's people: its
programme contacts, representatives and assigned mentors, with name, role, languages and time
zone; an e-mail address only where its owner chose to show it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from zoneinfo import available_timezones

from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import (
    City,
    CityMember,
    Mentorship,
    ProgrammeContact,
    Proposal,
    User,
)
from mentoring.services import NotAllowed, ServiceError
from mentoring.services import mail_preferences as preferences
from mentoring.services.audit import record

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LANGUAGE = re.compile(r"^[a-z]{2}$")


def can_manage(user, city_id: int) -> bool:
    return rules.is_coordinator(user) or rules.is_representative(user, city_id)


def city_contacts(city_id: int) -> list[ProgrammeContact]:
    return contacts_of_cities([city_id])[city_id]


def contacts_of_cities(city_ids) -> dict[int, list[ProgrammeContact]]:
    """``{city id: its programme contacts}`` in one query."""
    out: dict[int, list[ProgrammeContact]] = {city_id: [] for city_id in city_ids}
    if out:
        for contact in db.session.scalars(select(ProgrammeContact).where(ProgrammeContact.city_id.in_(list(out)))
                                          .order_by(ProgrammeContact.id)):
            out[contact.city_id].append(contact)
    return out


def _clean(name, email, role, languages, timezone) -> tuple[dict, dict]:
    name, email, role = (name or "").strip(), (email or "").strip().lower(), (role or "").strip()
    timezone = (timezone or "").strip() or None
    if isinstance(languages, str):
        languages = [code.strip().lower() for code in languages.replace(";", ",").split(",")]
    languages = list(dict.fromkeys(code for code in (languages or []) if code))
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the person's name.")]
    elif len(name) > 120:
        errors["name"] = [_("At most %(num)d characters.", num=120)]
    if not EMAIL.match(email) or len(email) > 254:
        errors["email"] = [_("Enter a valid e-mail address.")]
    if len(role) > 120:
        errors["role"] = [_("At most %(num)d characters.", num=120)]
    if any(not LANGUAGE.match(code) for code in languages) or len(languages) > 10:
        errors["languages"] = [_("Give two-letter language codes separated by commas, e.g. en, fr.")]
    if timezone and timezone not in available_timezones():
        errors["timezone"] = [_("Unknown time zone; give an IANA name such as Europe/Paris.")]
    return {"name": name, "email": email, "role": role, "languages": languages, "timezone": timezone}, errors


def add_contact(actor, city: City, *, name: str, email: str, role: str = "", languages=(),
                timezone: str | None = None, show_email: bool = True) -> ProgrammeContact:
    if not can_manage(actor, city.id):
        raise NotAllowed(_("Only the city's representatives or a coordinator can record its contacts."))
    values, errors = _clean(name, email, role, languages, timezone)
    if not errors and db.session.scalar(select(ProgrammeContact.id).where(
            ProgrammeContact.city_id == city.id, ProgrammeContact.email == values["email"])):
        errors["email"] = [_("This person is already a contact of the city.")]
    if errors:
        raise ServiceError(_("The contact could not be saved."), errors)
    contact = ProgrammeContact(city_id=city.id, show_email=bool(show_email),
                               created_by_id=getattr(actor, "id", None), **values)
    db.session.add(contact)
    db.session.flush()
    record(actor, "contact.add", contact, after={"city": city.id, **values, "show_email": contact.show_email})
    return contact


def remove_contact(actor, contact: ProgrammeContact) -> None:
    if not can_manage(actor, contact.city_id):
        raise NotAllowed(_("Only the city's representatives or a coordinator can record its contacts."))
    record(actor, "contact.remove", contact, before={"city": contact.city_id, "email": contact.email})
    db.session.delete(contact)
    db.session.flush()


# --- What the paired city sees ---------------------------------------------------------------------

@dataclass
class Person:
    name: str
    role: str
    email: str | None  # None when its owner chose not to show it
    languages: list[str]
    timezone: str | None


def people_of(city: City, *, mentorship: Mentorship | None = None) -> list[Person]:
    """The city's people as the paired city sees them: contacts, representatives, assigned mentors."""
    return _people_of_cities([city], mentorship)[city.id]


def _people_of_cities(cities: list[City], mentorship: Mentorship | None) -> dict[int, list[Person]]:
    """:func:`people_of` for several cities at once, in three queries whatever their number."""
    ids = {"city_ids": [city.id for city in cities]}
    contacts_statement, members_statement = _people_statements()
    contacts = db.session.execute(contacts_statement, ids).all()
    members = db.session.execute(members_statement, ids).all()
    hidden = preferences.hiding_email({member.id for member in members})
    assigned = {m.user_id for m in mentorship.mentors} if mentorship is not None else set()
    out: dict[int, list[Person]] = {}
    for city in cities:
        people: list[Person] = []
        seen: set[str] = set()
        zone = city.timezone
        for contact in (c for c in contacts if c.city_id == city.id):
            seen.add(contact.email)
            people.append(Person(contact.name, contact.role or _("Programme contact"),
                                 contact.email if contact.show_email else None,
                                 list(contact.languages or []), contact.timezone or zone))
        for user in members:
            if user.city_id != city.id or user.email in seen or (
                    user.role == "mentor" and mentorship is not None and user.id not in assigned):
                continue
            seen.add(user.email)
            label = _("Representative") if user.role == "representative" else _("Mentor")
            people.append(Person(user.name, label, user.email if user.id not in hidden else None,
                                 [user.locale] if user.locale else [], zone))
        out[city.id] = people
    return out


@cache
def _people_statements():
    """The contacts and the active members of some cities (rows), built once."""
    city_ids = bindparam("city_ids", expanding=True)
    contacts = (select(ProgrammeContact.city_id, ProgrammeContact.name, ProgrammeContact.role,
                       ProgrammeContact.email, ProgrammeContact.show_email, ProgrammeContact.languages,
                       ProgrammeContact.timezone)
                .where(ProgrammeContact.city_id.in_(city_ids)).order_by(ProgrammeContact.id))
    members = (select(User.id, User.name, User.email, User.locale, CityMember.role, CityMember.city_id)
               .join(CityMember, CityMember.user_id == User.id)
               .where(CityMember.city_id.in_(city_ids), User.active).order_by(CityMember.role.desc(), User.name))
    return contacts, members


def _viewer_side(user, mentor_city_id: int, mentee_city_id: int) -> str | None:
    cities = {m.city_id for m in db.session.scalars(select(CityMember).where(CityMember.user_id == user.id))}
    if mentor_city_id in cities:
        return "mentor"
    if mentee_city_id in cities:
        return "mentee"
    return None


def visible_for_proposal(user, proposal: Proposal) -> dict[str, list[Person]]:
    """``{side: people}`` of the cities the user may see the contacts of on this proposal.

    Coordinators see both sides once the pair is approved; a city's member sees the other city
    once their own city has endorsed (or the pair is endorsed).
    """
    out: dict[str, list[Person]] = {}
    if rules.is_coordinator(user):
        if proposal.state in ("approved", "endorsed"):
            people = _people_of_cities([proposal.mentor_city, proposal.mentee_city], None)
            out = {"mentor": people[proposal.mentor_city_id], "mentee": people[proposal.mentee_city_id]}
        return out
    side = _viewer_side(user, proposal.mentor_city_id, proposal.mentee_city_id)
    if side is None:
        return out
    own_endorsed = proposal.mentor_endorsed_at if side == "mentor" else proposal.mentee_endorsed_at
    if proposal.state == "endorsed" or (proposal.state == "approved" and own_endorsed):
        other = "mentee" if side == "mentor" else "mentor"
        out[other] = people_of(proposal.mentee_city if other == "mentee" else proposal.mentor_city)
    return out


def visible_for_mentorship(mentorship: Mentorship) -> dict[str, list[Person]]:
    people = _people_of_cities([mentorship.mentor_city, mentorship.mentee_city], mentorship)
    return {"mentor": people[mentorship.mentor_city_id], "mentee": people[mentorship.mentee_city_id]}
