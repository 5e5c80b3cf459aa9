"""A mentee city asks a mentor city to mentor it (issue 15).

Life of a request::

    requested ──accept (mentor city)──▶ accepted ──approve (coordinator)──▶ approved (mentorship)
        │                                  │   └──reject (coordinator)──▶ rejected
        ├──decline (mentor city)──▶ declined
        └──withdraw (mentee city) / time──▶ withdrawn / expired   (also from accepted)

With ``MENTOR_REQUESTS_START_DIRECTLY`` an accepted request starts at once (no coordinator),
unless the cities waived the shared-language rule, which only a coordinator may confirm.

The rules are those of rounds and hand matches (:mod:`mentoring.rules`): verified cities; the
mentor's places — an accepted request holds one (``rules.places_used``), taken under the city's
lock by ``rules.reserve_mentor_place``; exclusions (a pair that ever had a mentorship or holds a
proposal, and either city's avoid-list); a shared working language unless waived; one live mentor
per mentee; consent of both cities (the mentee asks, the mentor accepts). Requests left open
expire after ``MENTOR_REQUEST_EXPIRES_AFTER``: they count as expired at once (``effective_state``)
and ``flask requests expire`` records it.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.orm import selectinload

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    City,
    MentorRequest,
    Mentorship,
    Proposal,
    User,
    utcnow,
)
from mentoring.models.requests import OPEN_REQUEST_STATES
from mentoring.services import NotAllowed, ServiceError
from mentoring.services import preferences as preferences_service
from mentoring.services.audit import record
from mentoring.services.cities.directory import display_name
from mentoring.services.notifications import notify

MESSAGE_MAX = 2000
REASON_MAX = 1000
MESSAGE_LANGUAGES = ("en", "fr", "es")

STATE_LABELS = {
    "requested": _l("Waiting for the mentor city"),
    "accepted": _l("Accepted, waiting for a coordinator"),
    "declined": _l("Declined by the mentor city"),
    "approved": _l("Approved: the mentorship has started"),
    "rejected": _l("Rejected by a coordinator"),
    "withdrawn": _l("Withdrawn"),
    "expired": _l("Expired"),
}


def _pair(mentor, mentee) -> dict[str, str]:
    """The two cities' names for a message (with their subdivision when they have homonyms)."""
    return {"mentor": display_name(mentor), "mentee": display_name(mentee)}


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


# --- Programme settings -----------------------------------------------------------------------

def expires_after() -> timedelta:
    value = current_app.config.get("MENTOR_REQUEST_EXPIRES_AFTER", timedelta(days=30))
    return value if isinstance(value, timedelta) else timedelta(days=float(value))


def starts_directly() -> bool:
    return bool(current_app.config.get("MENTOR_REQUESTS_START_DIRECTLY", False))


# --- Reading ------------------------------------------------------------------------------------

def effective_state(request_: MentorRequest, now: datetime | None = None) -> str:
    """The state to show and act on: an open request past its expiry is expired."""
    if request_.state in OPEN_REQUEST_STATES and request_.expires_at <= (now or utcnow()):
        return "expired"
    return request_.state


def age(request_: MentorRequest, now: datetime | None = None) -> timedelta:
    return (now or utcnow()) - request_.created_at


def mentor_areas(city_id: int) -> list[str]:
    """Area keys the city can mentor in now (current assessments marked ``can_mentor``)."""
    assessments = db.session.scalars(
        select(Assessment).where(Assessment.city_id == city_id, Assessment.is_current, Assessment.can_mentor)
    ).unique()
    return [a.area.key for a in sorted(assessments, key=lambda a: (a.area.position, a.area.key))]


def _query():
    return select(MentorRequest).options(
        selectinload(MentorRequest.mentor_city).selectinload(City.languages),
        selectinload(MentorRequest.mentee_city).selectinload(City.languages),
    )


def get(request_id: int) -> MentorRequest | None:
    return db.session.scalar(_query().where(MentorRequest.id == request_id))


def for_cities(city_ids) -> list[MentorRequest]:
    """Requests where one of the cities is either side, newest first."""
    ids = list(city_ids)
    if not ids:
        return []
    return list(db.session.scalars(_query().where(
        or_(MentorRequest.mentor_city_id.in_(ids), MentorRequest.mentee_city_id.in_(ids))
    ).order_by(MentorRequest.created_at.desc(), MentorRequest.id.desc())))


