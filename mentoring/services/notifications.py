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
from mentoring.services import letters
from mentoring.services.cities.directory import display_name


def notify(users, message_factory, endpoint: str, *, event: str = "proposals", **values) -> int:
    """Send one notification and one e-mail per user; ``message_factory()`` -> (subject, body).

    The factory is called in each user's own language. The bell notification links to the page
    ``endpoint`` (a path); the e-mail (a letter: text and HTML parts, absolute link, unsubscribe
    footer) goes as the user chose for ``event`` (immediately, in the daily digest, or not),
    whoever sends it (a request, a CLI command, the demo loader). Returns the number notified.
    """
    link, url = notification_link(endpoint, **values), external_url(endpoint, **values)
    count = 0
    for user in dict.fromkeys(users):
        if not user.active:
            continue
        with force_locale(letters.language_of(user)):
            subject, body = message_factory()
        db.session.add(Notification(user_id=user.id, message=subject, link=link))

        def compose():
            subject, body = message_factory()
            return letters.Letter(subject=subject, paragraphs=[body], link=url, link_label=_("Open"))

        letters.send(user, event, compose)
        count += 1
    return count


def proposal_approved(proposal) -> int:
    """Both cities' representatives: a pairing awaits their endorsement."""
    mentor, mentee = display_name(proposal.mentor_city), display_name(proposal.mentee_city)

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
                  "rounds.proposal", event="endorsements", proposal_id=proposal.id)


def proposal_declined(proposal, city) -> int:
    """Coordinators: a city declined; the mentee is back in the pool."""
    mentor, mentee, who = display_name(proposal.mentor_city), display_name(proposal.mentee_city), display_name(city)
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
    mentor, mentee = display_name(proposal.mentor_city), display_name(proposal.mentee_city)

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


def proposal_expired(proposal) -> int:
    """Coordinators and both cities: nobody answered in time; the mentee is back in the pool."""
    mentor, mentee = display_name(proposal.mentor_city), display_name(proposal.mentee_city)

    def message():
        return (
            _("Pairing expired without an endorsement: %(mentor)s → %(mentee)s", mentor=mentor, mentee=mentee),
            _("The pairing of %(mentor)s with %(mentee)s was not endorsed in time. The mentor's place is free "
              "again and %(mentee)s is back among the unmatched mentees.", mentor=mentor, mentee=mentee),
        )

    people = coordinators() + representatives((proposal.mentor_city_id, proposal.mentee_city_id))
    return notify(people, message, "rounds.proposal", proposal_id=proposal.id)


def nobody_to_endorse(proposal, cities) -> int:
    """Coordinators: an approved pair has a side nobody can endorse; they must fix it."""
    mentor, mentee = display_name(proposal.mentor_city), display_name(proposal.mentee_city)
    names = ", ".join(display_name(city) for city in cities)

    def message():
        return (
            _("Nobody can endorse %(mentor)s → %(mentee)s for %(cities)s", mentor=mentor, mentee=mentee, cities=names),
            _("%(cities)s has no confirmed representative. Ask its programme contact to endorse by e-mail, or "
              "invite a representative, from the proposal's consent page.", cities=names),
        )

    return notify(coordinators(), message, "people.consent_gate", proposal_id=proposal.id)
