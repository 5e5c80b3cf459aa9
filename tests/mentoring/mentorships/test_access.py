"""The authorization matrix: every route of the workspace × anonymous, the two cities, an unrelated
city, a coordinator and an administrator. A city outside the mentorship sees nothing of it (404)."""
from __future__ import annotations

from datetime import date

import pytest

from mentoring.extensions import db
from mentoring.models import LearningNote, Mentorship, SharedLink
from mentoring.services import workspace as service
from tests.conftest import login
from tests.html import visible_text
from tests.mentoring.mentorships.conftest import add_session

ROLES = ("anonymous", "mentor_city", "mentee_city", "unrelated_city", "coordinator", "admin")
PARTICIPANTS = {"mentor_city", "mentee_city", "coordinator", "admin"}
SIGNED_IN = PARTICIPANTS | {"unrelated_city"}
COORDINATORS = {"coordinator", "admin"}


@pytest.fixture
def objects(app, world):
    with app.app_context():
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        with app.test_request_context():
            goal = service.add_goal(world.get(world.mentor), mentorship, area_key=mentorship.areas[0],
                                    statement="A goal")
        link = SharedLink(mentorship_id=mentorship.id, title="Doc", url="https://example.org/doc")
        db.session.add(link)
        db.session.add(LearningNote(mentorship_id=mentorship.id, markdown="# Draft"))
        db.session.commit()
        ids = {"m": mentorship.id, "g": goal.id, "l": link.id}
        ids["s"] = add_session(mentorship.id, days=-2, held=True).id
        ids["p"] = add_session(mentorship.id, days=3, held=False).id
    return ids


def routes(ids):
    """(endpoint, method, url, roles that may use it)."""
    m, s, p, g, link = ids["m"], ids["s"], ids["p"], ids["g"], ids["l"]
    base = f"/mentorships/{m}"
    return [
        ("mentorships.index", "GET", "/mentorships/", SIGNED_IN),
        ("mentorships.notes", "GET", "/mentorships/notes", SIGNED_IN),
        ("mentorships.calendar", "GET", "/mentorships/calendar", SIGNED_IN),
        ("mentorships.calendar_token", "POST", "/mentorships/calendar/token", SIGNED_IN),
        ("mentorships.calendar_revoke", "POST", "/mentorships/calendar/revoke", SIGNED_IN),
        ("mentorships.create", "GET", "/mentorships/new", COORDINATORS),
        ("mentorships.create", "POST", "/mentorships/new", COORDINATORS),
        ("mentorships.show", "GET", base, PARTICIPANTS),
        ("mentorships.assign_mentor", "POST", f"{base}/mentors", PARTICIPANTS),
        ("mentorships.unassign_mentor", "POST", f"{base}/mentors/999/remove", PARTICIPANTS),
        ("mentorships.add_goal", "POST", f"{base}/goals", PARTICIPANTS),
        ("mentorships.update_goal", "POST", f"{base}/goals/{g}", PARTICIPANTS),
        ("mentorships.new_session", "GET", f"{base}/sessions/new?kind=log", PARTICIPANTS),
        ("mentorships.new_session", "POST", f"{base}/sessions/new?kind=log", PARTICIPANTS),
        ("mentorships.edit_session", "GET", f"{base}/sessions/{s}/edit", PARTICIPANTS),
        ("mentorships.edit_session", "POST", f"{base}/sessions/{s}/edit", PARTICIPANTS),
        ("mentorships.cancel_session", "POST", f"{base}/sessions/{p}/cancel", PARTICIPANTS),
        ("mentorships.session_ics", "GET", f"{base}/sessions/{s}.ics", PARTICIPANTS),
        ("mentorships.session_feedback", "POST", f"{base}/sessions/{s}/feedback", PARTICIPANTS),
        ("mentorships.add_link", "POST", f"{base}/links", PARTICIPANTS),
        ("mentorships.remove_link", "POST", f"{base}/links/{link}/remove", PARTICIPANTS),
        ("mentorships.close", "GET", f"{base}/close", PARTICIPANTS),
        ("mentorships.close", "POST", f"{base}/close", PARTICIPANTS),
        ("mentorships.close_feedback", "POST", f"{base}/close/feedback", PARTICIPANTS),
        ("mentorships.reassess", "POST", f"{base}/reassess", PARTICIPANTS),
        ("mentorships.note", "GET", f"{base}/note", PARTICIPANTS),
        ("mentorships.note", "POST", f"{base}/note", PARTICIPANTS),
        ("mentorships.note_print", "GET", f"{base}/note/print", PARTICIPANTS),
        ("mentorships.note_markdown", "GET", f"{base}/note.md", PARTICIPANTS),
        # The feed has no session: its secret token is the credential (tested in test_calendar).
        ("mentorships.calendar_feed", "GET", "/mentorships/calendar/unknown.ics", set()),
    ]


def _replenish(app, ids):
    with app.app_context():
        link = SharedLink(mentorship_id=ids["m"], title="Doc", url="https://example.org/doc")
        db.session.add(link)
        db.session.commit()
        ids["l"] = link.id
        ids["p"] = add_session(ids["m"], days=3, held=False).id


