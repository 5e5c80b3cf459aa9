"""The programme's rules, each defined once (ARCHITECTURE.md, "Where rules live").

Every service, view, form, CLI command and template that needs one of these answers asks here:
who runs the programme, who speaks for a city, how many mentor places a city has free, whether a
form was read at the object's current version, how long a text may be. A rule that is written a
second time somewhere else will drift (it did: 5,000 vs 4,000 characters, three capacity counts).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, func, select

from mentoring.cache import per_request
from mentoring.database import write_intent
from mentoring.extensions import db
from mentoring.models import (
    City,
    CityMember,
    MentorRequest,
    Mentorship,
    Proposal,
    User,
    utcnow,
)
from mentoring.models.accounts import COORDINATOR_ROLES
from mentoring.services import Conflict, NotAllowed, ServiceError

# --- Limits of what people write ---------------------------------------------------------------

#: Practices, needs and evidence texts, in the editor, the survey import and the export.
TEXT_MAX = 5000
#: A city's name (the column is sized to it).
CITY_NAME_MAX = 120

# --- Roles -----------------------------------------------------------------------------------------

def is_coordinator(user) -> bool:
    """Coordinators and administrators run the programme (anonymous users never do)."""
    return bool(getattr(user, "is_coordinator", False))


def coordinators() -> list[User]:
    """Active users who run the programme: they receive the programme's alerts."""
    return list(
        db.session.scalars(
            select(User).where(User.role.in_(COORDINATOR_ROLES), User.active).order_by(User.id)
        )
    )


def represented_city_ids(user=None):
    """A subquery of the ids of the cities ``user`` is a representative of (``None``: of the user bound
    as ``user_id``, for statements built once)."""
    who = bindparam("user_id") if user is None else user.id
    return select(CityMember.city_id).where(CityMember.user_id == who, CityMember.role == "representative")


@cache
def represents_a_city_column():
    """Whether the user bound as ``user_id`` represents any city: a column, built once, that the session
    query of a page asks along (see :func:`represents_a_city`)."""
    return represented_city_ids().exists()


def remember_represents_a_city(user_id: int, represents) -> None:
    """Hold what the session query said for the rest of the request (until it writes)."""
    per_request(("represents a city", user_id), lambda: bool(represents))


def represents_a_city(user) -> bool:
    """Whether ``user`` represents any city: brought by the session query of a page, else one query."""
    if user is None or getattr(user, "id", None) is None:
        return False
    return per_request(("represents a city", user.id), lambda: bool(db.session.scalar(
        select(represents_a_city_column()), {"user_id": user.id})))


def is_representative(user, city_id: int) -> bool:
    """Whether ``user`` speaks for the city (endorses, edits, invites)."""
    if user is None or getattr(user, "id", None) is None:
        return False
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    CityMember.user_id == user.id,
                    CityMember.city_id == city_id,
                    CityMember.role == "representative",
                )
            )
        )
    )


def _representatives_of(ids):
    """Each active representative of the cities ``ids`` with the city, in a stable order."""
    return (select(User, CityMember.city_id).join(CityMember, CityMember.user_id == User.id)
            .where(CityMember.city_id.in_(ids), CityMember.role == "representative", User.active)
            .order_by(User.id))


def representatives(city_ids) -> list[User]:
    """The active representatives of the given cities, in a stable order."""
    ids = list(city_ids)
    if not ids:
        return []
    return [user for user, _city_id in db.session.execute(_representatives_of(ids))]


def representatives_by_city(city_ids) -> dict[int, list[User]]:
    """``{city id: its active representatives}`` for the given cities, in one query."""
    ids = list(city_ids)
    out: dict[int, list[User]] = {city_id: [] for city_id in ids}
    if ids:
        for user, city_id in db.session.execute(_representatives_of(ids)):
            out[city_id].append(user)
    return out


# --- Mentor places ---------------------------------------------------------------------------------
# A mentor city's places used are, precisely:
#     active mentorships where the city is the mentor
#   + proposals where the city is the mentor in a HOLDING state that have not become a mentorship
#   + requests the city accepted as mentor that wait for a coordinator and have not expired.
# They must stay <= City.mentor_capacity. reserve_mentor_place() is the one check, made under the
# city's lock; every list, form and message shows places_used()/mentor_places() so that what a
# person sees is what the rule enforces.

#: Proposal states that hold one of the mentor city's places.
HOLDING_STATES = ("approved", "endorsed")


@dataclass(frozen=True)
class Places:
    capacity: int
    used: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.used, 0)


def _holding_proposals():
    return Proposal.state.in_(HOLDING_STATES) & ~exists().where(Mentorship.proposal_id == Proposal.id)


#: Request state that holds one of the mentor city's places (accepted by the mentor city).
HOLDING_REQUEST_STATE = "accepted"


def holding_requests():
    """Condition on MentorRequest: accepted by the mentor city, not expired, not yet started."""
    return (MentorRequest.state == HOLDING_REQUEST_STATE) & (MentorRequest.expires_at > utcnow())


