"""Who takes part in a mentorship, who may see and change it, and the mentorships a user sees."""
from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import joinedload, selectinload

from mentoring.cache import per_request
from mentoring.extensions import db
from mentoring.models import City, CityMember, Mentorship, MentorshipMentor, User
from mentoring.services import NotAllowed
from mentoring.services.workspace.zones import city_zone


def clean(value: str | None) -> str:
    """Text as stored: trimmed, without NUL characters (which PostgreSQL refuses in text)."""
    return (value or "").replace("\x00", "").strip()


@cache
def _load_statement():
    return (select(Mentorship).where(Mentorship.id == bindparam("mentorship_id"))
            .options(joinedload(Mentorship.mentor_city), joinedload(Mentorship.mentee_city),
                     selectinload(Mentorship.mentors).joinedload(MentorshipMentor.user)))


def load_mentorship(mentorship_id: int) -> Mentorship | None:
    """The mentorship with its two cities and its people (two queries, by a statement built once);
    goals and sessions are read when asked for — the workspace reads them a page at a time
    (:mod:`.timeline`, :func:`.goals.goals_with_history`)."""
    return db.session.scalar(_load_statement(), {"mentorship_id": mentorship_id})


def _member_city_ids(user: User) -> set[int]:
    """The cities the user is a member of (asked once per request: side, zone and access all need it)."""
    return per_request(("member cities", user.id), lambda: set(
        db.session.scalars(_member_cities_statement(), {"user_id": user.id})))


@cache
def _member_cities_statement():
    return select(CityMember.city_id).where(CityMember.user_id == bindparam("user_id"))


def side_of(user: User, mentorship: Mentorship) -> str | None:
    """``"mentor"`` or ``"mentee"`` when the user takes part for one of the two cities, else None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    for assignment in mentorship.mentors:
        if assignment.user_id == user.id:
            return assignment.side
    cities = _member_city_ids(user)
    if mentorship.mentor_city_id in cities:
        return "mentor"
    if mentorship.mentee_city_id in cities:
        return "mentee"
    return None


def is_participant(user: User, mentorship: Mentorship) -> bool:
    return side_of(user, mentorship) is not None


def can_view(user: User, mentorship: Mentorship) -> bool:
    """Members of either city, assigned mentors and coordinators see the workspace."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.is_coordinator or is_participant(user, mentorship)


def can_edit(user: User, mentorship: Mentorship) -> bool:
    """Participants and coordinators plan and record the work of a mentorship."""
    return can_view(user, mentorship)


def city_of_side(mentorship: Mentorship, side: str) -> City:
    return mentorship.mentor_city if side == "mentor" else mentorship.mentee_city


def viewer_zone(user: User, mentorship: Mentorship) -> tuple[ZoneInfo, City | None]:
    """The zone a viewer reads times in: their own city's; coordinators read the mentor city's."""
    side = side_of(user, mentorship) or "mentor"
    city = city_of_side(mentorship, side)
    return city_zone(city), city


def visible_mentorships_query(user: User):
    """Mentorships the user may see (all for coordinators)."""
    statement = select(Mentorship)
    return statement if user.is_coordinator else statement.where(visible_condition(user.id))


def visible_condition(user_id):
    """Mentorships of the cities the user is a member of, or the user is assigned to (``user_id`` a value
    or a bound parameter)."""
    cities = select(CityMember.city_id).where(CityMember.user_id == user_id)
    assigned = select(MentorshipMentor.mentorship_id).where(MentorshipMentor.user_id == user_id)
    return or_(Mentorship.mentor_city_id.in_(cities), Mentorship.mentee_city_id.in_(cities),
               Mentorship.id.in_(assigned))


def participant_mentorship_ids(user: User) -> list[int]:
    """Mentorships the user takes part in (coordinators included only where they take part)."""
    return list(db.session.scalars(select(Mentorship.id).where(visible_condition(user.id))))


def require_active(mentorship: Mentorship) -> None:
    if mentorship.state != "active":
        raise NotAllowed(_("This mentorship is closed; it can no longer be changed."))


def in_language_of(user: User):
    """Write messages for ``user`` in their language (also outside a request, e.g. from cron)."""
    languages = current_app.config["LANGUAGES"]
    return force_locale(user.locale if user.locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"])
