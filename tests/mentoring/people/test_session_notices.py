"""Session logistics: a link or a place, and every change told to both cities with an .ics that
calendar programs apply to the same event (REQUEST, REQUEST, CANCEL; one UID; growing SEQUENCE)."""
from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import MentoringSession, Mentorship, OutboxMessage, utcnow
from mentoring.services import ServiceError, workspace
from tests.mentoring.people.conftest import outbox


def _data(days: int, **extra) -> workspace.SessionData:
    start = (utcnow() + timedelta(days=days)).astimezone().replace(tzinfo=None, second=0, microsecond=0)
    return workspace.SessionData(local_start=start, timezone="America/Santiago", duration_minutes=60,
                                 format="video", **extra)


def invitations(recipient: str) -> list[icalendar.Calendar]:
    found = []
    for message in outbox(recipient):
        for item in message.attachments or []:
            assert item["content_type"].startswith("text/calendar")
            found.append(icalendar.Calendar.from_ical(item["content"]))
    return found


def test_plan_move_cancel_send_request_request_cancel_to_both_cities(app, world):
    with app.app_context():
        rep = world.get(world.mentor_rep)
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        session, _ = workspace.record_session(rep, mentorship, _data(7, meeting_url="https://meet.example/valpo-pune"),
                                              held=False, idempotency_key="plan-1")
        workspace.update_session(rep, session, _data(8, meeting_url="https://meet.example/valpo-pune"), held=False)
        workspace.cancel_session(rep, session)
        db.session.commit()
        for recipient in ("rep@valpo.example", "rep@pune.example"):
            calendars = invitations(recipient)
            assert [str(c["method"]) for c in calendars] == ["REQUEST", "REQUEST", "CANCEL"]
            events = [c.walk("VEVENT")[0] for c in calendars]
            assert len({str(e["uid"]) for e in events}) == 1
            sequences = [int(e["sequence"]) for e in events]
            assert sequences == sorted(sequences) and len(set(sequences)) == 3
            assert str(events[0]["url"]) == "https://meet.example/valpo-pune"
            assert str(events[2]["status"]) == "CANCELLED"
        # Kept, marked cancelled, and the feed says so.
        session = db.session.get(MentoringSession, session.id)
        assert session.cancelled_at is not None
        from mentoring.services import calendar

        feed = icalendar.Calendar.from_ical(calendar.calendar_for(calendar.feed_sessions(rep), lambda s: ""))
        assert [(str(e["uid"]), str(e["status"])) for e in feed.walk("VEVENT")] == [
            (f"session-{session.id}@mentoring", "CANCELLED")]
        mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "rep@pune.example")).all()
        assert all(m.html and "/people/unsubscribe/" in m.body for m in mails)


def test_a_place_goes_to_location_and_bad_links_are_refused(app, world):
    with app.app_context():
        rep = world.get(world.mentor_rep)
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        for bad in ("javascript:alert(1)", "ftp://files.example/x", "meet.example/no-scheme"):
            with pytest.raises(ServiceError) as error:
                workspace.record_session(rep, mentorship, _data(3, meeting_url=bad), held=False,
                                         idempotency_key=f"bad-{len(bad)}")
            assert "meeting_url" in error.value.errors
        workspace.record_session(rep, mentorship, _data(3, place="Calle Prat 1", place_city="Valparaíso"),
                                              held=False, idempotency_key="place-1")
        db.session.commit()
        event = invitations("rep@pune.example")[0].walk("VEVENT")[0]
        assert str(event["location"]) == "Calle Prat 1, Valparaíso"


def test_closing_cancels_future_sessions_with_notices_instead_of_deleting(app, world):
    with app.app_context():
        rep = world.get(world.mentor_rep)
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        session, _ = workspace.record_session(rep, mentorship, _data(5, meeting_url="https://meet.example/x"),
                                              held=False, idempotency_key="close-1")
        db.session.commit()
        before = len(outbox("rep@pune.example"))
        workspace.close(rep, mentorship, state="withdrawn", reason="Elections")
        db.session.commit()
        session = db.session.get(MentoringSession, session.id)
        assert session is not None and session.cancelled_at is not None
        cancels = invitations("rep@pune.example")[before:]
        assert [str(c["method"]) for c in cancels] == ["CANCEL"]


