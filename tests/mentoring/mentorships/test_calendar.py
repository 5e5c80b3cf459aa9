"""The .ics of a session and the personal feed, read back with the icalendar library."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import icalendar

from mentoring.extensions import db
from mentoring.models import MentoringSession, User
from mentoring.services import calendar as calendar_service
from tests.conftest import login


def _session(app, mentorship_id, **fields):
    with app.app_context():
        session = MentoringSession(mentorship_id=mentorship_id,
                                   starts_at=datetime(2026, 7, 1, 8, 0, tzinfo=UTC),
                                   timezone="Europe/Paris", duration_minutes=90, format="study_visit",
                                   travel="Pune officials visit Lyon", held=False, areas=[], **fields)
        db.session.add(session)
        db.session.commit()
        return session.id


def test_the_session_ics_parses_back_with_the_zone_and_duration(app, client, world):
    session_id = _session(app, world.mentorship_id)
    login(client, world.mentee_rep)
    response = client.get(f"/mentorships/{world.mentorship_id}/sessions/{session_id}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    calendar = icalendar.Calendar.from_ical(response.data)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    [event] = calendar.walk("VEVENT")
    assert event.start == datetime(2026, 7, 1, 10, 0, tzinfo=event.start.tzinfo)
    assert event.start.utcoffset() == timedelta(hours=2)
    assert event.start.astimezone(UTC) == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert event.end - event.start == timedelta(minutes=90)
    assert "Lyon" in str(event["SUMMARY"]) and "Pune" in str(event["SUMMARY"])
    assert str(event["UID"]) == f"session-{session_id}@mentoring"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]


def test_the_feed_needs_its_secret_only_stores_a_hash_and_can_be_rotated(app, client, world):
    _session(app, world.mentorship_id)
    login(client, world.mentor)
    page = client.post("/mentorships/calendar/token").get_data(as_text=True)
    url = re.search(r'value="(http[^"]+\.ics)"', page).group(1)
    path = url.split("localhost", 1)[-1]
    token = path.rsplit("/", 1)[-1][:-4]
    with app.app_context():
        stored = db.session.get(User, world.mentor.id).calendar_token
        assert stored == calendar_service.hash_token(token) and token not in stored
    client.post("/auth/logout")
    feed = client.get(path)  # no cookie: calendar programs do not sign in
    assert feed.status_code == 200
    assert len(icalendar.Calendar.from_ical(feed.data).walk("VEVENT")) == 1
    assert client.get("/mentorships/calendar/not-a-token.ics").status_code == 404
    login(client, world.mentor)
    client.post("/mentorships/calendar/token")  # a new address revokes the old one
    assert client.get(path).status_code == 404
    client.post("/mentorships/calendar/revoke")
    with app.app_context():
        assert db.session.get(User, world.mentor.id).calendar_token is None


def test_the_feed_of_an_outsider_holds_nothing_of_the_mentorship(app, client, world):
    _session(app, world.mentorship_id)
    with app.test_request_context():
        outsider = db.session.get(User, world.outsider.id)
        token = calendar_service.new_feed_token(outsider)
        coordinator = db.session.get(User, world.coordinator.id)
        coordinator_token = calendar_service.new_feed_token(coordinator)
        db.session.commit()
    for secret in (token, coordinator_token):
        feed = client.get(f"/mentorships/calendar/{secret}.ics")
        assert feed.status_code == 200
        assert icalendar.Calendar.from_ical(feed.data).walk("VEVENT") == []
        assert b"Lyon" not in feed.data
