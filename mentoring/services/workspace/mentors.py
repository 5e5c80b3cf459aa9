"""The people each city assigns to a mentorship."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import CityMember, Mentorship, MentorshipMentor, User
from mentoring.services import NotAllowed, ServiceError
from mentoring.services.audit import record
from mentoring.services.cities.directory import display_name
from mentoring.services.workspace.access import city_of_side, require_active
from mentoring.services.workspace.reads import prepared, read


@prepared
def _members_statement():
    return (select(User.id, User.name, CityMember.city_id).join(CityMember, CityMember.user_id == User.id)
            .where(CityMember.city_id.in_(bindparam("city_ids", expanding=True)), User.active).order_by(User.name))


def assignable_by_side(mentorship: Mentorship, sides) -> dict[str, list]:
    """``{side: members of its city not assigned yet}`` (rows: ``id``, ``name``) for ``sides``, in one query."""
    cities = {city_of_side(mentorship, side).id: side for side in sides}
    out: dict[str, list] = {side: [] for side in sides}
    if not cities:
        return out
    taken = {m.user_id for m in mentorship.mentors}
    for row in read(_members_statement(), city_ids=list(cities)):
        if row.id not in taken:
            out[cities[row.city_id]].append(row)
    return out


def can_assign(user: User, mentorship: Mentorship, side: str) -> bool:
    return user.is_coordinator or rules.is_representative(user, city_of_side(mentorship, side).id)


def assign_mentor(actor: User, mentorship: Mentorship, side: str, user_id: int) -> MentorshipMentor:
    """A representative (or a coordinator) assigns one of the city's members to the mentorship."""
    require_active(mentorship)
    if side not in ("mentor", "mentee"):
        raise ServiceError(_("Unknown side."), {"side": [_("Unknown side.")]})
    if not can_assign(actor, mentorship, side):
        raise NotAllowed(_("Only a representative of the city or a coordinator can assign people."))
    city = city_of_side(mentorship, side)
    member = db.session.get(CityMember, (city.id, user_id))
    if member is None:
        message = _("Choose a member of %(city)s.", city=display_name(city))
        raise ServiceError(message, {"user_id": [message]})
    if any(m.user_id == user_id for m in mentorship.mentors):
        message = _("This person is already assigned.")
        raise ServiceError(message, {"user_id": [message]})
    assignment = MentorshipMentor(mentorship_id=mentorship.id, user_id=user_id, side=side)
    mentorship.mentors.append(assignment)
    db.session.flush()
    record(actor, "mentorship.assign_mentor", mentorship, after={"user_id": user_id, "side": side})
    return assignment


def unassign_mentor(actor: User, mentorship: Mentorship, user_id: int) -> None:
    require_active(mentorship)
    assignment = next((m for m in mentorship.mentors if m.user_id == user_id), None)
    if assignment is None:
        raise ServiceError(_("This person is not assigned."))
    if not can_assign(actor, mentorship, assignment.side):
        raise NotAllowed(_("Only a representative of the city or a coordinator can assign people."))
    mentorship.mentors.remove(assignment)
    db.session.flush()
    record(actor, "mentorship.unassign_mentor", mentorship,
           before={"user_id": user_id, "side": assignment.side})
