"""Keeping people informed: in-app notifications and e-mail (through the outbox).

Called by the proposal services inside their transaction, so a notification exists exactly when
the change it announces does. Messages are written in each recipient's language.
"""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from mentoring.extensions import db
from mentoring.links import external_url, notification_link
from mentoring.models import Notification
from mentoring.rules import coordinators, representatives
from mentoring.services.mail import send_mail


def notify(users, message_factory, endpoint: str, **values) -> int:
    """Send one notification and one e-mail per user; ``message_factory()`` -> (subject, body).

    The factory is called in each user's own language. The bell notification links to the page
    ``endpoint`` (a path); the e-mail carries its absolute address, whoever sends it (a request,
    a CLI command, the demo loader). Returns the number of users notified.
    """
    link, url = notification_link(endpoint, **values), external_url(endpoint, **values)
    count = 0
    for user in dict.fromkeys(users):
        if not user.active:
            continue
        with force_locale(user.locale or "en"):
            subject, body = message_factory()
        db.session.add(Notification(user_id=user.id, message=subject, link=link))
        send_mail(user.email, subject, f"{body}\n\n{url}")
        count += 1
    return count


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

    return notify(representatives((proposal.mentor_city_id, proposal.mentee_city_id)), message,
                  "rounds.proposal", proposal_id=proposal.id)


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

    return notify(coordinators(), message, "rounds.proposal", proposal_id=proposal.id)


def mentorship_created(proposal, mentorship) -> int:
    """Both cities: both endorsed, the mentorship starts."""
    mentor, mentee = proposal.mentor_city.name, proposal.mentee_city.name

    def message():
        return (
            _("Mentorship confirmed: %(mentor)s and %(mentee)s", mentor=mentor, mentee=mentee),
            _(
                "Both cities endorsed the pairing. The mentorship of %(mentee)s by %(mentor)s has started.",
                mentor=mentor,
                mentee=mentee,
            ),
        )

    return notify(representatives((proposal.mentor_city_id, proposal.mentee_city_id)), message,
                  "mentorships.index")
