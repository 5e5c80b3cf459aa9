"""Fit checks after sessions, each city's final feedback, and the poor-fit alert."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, not_, or_, select

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import (
    City,
    Feedback,
    MentoringSession,
    Mentorship,
    Notification,
    User,
)
from mentoring.models.mentorships import FITS
from mentoring.services import NotAllowed, ServiceError
from mentoring.services.audit import record
from mentoring.services.cities.directory import display_name
from mentoring.services.mail import send_mail
from mentoring.services.workspace.access import (
    city_of_side,
    clean,
    in_language_of,
    require_active,
    side_of,
)
from mentoring.services.workspace.reads import prepared, read


def give_feedback(actor: User, mentorship: Mentorship, *, fit: str, comment: str = "",
                  coordinators_only: bool = False, session: MentoringSession | None = None,
                  at_close: bool = False, rating: int | None = None,
                  link: str | None = None) -> Feedback:
    """A quick fit check after a held session, or the final feedback of a city at close-out.

    A poor fit reported by the mentee side alerts everyone who runs the programme (coordinators
    and administrators: :func:`mentoring.rules.coordinators`), by notification and e-mail.
    """
    side = side_of(actor, mentorship)
    if side is None:
        raise NotAllowed(_("Only the people of the two cities give feedback."))
    errors: dict[str, list[str]] = {}
    if fit not in FITS:
        errors["fit"] = [_("Choose how well the pairing fits.")]
    if at_close:
        if rating is None or not 1 <= rating <= 5:
            errors["rating"] = [_("Give a rating from 1 to 5.")]
        if mentorship.state == "withdrawn":
            raise NotAllowed(_("This mentorship was withdrawn."))
    else:
        require_active(mentorship)
        rating = None
        if session is None or session.mentorship_id != mentorship.id:
            errors["session_id"] = [_("Choose a session.")]
        elif not session.held:
            errors["session_id"] = [_("Feedback is given after a session was held.")]
    if errors:
        raise ServiceError(_("The feedback could not be saved."), errors)
    city = city_of_side(mentorship, side)
    duplicate = select(func.count()).select_from(Feedback).where(
        Feedback.mentorship_id == mentorship.id, Feedback.author_id == actor.id
    )
    duplicate = duplicate.where(Feedback.at_close) if at_close else duplicate.where(
        Feedback.session_id == session.id)
    if db.session.scalar(duplicate):
        raise ServiceError(_("You already gave this feedback."))
    feedback = Feedback(
        mentorship_id=mentorship.id, session_id=session.id if session else None, city_id=city.id,
        author_id=actor.id, at_close=at_close, fit=fit, rating=rating,
        comment=clean(comment), coordinators_only=bool(coordinators_only),
    )
    db.session.add(feedback)
    db.session.flush()
    record(actor, "feedback.close" if at_close else "feedback.session", feedback,
           after={"fit": fit, "rating": rating, "city_id": city.id})
    if fit == "poor" and side == "mentee":
        _alert_poor_fit(mentorship, city, feedback, link)
    return feedback


def _alert_poor_fit(mentorship: Mentorship, city: City, feedback: Feedback, link: str | None) -> None:
    for coordinator in rules.coordinators():
        with in_language_of(coordinator):
            message = _("%(mentee)s reports a poor fit in its mentorship with %(mentor)s.",
                        mentee=display_name(city), mentor=display_name(mentorship.mentor_city))
            db.session.add(Notification(user_id=coordinator.id, message=message, link=link))
            body = message
            if feedback.comment and not feedback.coordinators_only:
                body += "\n\n" + feedback.comment
            if link:
                body += "\n\n" + link
            send_mail(coordinator.email, _("Poor fit reported"), body)
    db.session.flush()


def comment_hidden(user: User, feedback) -> bool:
    """Whether ``user`` may not read the feedback's comment: the author marked it for coordinators only
    (the author and the coordinators still read it). ``feedback``: a model or a row."""
    return bool(feedback.coordinators_only) and not user.is_coordinator and feedback.author_id != user.id


#: Fit checks the workspace lists above the sessions (each session also shows its own).
LATEST_SHOWN = 5


@dataclass
class FeedbackOverview:
    """The feedback a workspace page shows (rows with ``comment_hidden`` set), read in one query."""

    closing: list[SimpleNamespace]  # each city's final feedback
    latest: list[SimpleNamespace]  # the newest fit checks
    by_session: dict[int, list[SimpleNamespace]]  # fit checks of the sessions on the page
    authors: dict[int, str]  # {user id: name}
    mine: set[int] = field(default_factory=set)  # sessions (on the page) the viewer gave a fit check for


@prepared
def _overview_statement():
    mentorship_id = bindparam("mentorship_id")
    latest = (select(Feedback.id).where(Feedback.mentorship_id == mentorship_id, not_(Feedback.at_close))
              .order_by(Feedback.created_at.desc(), Feedback.id.desc()).limit(LATEST_SHOWN))
    return (select(*Feedback.__table__.c, User.name.label("author_name"))
            .outerjoin(User, User.id == Feedback.author_id)
            .where(Feedback.mentorship_id == mentorship_id,
                   or_(Feedback.at_close, Feedback.session_id.in_(bindparam("session_ids", expanding=True)),
                       Feedback.id.in_(latest)))
            .order_by(Feedback.created_at, Feedback.id))


def feedback_overview(user: User, mentorship: Mentorship, session_ids: list[int]) -> FeedbackOverview:
    """The closing feedback, the latest fit checks and those of ``session_ids``, in one query;
    comments marked for coordinators are blanked for others (:func:`comment_hidden`)."""
    overview = FeedbackOverview(closing=[], latest=[], by_session={}, authors={})
    wanted = set(session_ids)
    for row in read(_overview_statement(), mentorship_id=mentorship.id, session_ids=list(session_ids)):
        item = SimpleNamespace(**row._asdict())
        item.comment_hidden = comment_hidden(user, item)
        if item.author_name is not None:
            overview.authors[item.author_id] = item.author_name
        if item.at_close:
            overview.closing.append(item)
            continue
        if item.session_id in wanted:
            overview.by_session.setdefault(item.session_id, []).append(item)
            if item.author_id == user.id:
                overview.mine.add(item.session_id)
        overview.latest.append(item)
    overview.latest = overview.latest[::-1][:LATEST_SHOWN]
    return overview
