"""Keeping people informed: in-app notifications and e-mail (through the outbox).

Called by the proposal services inside their transaction, so a notification exists exactly when
the change it announces does. Messages are written in each recipient's language.
"""
from __future__ import annotations

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import CityMember, Notification, User
from mentoring.services.mail import send_mail


def notify(users, message_factory, link: str | None = None) -> int:
    """Send one notification and one e-mail per user; ``message_factory()`` -> (subject, body).

    The factory is called in each user's own language. Returns the number of users notified.
    """
    count = 0
    for user in dict.fromkeys(users):
        if not user.active:
            continue
        with force_locale(user.locale or "en"):
            subject, body = message_factory()
        db.session.add(Notification(user_id=user.id, message=subject, link=link))
        send_mail(user.email, subject, body + (f"\n\n{link}" if link else ""))
        count += 1
    return count


def representatives(city_ids) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(CityMember, CityMember.user_id == User.id)
            .where(CityMember.city_id.in_(list(city_ids)), CityMember.role == "representative")
            .order_by(User.id)
        )
    )


def coordinators() -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.role.in_(("coordinator", "admin")), User.active).order_by(User.id)
        )
    )


def _proposal_link(proposal) -> str | None:
    try:
        return url_for("rounds.proposal", proposal_id=proposal.id, _external=True)
    except RuntimeError:  # no request and no SERVER_NAME: a relative link is still useful
        return f"/rounds/proposals/{proposal.id}"


def proposal_approved(proposal) -> int:
    """Both cities' representatives: a pairing awaits their endorsement."""
    mentor, mentee = proposal.mentor_city.name, proposal.mentee_city.name

    def message():
        return (
            _("Proposed pairing to endorse: %(mentor)s mentors %(mentee)s", mentor=mentor, mentee=mentee),
            _(
                "A coordinator approved the pairing of %(mentor)s (mentor) with %(mentee)s (mentee). "
                "Please read why it was proposed, then endorse or decline it for your city.",
                mentor=mentor,
                mentee=mentee,
            ),
        )

    return notify(
        representatives((proposal.mentor_city_id, proposal.mentee_city_id)), message, _proposal_link(proposal)
    )


def proposal_declined(proposal, city) -> int:
    """Coordinators: a city declined; the mentee is back in the pool."""
    mentor, mentee, who = proposal.mentor_city.name, proposal.mentee_city.name, city.name
    reason = proposal.decline_reason or ""

    def message():
        return (
            _("%(city)s declined the pairing %(mentor)s → %(mentee)s", city=who, mentor=mentor, mentee=mentee),
            _(
                "%(city)s declined the pairing of %(mentor)s with %(mentee)s. Reason: %(reason)s. "
                "%(mentee)s is back among the unmatched mentees of the round.",
                city=who,
                mentor=mentor,
                mentee=mentee,
                reason=reason,
            ),
        )

    return notify(coordinators(), message, _proposal_link(proposal))


def mentorship_created(proposal, mentorship) -> int:
    """Both cities: both endorsed, the mentorship starts."""
    mentor, mentee = proposal.mentor_city.name, proposal.mentee_city.name
    try:
        link = url_for("mentorships.index", _external=True)
    except RuntimeError:
        link = None

    def message():
        return (
            _("Mentorship confirmed: %(mentor)s and %(mentee)s", mentor=mentor, mentee=mentee),
            _(
                "Both cities endorsed the pairing. The mentorship of %(mentee)s by %(mentor)s has started.",
                mentor=mentor,
                mentee=mentee,
            ),
        )

    return notify(representatives((proposal.mentor_city_id, proposal.mentee_city_id)), message, link)