def open_requests() -> list[MentorRequest]:
    """Every request still waiting for a decision and not expired, oldest first."""
    return list(db.session.scalars(_query().where(
        MentorRequest.state.in_(OPEN_REQUEST_STATES), MentorRequest.expires_at > utcnow()
    ).order_by(MentorRequest.created_at, MentorRequest.id)))


def user_sides(user, request_: MentorRequest) -> list[str]:
    """``"mentor"`` and/or ``"mentee"``: the sides ``user`` speaks for."""
    sides = []
    if rules.is_representative(user, request_.mentor_city_id):
        sides.append("mentor")
    if rules.is_representative(user, request_.mentee_city_id):
        sides.append("mentee")
    return sides


def can_view(user, request_: MentorRequest) -> bool:
    return rules.is_coordinator(user) or bool(user_sides(user, request_))


def requester_cities(user, mentor_city_id: int | None = None) -> list[City]:
    """Verified cities ``user`` represents that could ask for a mentor (not the mentor itself): no
    query for a user who represents no city (the session query of the page said so)."""
    if getattr(user, "id", None) is None or not rules.represents_a_city(user):
        return []
    return list(db.session.scalars(_requester_statement(), {"user_id": user.id, "mentor": mentor_city_id or 0}))


@cache
def _requester_statement():
    """:func:`requester_cities`, built once (``mentor`` 0 stands for no mentor city: ids start at 1)."""
    return (select(City).where(City.id.in_(rules.represented_city_ids()), City.status == "verified",
                               City.id != bindparam("mentor"))
            .order_by(City.name))


# --- The rules ----------------------------------------------------------------------------------

def _shares_language(mentor: City, mentee: City) -> bool:
    return bool(set(mentor.language_codes) & set(mentee.language_codes))


def _has_live_mentor(mentee_city_id: int, ignoring: int | None = None) -> bool:
    """An active mentorship as mentee, a proposal holding a place, or an accepted request."""
    if db.session.scalar(select(exists().where(
            Mentorship.mentee_city_id == mentee_city_id, Mentorship.state == "active"))):
        return True
    if db.session.scalar(select(exists().where(
            Proposal.mentee_city_id == mentee_city_id, Proposal.state.in_(rules.HOLDING_STATES),
            ~exists().where(Mentorship.proposal_id == Proposal.id)))):
        return True
    condition = rules.holding_requests() & (MentorRequest.mentee_city_id == mentee_city_id)
    if ignoring is not None:
        condition &= MentorRequest.id != ignoring
    return bool(db.session.scalar(select(exists().where(condition))))


def _excluded(mentor_id: int, mentee_id: int) -> str | None:
    """Why the pair is excluded, or None (the same exclusions as rounds, plus avoid-lists)."""
    pair = (Mentorship.mentor_city_id == mentor_id) & (Mentorship.mentee_city_id == mentee_id)
    reverse = (Mentorship.mentor_city_id == mentee_id) & (Mentorship.mentee_city_id == mentor_id)
    if db.session.scalar(select(exists().where(pair | reverse))):
        return _("These two cities already had a mentorship together.")
    held = (Proposal.mentor_city_id == mentor_id) & (Proposal.mentee_city_id == mentee_id) \
        & Proposal.state.in_(rules.HOLDING_STATES)
    if db.session.scalar(select(exists().where(held))):
        return _("A round already proposed these two cities to each other.")
    if preferences_service.avoids(mentor_id, mentee_id):
        return _("One of the two cities asked not to be paired with the other.")
    return None