def user_for(world, role):
    return {"mentor_city": world.mentor_rep, "mentee_city": world.mentee_rep,
            "unrelated_city": world.outsider, "coordinator": world.coordinator, "admin": world.admin}.get(role)


def test_every_workspace_route_is_in_the_matrix(app, objects):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("mentorships.")}
    assert endpoints == {endpoint for endpoint, *_ in routes(objects)}


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_authorization_matrix(app, world, objects, accept):
    cells = unexpected = 0
    for role in ROLES:
        _replenish(app, objects)  # the previous role may have removed the link and cancelled the session
        client = app.test_client()
        user = user_for(world, role)
        if user is not None:
            login(client, user)
        for endpoint, method, url, allowed in routes(objects):
            response = client.open(url, method=method, headers={"Accept": accept})
            cells += 1
            status = response.status_code
            assert status < 500, (role, endpoint, method, status)
            to_login = status == 302 and "/auth/login" in response.headers.get("Location", "")
            denied = to_login or status in (401, 403, 404)
            if role in allowed and denied:
                unexpected += 1
                pytest.fail(f"{role} refused on {method} {endpoint}: {status}")
            if role not in allowed and not denied:
                pytest.fail(f"{role} allowed on {method} {endpoint}: {status}")
            if role == "unrelated_city" and endpoint not in ("mentorships.create",) and role not in allowed \
                    and endpoint != "mentorships.calendar_feed":
                assert status == 404, (endpoint, status)  # nothing leaks, not even that it exists
                shown = visible_text(response, tag=None)
                assert "Lyon" not in shown and "Pune" not in shown
            if role == "anonymous" and endpoint != "mentorships.calendar_feed":
                assert to_login or status == 401, (endpoint, status)
    assert unexpected == 0
    print(f"cells checked = {cells}; unexpected allow = 0")


def test_a_published_note_is_readable_by_every_signed_in_user(app, client, world, objects):
    with app.app_context():
        note = db.session.query(LearningNote).one()
        from mentoring.models import utcnow

        note.published_at = utcnow()
        db.session.commit()
    login(client, world.outsider)
    assert client.get(f"/mentorships/{objects['m']}/note/print").status_code == 200
    assert client.get(f"/mentorships/{objects['m']}/note.md").status_code == 200
    assert client.get(f"/mentorships/{objects['m']}/note").status_code == 404  # editing stays theirs
    anonymous = app.test_client()
    assert anonymous.get(f"/mentorships/{objects['m']}/note/print").status_code == 302


def test_objects_of_another_mentorship_are_not_reachable_through_mine(app, client, world, objects, make_city):
    """A session id of mentorship B in the URL of mentorship A gives 404."""
    other = make_city("Porto", "PT")
    with app.test_request_context():
        coordinator = world.get(world.coordinator)
        theirs = service.create_mentorship(coordinator, mentor_city_id=world.outsider_city_id,
                                           mentee_city_id=other.id, areas=world.mentorship().areas,
                                           start_date=date(2026, 1, 1))
        db.session.commit()
        their_id = theirs.id
    with app.app_context():
        session_id = add_session(their_id, days=-1, held=True).id
    login(client, world.mentor_rep)
    assert client.get(f"/mentorships/{objects['m']}/sessions/{session_id}.ics").status_code == 404
    assert client.get(f"/mentorships/{objects['m']}/sessions/{session_id}/edit").status_code == 404
    assert client.post(f"/mentorships/{objects['m']}/sessions/{session_id}/feedback",
                       data={"fit": "poor"}).status_code == 404


def test_every_state_change_needs_a_csrf_token(app_factory, world, objects):
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login(client, world.coordinator)
    posts = [(e, url) for e, method, url, _allowed in routes(objects) if method == "POST"]
    for endpoint, url in posts:
        response = client.post(url, data={"fit": "poor", "state": "withdrawn", "reason": "x", "submit": "1",
                                          "markdown": "x", "title": "x", "url": "https://x.example"})
        assert response.status_code == 400, (endpoint, response.status_code)
    with app.app_context():
        assert db.session.get(Mentorship, world.mentorship_id).state == "active"


def test_reading_pages_never_writes(app, world, objects):
    """GET every workspace page as a participant (and a completed mentorship's note): nothing changes."""
    from sqlalchemy import func, select

    from mentoring.models import Base

    def checksum():
        with app.app_context():
            return {t.name: db.session.scalar(select(func.count()).select_from(t))
                    for t in Base.metadata.sorted_tables}

    client = app.test_client()
    login(client, world.mentee_rep)
    with app.app_context():
        db.session.query(LearningNote).delete()
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        mentorship.state = "completed"
        db.session.commit()
    before = checksum()
    for endpoint, method, url, allowed in routes(objects):
        if method == "GET" and "mentee_city" in allowed:
            assert client.get(url).status_code in (200, 302), endpoint
    assert client.get(f"/mentorships/{objects['m']}/note").status_code == 200
    assert client.get(f"/mentorships/{objects['m']}/note/print").status_code == 200  # the unsaved draft
    assert checksum() == before
