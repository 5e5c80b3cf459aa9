"""Session dates: only a sensible range is accepted, and rows stored out of range never fail a page.

Reproduced: a session at 9999-12-31 23:30 UTC was accepted, then the workspace, the session's .ics
and every participant's feed answered 500 (OverflowError); 9999-12-31T23:59 in Los Angeles and a
logged session at 0001-01-01T00:30 in Tokyo failed at submit with 500.
"""
from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import icalendar
import pytest
from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import MentoringSession, User, utcnow
from mentoring.services import calendar as calendar_service
from tests.conftest import login


class FieldErrors(HTMLParser):
    """The texts of the elements with the form's field-error class, parsed from the page."""

    def __init__(self):
        super().__init__()
        self.errors: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if self._depth:
            self._depth += 1
        elif any("error" in c for c in classes) and tag != "form":
            self._depth = 1
            self.errors.append("")

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.errors[-1] += data


def field_errors(page: str) -> str:
    parser = FieldErrors()
    parser.feed(page)
    # Only ASCII white space is folded: the French messages keep their no-break spaces.
    return " ".join(re.sub(r"[ \t\r\n]+", " ", e).strip() for e in parser.errors)


def post_session(client, mentorship_id: int, kind: str, starts_at: str, zone: str, key: str):
    return client.post(f"/mentorships/{mentorship_id}/sessions/new?kind={kind}", data={
        "starts_at": starts_at, "timezone": zone, "duration_minutes": "60", "format": "video",
        "idempotency_key": key,
    })


def sessions_stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(MentoringSession))


@pytest.mark.parametrize(("kind", "starts_at", "zone", "message"), [
    ("plan", "9999-12-31T23:30", "UTC", "at most 10 years ahead"),
    ("plan", "9999-12-31T23:59", "America/Los_Angeles", "at most 10 years ahead"),
    ("log", "0001-01-01T00:30", "Asia/Tokyo", "before the programme started"),
    ("log", "1999-12-31T12:00", "Europe/Paris", "before the programme started"),
    ("plan", "0001-01-01T00:30", "America/Los_Angeles", "before the programme started"),
])
def test_a_session_out_of_range_is_a_field_error_not_a_500(app, client, world, kind, starts_at, zone, message):
    login(client, world.mentor)
    response = post_session(client, world.mentorship_id, kind, starts_at, zone, f"k-{kind}-{zone[:3]}")
    assert response.status_code == 422
    assert message in field_errors(response.get_data(as_text=True))
    assert sessions_stored(app) == 0


def test_planning_more_than_ten_years_ahead_is_refused_and_just_inside_is_accepted(app, client, world):
    login(client, world.mentor)
    now = utcnow()
    too_far = (now + timedelta(days=366 * 10 + 3)).strftime("%Y-%m-%dT%H:%M")
    inside = (now + timedelta(days=365 * 9)).strftime("%Y-%m-%dT%H:%M")
    assert post_session(client, world.mentorship_id, "plan", too_far, "UTC", "k-far").status_code == 422
    assert post_session(client, world.mentorship_id, "plan", inside, "UTC", "k-inside").status_code == 302
    assert sessions_stored(app) == 1


def test_a_logged_session_cannot_be_in_the_future(app, client, world):
    login(client, world.mentor)
    tomorrow = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = post_session(client, world.mentorship_id, "log", tomorrow, "UTC", "k-future")
    assert response.status_code == 422
    assert "once it has started" in field_errors(response.get_data(as_text=True))


def test_the_programme_start_is_configurable(app, client, world):
    app.config["PROGRAMME_START"] = "2020-01-01"
    login(client, world.mentor)
    response = post_session(client, world.mentorship_id, "log", "2019-06-01T10:00", "UTC", "k-2019")
    assert response.status_code == 422
    assert "before the programme started" in field_errors(response.get_data(as_text=True))


def test_the_range_error_is_in_the_users_language(app, client, world, make_user):
    with app.app_context():
        user = db.session.get(User, world.mentor.id)
        user.locale = "fr"
        db.session.commit()
    login(client, world.mentor)
    response = post_session(client, world.mentorship_id, "plan", "9999-12-31T23:30", "UTC", "k-fr")
    assert response.status_code == 422
    assert "au plus 10\u00a0ans à l'avance" in field_errors(response.get_data(as_text=True))


@pytest.fixture
def stored_out_of_range(app, world):
    """A row stored before the range check existed (and one ordinary session beside it)."""
    with app.app_context():
        edge = MentoringSession(mentorship_id=world.mentorship_id,
                                starts_at=datetime(9999, 12, 31, 23, 30, tzinfo=UTC),
                                timezone="Europe/Paris", duration_minutes=60, format="video",
                                held=False, areas=[])
        normal = MentoringSession(mentorship_id=world.mentorship_id,
                                  starts_at=utcnow() + timedelta(days=3), timezone="Europe/Paris",
                                  duration_minutes=60, format="video", held=False, areas=[])
        db.session.add_all([edge, normal])
        db.session.commit()
        return edge.id, normal.id


def test_a_stored_session_out_of_range_is_shown_on_the_workspace(client, world, stored_out_of_range, caplog):
    for person in (world.mentor, world.mentee_rep, world.coordinator):
        login(client, person)
        response = client.get(f"/mentorships/{world.mentorship_id}")
        assert response.status_code == 200
        assert "9999" in response.get_data(as_text=True)
    assert any("shown in UTC" in r.getMessage() for r in caplog.records)


def test_a_stored_session_out_of_range_gets_no_calendar_file_but_a_clear_answer(client, world, stored_out_of_range):
    edge_id, normal_id = stored_out_of_range
    login(client, world.mentor)
    response = client.get(f"/mentorships/{world.mentorship_id}/sessions/{edge_id}.ics")
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    ok = client.get(f"/mentorships/{world.mentorship_id}/sessions/{normal_id}.ics")
    assert ok.status_code == 200
    assert len(icalendar.Calendar.from_ical(ok.data).walk("VEVENT")) == 1


def test_every_participants_feed_skips_a_stored_session_out_of_range(app, client, world, stored_out_of_range,
                                                                    caplog):
    _edge_id, normal_id = stored_out_of_range
    caplog.set_level(logging.WARNING, logger="mentoring.calendar")
    for person in (world.mentor_rep, world.mentor, world.mentee_rep):
        with app.app_context():
            token = calendar_service.new_feed_token(db.session.get(User, person.id))
            db.session.commit()
        feed = client.get(f"/mentorships/calendar/{token}.ics")
        assert feed.status_code == 200
        events = icalendar.Calendar.from_ical(feed.data).walk("VEVENT")
        assert [str(e["uid"]) for e in events] == [f"session-{normal_id}@mentoring"]
    assert any("left out of a calendar" in r.getMessage() for r in caplog.records)