def check_pair(mentor: City | None, mentee: City | None, *, language_waived: bool = False,
               request_id: int | None = None, capacity: bool = True) -> dict[str, list[str]]:
    """Field errors that forbid ``mentee`` to be mentored by ``mentor`` now (empty: allowed).

    Capacity is checked here (``capacity``) for a clear early answer; the binding check is
    :func:`mentoring.rules.reserve_mentor_place`, under the lock, when a place is taken.
    """
    errors: dict[str, list[str]] = {}
    if mentor is None or mentor.status != "verified":
        errors["mentor_city_id"] = [_("Choose a verified city.")]
    if mentee is None or mentee.status != "verified":
        errors["mentee_city_id"] = [_("Choose a verified city.")]
    if errors:
        return errors
    if mentor.id == mentee.id:
        return {"mentee_city_id": [_("A city cannot mentor itself.")]}
    if not mentor_areas(mentor.id):
        errors["mentor_city_id"] = [_("%(city)s does not offer to mentor in any area.", city=display_name(mentor))]
    elif capacity and rules.mentor_places(mentor).free <= 0:
        places = rules.mentor_places(mentor)
        errors["mentor_city_id"] = [_("%(city)s has no free mentor place: %(used)d of %(capacity)d taken.",
                                      city=display_name(mentor), used=places.used, capacity=places.capacity)]
    if not mentee.wants_mentor:
        errors.setdefault("mentee_city_id", []).append(
            _("%(city)s does not ask for a mentor (see its profile).", city=display_name(mentee)))
    elif _has_live_mentor(mentee.id, ignoring=request_id):
        errors.setdefault("mentee_city_id", []).append(
            _("%(city)s already has a mentor or an accepted pairing.", city=display_name(mentee)))
    excluded = _excluded(mentor.id, mentee.id)
    if excluded:
        errors.setdefault("mentor_city_id", []).append(excluded)
    if not language_waived and not _shares_language(mentor, mentee):
        errors["language_waived"] = [_("The two cities share no working language. Tick the box if you "
                                       "will work with interpretation; a coordinator then decides.")]
    return errors


def _clean_text(value: str | None, limit: int, field: str, errors: dict) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        errors[field] = [_("Write at most %(n)d characters.", n=limit)]
    return text


def _open_request_between(mentor_id: int, mentee_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(
        MentorRequest.mentor_city_id == mentor_id, MentorRequest.mentee_city_id == mentee_id,
        MentorRequest.state.in_(OPEN_REQUEST_STATES), MentorRequest.expires_at > utcnow()))))


# --- Changes ------------------------------------------------------------------------------------

def create(actor: User, *, mentee_city_id: int, mentor_city_id: int, areas: list[str], message: str = "",
           language: str = "en", language_waived: bool = False) -> MentorRequest:
    """A representative of the mentee city asks the mentor city; flushes and notifies."""
    mentor = db.session.get(City, mentor_city_id)
    mentee = db.session.get(City, mentee_city_id)
    if mentee is not None and not rules.is_representative(actor, mentee.id):
        raise NotAllowed(_("Only a representative of the city can ask for a mentor."),
                         {"mentee_city_id": [_("Choose a city you represent.")]})
    errors = check_pair(mentor, mentee, language_waived=language_waived)
    offered = mentor_areas(mentor.id) if mentor is not None else []
    areas = list(dict.fromkeys(areas or []))
    if not areas:
        errors["areas"] = [_("Choose at least one focus area.")]
    elif any(a not in offered for a in areas):
        errors["areas"] = [_("Choose among the areas the mentor city can mentor.")]
    message = _clean_text(message, MESSAGE_MAX, "message", errors)
    if language not in MESSAGE_LANGUAGES:
        errors["language"] = [_("Choose English, French or Spanish.")]
    if not errors and _open_request_between(mentor.id, mentee.id):
        errors["mentor_city_id"] = [_("Your city already has an open request to %(city)s.", city=display_name(mentor))]
    if errors:
        raise ServiceError(_("The request could not be sent."), errors)
    now = utcnow()
    request_ = MentorRequest(
        mentee_city_id=mentee.id, mentor_city_id=mentor.id, areas=areas, message=message, language=language,
        language_waived=bool(language_waived and not _shares_language(mentor, mentee)),
        state="requested", requested_by_id=actor.id, created_at=now, expires_at=now + expires_after(),
    )
    db.session.add(request_)
    db.session.flush()
    record(actor, "request.create", request_, after=_snapshot(request_))
    _notify(rules.representatives([mentor.id]), request_,
            lambda: (_("%(city)s asks your city to mentor it", city=display_name(mentee)),
                     _("%(city)s asks %(mentor)s to mentor it. Read the request and accept or decline it.",
                       city=display_name(mentee), mentor=display_name(mentor))))
    return request_


