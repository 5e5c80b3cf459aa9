"""Creating a mentorship by hand (a coordinator's match)."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import CapabilityArea, City, Mentorship, User
from mentoring.services import ServiceError
from mentoring.services.audit import record


def create_mentorship(
    actor: User,
    *,
    mentor_city_id: int,
    mentee_city_id: int,
    areas: list[str],
    start_date: date,
    planned_end: date | None = None,
    proposal_id: int | None = None,
) -> Mentorship:
    """Create an active mentorship, taking one of the mentor city's places.

    The place is reserved by :func:`mentoring.rules.reserve_mentor_place`, under the city's lock,
    so two coordinators cannot both take its last place.
    """
    errors: dict[str, list[str]] = {}
    if mentor_city_id == mentee_city_id:
        errors["mentee_city_id"] = [_("A city cannot mentor itself.")]
    mentor = db.session.get(City, mentor_city_id)
    mentee = db.session.get(City, mentee_city_id)
    if mentor is None or mentor.status != "verified":
        errors["mentor_city_id"] = [_("Choose a verified city.")]
    if mentee is None or mentee.status != "verified":
        errors["mentee_city_id"] = [_("Choose a verified city.")]
    known = set(db.session.scalars(select(CapabilityArea.key).where(CapabilityArea.active)))
    areas = list(dict.fromkeys(areas))
    if not areas:
        errors["areas"] = [_("Choose at least one focus area.")]
    elif any(a not in known for a in areas):
        errors["areas"] = [_("Unknown focus area.")]
    if planned_end is not None and planned_end < start_date:
        errors["planned_end"] = [_("The planned end cannot be before the start.")]
    if errors:
        raise ServiceError(_("The mentorship could not be created."), errors)
    rules.reserve_mentor_place(mentor.id, field="mentor_city_id")
    duplicate = db.session.scalar(
        select(func.count()).select_from(Mentorship).where(
            Mentorship.mentor_city_id == mentor.id,
            Mentorship.mentee_city_id == mentee.id,
            Mentorship.state == "active",
        )
    )
    if duplicate:
        message = _("These two cities already have an active mentorship.")
        raise ServiceError(message, {"mentee_city_id": [message]})
    mentorship = Mentorship(
        mentor_city_id=mentor.id,
        mentee_city_id=mentee.id,
        areas=areas,
        start_date=start_date,
        planned_end=planned_end,
        state="active",
        proposal_id=proposal_id,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(mentorship)
    db.session.flush()
    record(actor, "mentorship.create", mentorship, after={
        "mentor_city_id": mentor.id, "mentee_city_id": mentee.id, "areas": areas,
        "start_date": start_date.isoformat(),
        "planned_end": planned_end.isoformat() if planned_end else None,
        "proposal_id": proposal_id,
    })
    return mentorship
