"""Close-out: the only transitions, re-assessment before/after, final feedback, the Peer-Learning Note."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    AuditEvent,
    CapabilityArea,
    Feedback,
    LearningNote,
    Mentorship,
)
from mentoring.services import Conflict, NotAllowed, ServiceError
from mentoring.services import workspace as service
from tests.conftest import login
from tests.mentoring.mentorships.conftest import add_session


def test_complete_is_audited_and_final(rctx, world):
    held = add_session(world.mentorship_id, days=-3, held=True)
    add_session(world.mentorship_id, days=3, held=False)
    mentorship, actor = world.mentorship(), world.get(world.mentor_rep)
    service.close(actor, mentorship, state="completed", outcome="An open data portal", version=mentorship.version)
    db.session.commit()
    mentorship = world.mentorship()
    assert mentorship.state == "completed" and mentorship.closed_at is not None
    # The planned session that will not take place is cancelled (audited, kept for the calendars'
    # CANCEL); the held one stays as it was.
    assert [(s.id == held.id, s.cancelled_at is None) for s in mentorship.sessions] == [(True, True), (False, False)]
    assert db.session.scalar(select(AuditEvent.reason).where(AuditEvent.action == "session.cancel")) == \
        "The mentorship was closed."
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mentorship.complete"))
    assert event.before == {"state": "active"} and event.after["state"] == "completed"
    for state in ("withdrawn", "completed", "active"):
        with pytest.raises(NotAllowed):
            service.close(actor, mentorship, state=state, reason="again")
    with pytest.raises(NotAllowed):
        service.add_goal(actor, mentorship, area_key=mentorship.areas[0], statement="late goal")


def test_withdrawing_needs_a_reason_and_keeps_it(rctx, world):
    mentorship, actor = world.mentorship(), world.get(world.mentee_rep)
    with pytest.raises(ServiceError) as error:
        service.close(actor, mentorship, state="withdrawn", reason="  ")
    assert "reason" in error.value.errors
    service.close(actor, mentorship, state="withdrawn", reason="New administration after elections")
    db.session.commit()
    mentorship = world.mentorship()
    assert (mentorship.state, mentorship.withdraw_reason) == ("withdrawn", "New administration after elections")
    assert db.session.scalar(select(AuditEvent.reason).where(AuditEvent.action == "mentorship.withdraw")) == \
        "New administration after elections"


def test_a_stale_close_is_refused(rctx, world):
    mentorship = world.mentorship()
    with pytest.raises(Conflict):
        service.close(world.get(world.mentor_rep), mentorship, state="completed", version=mentorship.version + 1)


def test_close_form_and_final_feedback_from_each_city(app, client, world):
    login(client, world.mentee_rep)
    bad = client.post(f"/mentorships/{world.mentorship_id}/close",
                      data={"state": "withdrawn", "reason": "", "version": "1", "submit": "1"})
    assert bad.status_code == 422
    ok = client.post(f"/mentorships/{world.mentorship_id}/close",
                     data={"state": "completed", "outcome": "Roadmap adopted", "version": "1", "submit": "1"})
    assert ok.status_code == 302
    for user in (world.mentee_rep, world.mentor):
        login(client, user)
        response = client.post(f"/mentorships/{world.mentorship_id}/close/feedback",
                               data={"final-rating": "4", "final-fit": "good", "final-comment": "Useful"})
        assert response.status_code == 302
    again = client.post(f"/mentorships/{world.mentorship_id}/close/feedback",
                        data={"final-rating": "5", "final-fit": "good"}, headers={"Accept": "application/json"})
    assert again.status_code == 422
    with app.app_context():
        rows = list(db.session.scalars(select(Feedback).where(Feedback.at_close)))
        assert sorted(f.city_id for f in rows) == sorted([world.mentor_city_id, world.mentee_city_id])
        assert {f.rating for f in rows} == {4}


def test_reassessment_creates_new_current_assessments_and_shows_before_after(app, client, world):
    with app.app_context():
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        first, second = [db.session.scalar(select(CapabilityArea).where(CapabilityArea.key == k))
                         for k in mentorship.areas]
        db.session.add(Assessment(city_id=world.mentee_city_id, area_id=first.id, maturity=1, need=3))
        db.session.commit()
        keys = (first.key, second.key)
    login(client, world.mentee_rep)
    refused = client.post(f"/mentorships/{world.mentorship_id}/reassess", data={f"level-{keys[0]}": "3"},
                          headers={"Accept": "application/json"})
    assert refused.status_code == 409  # not completed yet
    client.post(f"/mentorships/{world.mentorship_id}/close",
                data={"state": "completed", "version": "1", "submit": "1"})
    login(client, world.mentor)  # the mentor city does not re-assess the mentee
    assert client.post(f"/mentorships/{world.mentorship_id}/reassess", data={f"level-{keys[0]}": "4"},
                       headers={"Accept": "application/json"}).status_code == 409
    login(client, world.mentee_rep)
    done = client.post(f"/mentorships/{world.mentorship_id}/reassess",
                       data={f"level-{keys[0]}": "3", f"level-{keys[1]}": "2"})
    assert done.status_code == 302
    with app.app_context():
        history = list(db.session.scalars(select(Assessment).where(Assessment.city_id == world.mentee_city_id)
                                          .order_by(Assessment.id)))
        assert [(a.maturity, a.is_current) for a in history] == [(1, False), (3, True), (2, True)]
        assert history[1].need == 3, "the need is carried over"
        rows = service.maturity_before_after(db.session.get(Mentorship, world.mentorship_id))
        assert [(r["before"], r["after"]) for r in rows] == [(1, 3), (None, 2)]
    page = client.get(f"/mentorships/{world.mentorship_id}").get_data(as_text=True)
    assert "before and after" in page and "+2" in page


def test_the_note_is_prefilled_editable_published_and_downloadable(app, client, world, make_user):
    with app.app_context():
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        with app.test_request_context():
            goal_id = service.add_goal(world.get(world.mentor), mentorship, area_key=mentorship.areas[0],
                                       statement="Open 20 datasets").id
        add_session(world.mentorship_id, days=-5, held=True, outcomes="Inventory of 40 datasets")
    login(client, world.mentor)
    assert client.get(f"/mentorships/{world.mentorship_id}/note").status_code == 302  # still active
    client.post(f"/mentorships/{world.mentorship_id}/close",
                data={"state": "completed", "outcome": "Portal launched", "version": "1", "submit": "1",
                      f"goal-{goal_id}": "achieved"})
    page = client.get(f"/mentorships/{world.mentorship_id}/note").get_data(as_text=True)
    assert "Open 20 datasets" in page and "Inventory of 40 datasets" in page and "Portal launched" in page
    stranger = make_user("reader@example.org")
    draft_url = f"/mentorships/{world.mentorship_id}/note/print"
    login(client, stranger)
    assert client.get(draft_url).status_code == 404  # a draft is the pair's own
    login(client, world.mentor)
    edited = "# Our note\n\n- **Lesson**: start small <script>alert(1)</script>\n"
    assert client.post(f"/mentorships/{world.mentorship_id}/note",
                       data={"markdown": edited, "publish": "1"}).status_code == 302
    login(client, stranger)
    printable = client.get(draft_url)
    html = printable.get_data(as_text=True)
    assert printable.status_code == 200
    assert "<strong>Lesson</strong>" in html and "<script>alert" not in html and "&lt;script&gt;" in html
    download = client.get(f"/mentorships/{world.mentorship_id}/note.md")
    assert download.mimetype == "text/markdown"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.get_data(as_text=True) == edited
    assert "Lyon → Pune" in client.get("/mentorships/notes").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(LearningNote.published_at)) is not None
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "note.publish")) == 1