def _snapshot(request_: MentorRequest) -> dict:
    return {"state": request_.state, "mentor_city_id": request_.mentor_city_id,
            "mentee_city_id": request_.mentee_city_id, "areas": list(request_.areas or []),
            "language_waived": request_.language_waived}


def _transition(actor, request_: MentorRequest, state: str, action: str, *, reason: str | None = None,
                **fields) -> None:
    """Move ``request_`` to ``state`` (setting ``fields``), flush and audit it as ``action``."""
    before = _snapshot(request_)
    request_.state = state
    for name, value in fields.items():
        setattr(request_, name, value)
    db.session.flush()
    record(actor, action, request_, before=before, after=_snapshot(request_), reason=reason or None)


def _reason(reason: str | None, failure: str) -> str:
    errors: dict = {}
    reason = _clean_text(reason, REASON_MAX, "reason", errors)
    if errors:
        raise ServiceError(failure, errors)
    return reason


def _load_for_change(request_id: int, version) -> MentorRequest:
    request_ = db.session.get(MentorRequest, request_id, populate_existing=True)
    if request_ is None:
        raise ServiceError(_("This request does not exist."))
    rules.check_version(request_, version)
    return request_


def _require_state(request_: MentorRequest, *states: str) -> None:
    current = effective_state(request_)
    if current not in states:
        raise NotAllowed(_("This request is no longer open for this decision (it is now: %(state)s).",
                           state=state_label(current)), {"state": [state_label(current)]})


def _lock_pair(request_: MentorRequest) -> None:
    """Lock both cities, lowest id first (no deadlock whichever side is asked first)."""
    for city_id in sorted((request_.mentor_city_id, request_.mentee_city_id)):
        rules.lock_city(city_id)


def _recheck(request_: MentorRequest) -> None:
    mentor = db.session.get(City, request_.mentor_city_id, populate_existing=True)
    mentee = db.session.get(City, request_.mentee_city_id, populate_existing=True)
    # Capacity is decided by the caller, under the lock (reserve_mentor_place, create_mentorship).
    errors = check_pair(mentor, mentee, language_waived=request_.language_waived, request_id=request_.id,
                        capacity=False)
    if errors:
        message = next(iter(errors.values()))[0]
        raise NotAllowed(message, errors)


def accept(actor: User, request_id: int, version=None) -> MentorRequest:
    """The mentor city accepts: one of its places is taken (or refused, 409) under its lock."""
    request_ = _load_for_change(request_id, version)
    if not rules.is_representative(actor, request_.mentor_city_id):
        raise NotAllowed(_("Only a representative of the mentor city can accept."))
    _require_state(request_, "requested")
    _lock_pair(request_)
    _recheck(request_)
    rules.reserve_mentor_place(request_.mentor_city_id, field="state")
    _transition(actor, request_, "accepted", "request.accept", responded_by_id=actor.id, responded_at=utcnow())
    if starts_directly() and not request_.language_waived:
        _start(actor, request_, direct=True)
        return request_
    mentee, mentor = request_.mentee_city, request_.mentor_city
    _notify(rules.representatives([mentee.id]), request_,
            lambda: (_("%(city)s accepted to mentor your city", city=display_name(mentor)),
                     _("%(city)s accepted your request. A coordinator will now approve it.",
                       city=display_name(mentor))))
    _notify(rules.coordinators(), request_,
            lambda: (_("A request waits for approval: %(mentor)s → %(mentee)s", **_pair(mentor, mentee)),
                     _("%(mentor)s accepted to mentor %(mentee)s. Approve or reject the request.",
                       **_pair(mentor, mentee))))
    return request_


def decline(actor: User, request_id: int, reason: str = "", version=None) -> MentorRequest:
    request_ = _load_for_change(request_id, version)
    if not rules.is_representative(actor, request_.mentor_city_id):
        raise NotAllowed(_("Only a representative of the mentor city can decline."))
    _require_state(request_, "requested")
    reason = _reason(reason, _("The request could not be declined."))
    _transition(actor, request_, "declined", "request.decline", reason=reason, responded_by_id=actor.id,
                responded_at=utcnow(), response_reason=reason or None)
    mentor = request_.mentor_city
    _notify(rules.representatives([request_.mentee_city_id]), request_,
            lambda: (_("%(city)s declined your request", city=display_name(mentor)),
                     _("%(city)s declined to mentor your city.", city=display_name(mentor))
                     + (" " + _("Reason: %(r)s", r=reason) if reason else "")))
    return request_


