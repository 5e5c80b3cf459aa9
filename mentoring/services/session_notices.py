"""Telling both cities when a session is planned, moved or cancelled — with a calendar invitation.

Every participant of both cities (members of either city and the people assigned to the
mentorship) receives an e-mail with an ``.ics`` attached: ``METHOD:REQUEST`` for a planned or
changed session, ``METHOD:CANCEL`` for a cancelled one. The event keeps one UID for its whole life
and its SEQUENCE is the session's version, which grows with every change, so calendar programs
update (or remove) the same event instead of adding a new one.
"""
from __future__ import annotations

import icalendar
from flask_babel import gettext as _
from sqlalchemy import or_, select

from mentoring.extensions import db
from mentoring.links import external_url, notification_link
from mentoring.models import (
    CityMember,
    MentoringSession,
    MentorshipMentor,
    Notification,
    User,
)
from mentoring.services import letters
from mentoring.services.cities.directory import display_name

CHANGES = ("planned", "changed", "cancelled")


def participants(mentorship) -> list[User]:
    """Everyone taking part for either city: members of both cities and the assigned people."""
    members = select(CityMember.user_id).where(
        CityMember.city_id.in_((mentorship.mentor_city_id, mentorship.mentee_city_id)))
    assigned = select(MentorshipMentor.user_id).where(MentorshipMentor.mentorship_id == mentorship.id)
    return list(db.session.scalars(select(User).where(
        or_(User.id.in_(members), User.id.in_(assigned)), User.active).order_by(User.id)))


def workspace_link(session: MentoringSession) -> str:
    return external_url("mentorships.show", mentorship_id=session.mentorship_id) + f"#session-{session.id}"


def invitation(session: MentoringSession, method: str) -> str:
    """The ``.ics`` text sent by e-mail: one event, ``METHOD:REQUEST`` or ``METHOD:CANCEL``."""
    from mentoring.services import calendar

    document = icalendar.Calendar()
    document.add("prodid", calendar.PRODID)
    document.add("version", "2.0")
    document.add("method", method)
    event = calendar.event_for(session, lambda s: workspace_link(s))
    if method == "CANCEL":
        event["status"] = icalendar.vText("CANCELLED")
    document.add_component(event)
    document.add_missing_timezones()
    return document.to_ical().decode("utf-8")


def where_text(session: MentoringSession) -> str:
    if session.meeting_url:
        return session.meeting_url
    return ", ".join(part for part in (session.place, session.place_city) if part)


def notify(session: MentoringSession, change: str, *, reason: str | None = None) -> int:
    """E-mail every participant of both cities about ``change``; returns the number of e-mails."""
    from mentoring.services import workspace

    mentorship = session.mentorship
    method = "CANCEL" if change == "cancelled" else "REQUEST"
    ics = invitation(session, method)
    mentor, mentee = display_name(mentorship.mentor_city), display_name(mentorship.mentee_city)
    link = workspace_link(session)
    path = notification_link("mentorships.show", mentorship_id=mentorship.id)
    sent = 0
    for user in participants(mentorship):
        zone, city = workspace.viewer_zone(user, mentorship)
        when = session.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        where = where_text(session)

        def compose(when=when, zone=zone, city=city, where=where):
            names = {"mentor": mentor, "mentee": mentee, "when": when}
            subjects = {
                "planned": _("Session planned: %(mentor)s and %(mentee)s, %(when)s", **names),
                "changed": _("Session changed: %(mentor)s and %(mentee)s, %(when)s", **names),
                "cancelled": _("Session cancelled: %(mentor)s and %(mentee)s, %(when)s", **names),
            }
            paragraphs = [_("%(when)s (the time in %(city)s), %(minutes)d minutes.", when=when, city=display_name(city),
                            minutes=session.duration_minutes)]
            if where and change != "cancelled":
                paragraphs.append(_("Where: %(where)s", where=where))
            if change == "cancelled":
                paragraphs.append(_("This session will not take place."))
                if reason:
                    paragraphs.append(reason)
            paragraphs.append(_("The attached invitation updates your calendar."))
            return letters.Letter(subject=subjects[change], paragraphs=paragraphs, link=link,
                                  link_label=_("Open the workspace"),
                                  attachments=[{"filename": "session.ics",
                                                "content_type": f"text/calendar; method={method}",
                                                "content": ics}])

        with letters.force_locale(letters.language_of(user)):
            subject = compose().subject
        db.session.add(Notification(user_id=user.id, message=subject, link=path))
        if letters.send(user, "sessions", compose) is not None:
            sent += 1
    db.session.flush()
    return sent