def places_used_by_city(city_ids=None) -> dict[int, int]:
    """Places used per mentor city (three queries, whatever the number of cities)."""
    used: dict[int, int] = {}
    active = select(Mentorship.mentor_city_id, func.count()).where(Mentorship.state == "active")
    holding = select(Proposal.mentor_city_id, func.count()).where(_holding_proposals())
    requested = select(MentorRequest.mentor_city_id, func.count()).where(holding_requests())
    if city_ids is not None:
        ids = list(city_ids)
        if not ids:
            return used
        active = active.where(Mentorship.mentor_city_id.in_(ids))
        holding = holding.where(Proposal.mentor_city_id.in_(ids))
        requested = requested.where(MentorRequest.mentor_city_id.in_(ids))
    for statement in (active.group_by(Mentorship.mentor_city_id), holding.group_by(Proposal.mentor_city_id),
                      requested.group_by(MentorRequest.mentor_city_id)):
        for city_id, n in db.session.execute(statement):
            used[city_id] = used.get(city_id, 0) + int(n)
    return used


def places_used(city_id: int) -> int:
    return places_used_by_city([city_id]).get(city_id, 0)


def mentor_places(city: City) -> Places:
    return Places(capacity=city.mentor_capacity or 0, used=places_used(city.id))


def places_by_city(cities) -> dict[int, Places]:
    """:func:`mentor_places` for many cities in three queries."""
    cities = list(cities)
    used = places_used_by_city([c.id for c in cities])
    return {c.id: Places(capacity=c.mentor_capacity or 0, used=used.get(c.id, 0)) for c in cities}


def lock_city(city_id: int) -> None:
    """Serialise capacity decisions on one city until the end of the current transaction.

    PostgreSQL: ``SELECT … FOR UPDATE`` on the city's row. SQLite locks the whole database for
    writing when the transaction begins (``BEGIN IMMEDIATE``, see :mod:`mentoring.database`); a
    transaction begun deferred could interleave, so that is refused as a programming error.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        if not write_intent():
            raise RuntimeError("capacity decisions need a write transaction (BEGIN IMMEDIATE)")
        db.session.execute(select(City.id).where(City.id == city_id))
        return
    db.session.execute(select(City.id).where(City.id == city_id).with_for_update())


def before_reserving() -> None:
    """Called between the count and the caller's write; tests replace it to widen the race."""


def reserve_mentor_place(mentor_city_id: int, *, releasing: Proposal | None = None,
                         field: str = "capacity") -> Places:
    """Lock the mentor city and refuse (409) when all its places are taken.

    ``releasing`` is a proposal that already holds one of the places and is about to hand it to
    something else (an endorsed proposal becoming a mentorship): it is not counted twice. The
    caller's write must follow in the same transaction. ``field`` names the form field that the
    refusal is reported on.
    """
    lock_city(mentor_city_id)
    city = db.session.get(City, mentor_city_id, populate_existing=True)
    used = places_used(mentor_city_id)
    if releasing is not None and releasing.state in HOLDING_STATES:
        used -= 1
    places = Places(capacity=city.mentor_capacity or 0, used=used)
    if places.free <= 0:
        from mentoring.services.cities.directory import display_name  # services.cities imports this module

        message = _(
            "%(city)s has no free mentor place: %(used)d of %(capacity)d taken.",
            city=display_name(city), used=used, capacity=places.capacity,
        )
        raise NotAllowed(message, {field: [message]})
    before_reserving()
    return places


def check_capacity_change(city: City, new_capacity: int, *, field: str = "mentor_capacity") -> None:
    """Refuse a mentor capacity below the places already in use (an approved pair could never start)."""
    if city.id is None or new_capacity is None:
        return
    used = places_used(city.id)
    if new_capacity < used:
        raise ServiceError(
            _("The capacity cannot be lower than the places in use."),
            {field: [_("%(used)d places are in use (active mentorships and approved pairs); "
                       "the capacity cannot be lower.", used=used)]},
        )


# --- Maturity before and after a mentorship --------------------------------------------------------

def levels_before_after(history, closed_at) -> tuple[int | None, int | None]:
    """The mentee's maturity in one area before and after a mentorship, from its assessments.

    ``history`` is the city's assessments of the area, oldest first. *Before* is the last one dated
    before the close, *after* the first one dated at or after it (the close-out re-assessment is
    dated at the close). While the mentorship is open, *before* is the latest level and *after* None.
    The workspace, the Peer-Learning Note and the programme's outcomes all read it here.
    """
    history = list(history)
    if closed_at is None:
        return (history[-1].maturity if history else None), None
    earlier = [a for a in history if a.assessed_at < closed_at]
    later = [a for a in history if a.assessed_at >= closed_at]
    return (earlier[-1].maturity if earlier else None), (later[0].maturity if later else None)


# --- Versions (optimistic locking) ----------------------------------------------------------------

def check_version(obj, version, message: str | None = None) -> None:
    """Refuse a change made from a page read at another version of ``obj`` (409).

    ``version`` is what the page displayed: ``None`` means the client did not send one (API
    clients may omit it) and nothing is checked; a value that is not a whole number is a field
    error (422); any other number than the current version is a conflict.
    """
    if version is None or version == "":
        return
    try:
        expected = int(version)
    except (TypeError, ValueError):
        raise ServiceError(_("The version is not valid."), {"version": [_("Send a whole number.")]}) from None
    if expected != obj.version:
        message = message or _("Someone else changed this in the meantime. Reload the page and try again.")
        raise Conflict(message, {"version": [message]})