def approve(actor: User, request_id: int, version=None) -> MentorRequest:
    """A coordinator approves an accepted request: the mentorship starts."""
    if not rules.is_coordinator(actor):
        raise NotAllowed(_("Only a coordinator can approve a request."))
    request_ = _load_for_change(request_id, version)
    _require_state(request_, "accepted")
    _lock_pair(request_)
    _recheck(request_)
    _start(actor, request_, direct=False)
    return request_


def _start(actor: User, request_: MentorRequest, *, direct: bool) -> Mentorship:
    """Hand the request's place to a new mentorship (same transaction, cities locked)."""
    before = _snapshot(request_)
    # The request stops holding its place first, so the mentorship takes that very place.
    request_.state = "approved"
    request_.decided_by_id = None if direct else actor.id
    request_.decided_at = utcnow()
    db.session.flush()
    mentorship = _create_mentorship(
        actor, mentor_city_id=request_.mentor_city_id, mentee_city_id=request_.mentee_city_id,
        areas=list(request_.areas or []), start_date=date.today(),
    )
    request_.mentorship_id = mentorship.id
    db.session.flush()
    record(actor, "request.start" if direct else "request.approve", request_, before=before,
           after={**_snapshot(request_), "mentorship_id": mentorship.id})
    mentor, mentee = request_.mentor_city, request_.mentee_city
    _notify(rules.representatives([mentor.id, mentee.id]), request_,
            lambda: (_("Mentorship started: %(mentor)s mentors %(mentee)s", **_pair(mentor, mentee)),
                     _("The request was approved and the mentorship has started. Open the workspace to plan "
                       "your first session.")))
    return mentorship


def _create_mentorship(actor, **values) -> Mentorship:
    from mentoring.services import workspace

    return workspace.create_mentorship(actor, **values)


def reject(actor: User, request_id: int, reason: str = "", version=None) -> MentorRequest:
    if not rules.is_coordinator(actor):
        raise NotAllowed(_("Only a coordinator can reject a request."))
    request_ = _load_for_change(request_id, version)
    _require_state(request_, "requested", "accepted")
    reason = _reason(reason, _("The request could not be rejected."))
    _transition(actor, request_, "rejected", "request.reject", reason=reason, decided_by_id=actor.id,
                decided_at=utcnow(), decision_reason=reason or None)
    mentor, mentee = request_.mentor_city, request_.mentee_city
    _notify(rules.representatives([mentor.id, mentee.id]), request_,
            lambda: (_("Request rejected: %(mentor)s → %(mentee)s", **_pair(mentor, mentee)),
                     _("A coordinator rejected the request.") + (" " + _("Reason: %(r)s", r=reason) if reason else "")))
    return request_


def withdraw(actor: User, request_id: int, version=None) -> MentorRequest:
    request_ = _load_for_change(request_id, version)
    if not rules.is_representative(actor, request_.mentee_city_id):
        raise NotAllowed(_("Only a representative of the city that asked can withdraw the request."))
    _require_state(request_, "requested", "accepted")
    _transition(actor, request_, "withdrawn", "request.withdraw", decided_at=utcnow())
    return request_


def expire_overdue(now: datetime | None = None) -> int:
    """Record as expired every open request past its expiry; returns how many. Flushes."""
    now = now or utcnow()
    overdue = list(db.session.scalars(select(MentorRequest).where(
        MentorRequest.state.in_(OPEN_REQUEST_STATES), MentorRequest.expires_at <= now)))
    for request_ in overdue:
        before = _snapshot(request_)
        request_.state = "expired"
        record(None, "request.expire", request_, before=before, after=_snapshot(request_))
        mentor, mentee = request_.mentor_city, request_.mentee_city
        _notify(rules.representatives([mentor.id, mentee.id]), request_,
                lambda mentor=mentor, mentee=mentee: (
                    _("Request expired: %(mentor)s → %(mentee)s", **_pair(mentor, mentee)),
                    _("Nobody decided on the request in time. The mentee city may ask again.")))
    db.session.flush()
    return len(overdue)


def _notify(users, request_: MentorRequest, factory) -> None:
    notify(users, factory, "requests.show", request_id=request_.id)
