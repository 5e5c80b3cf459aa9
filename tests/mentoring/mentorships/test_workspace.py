"""Goals, feedback, shared links, creating a mentorship by hand, and the lists."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import (
    AuditEvent,
    CityMember,
    Feedback,
    Goal,
    MentoringSession,
    Mentorship,
    Notification,
    OutboxMessage,
    utcnow,
)
from mentoring.services import NotAllowed, ServiceError
from mentoring.services import workspace as service
from tests.conftest import login
from tests.html import visible_text
from tests.mentoring.mentorships.conftest import add_session

# --- Goals -------------------------------------------------------------------------------------

def test_the_kept_goals_and_sessions_show_every_change_and_the_readers_language(app, client, world, make_user):
    """Goals and sessions are kept written per content (mentorships/items.py): a change or another reader's
    language is written again, never served from what was kept."""
    with app.test_request_context():
        mentorship, actor = world.mentorship(), world.get(world.mentor)
        goal = service.add_goal(actor, mentorship, area_key=mentorship.areas[0], statement="Publish 20 datasets")
        db.session.commit()
        goal_id = add_session(world.mentorship_id, days=-2, held=True, notes="First notes.").id, goal.id
    session_id, goal_id = goal_id
    login(client, world.mentor)
    before = client.get(f"/mentorships/{world.mentorship_id}").get_data(as_text=True)
    assert "Publish 20 datasets" in before and "First notes." in before and "Quick fit check" in before
    with app.test_request_context():
        actor = world.get(world.mentor)
        service.update_goal(actor, db.session.get(Goal, goal_id), progress=40, status="open",
                            statement="Publish 30 datasets")
        db.session.get(MentoringSession, session_id).notes = "Second notes."
        db.session.add(Feedback(mentorship_id=world.mentorship_id, session_id=session_id,
                                city_id=world.mentor_city_id, author_id=actor.id, fit="good"))
        db.session.commit()
    after = client.get(f"/mentorships/{world.mentorship_id}").get_data(as_text=True)
    assert "Publish 30 datasets" in after and "Publish 20 datasets" not in after
    assert "Second notes." in after and "First notes." not in after
    assert 'value="40"' in after and "Progress history" in after  # the change is dated in the history
    assert "Quick fit check" not in after  # the mentor answered the fit check: no form again
    token = re.search(r'name="csrf_token" value="([^"]+)"', after).group(1)
    assert after.count(token) == after.count('name="csrf_token"')  # this request's token in every form
    french = make_user("rep2@lyon.example", locale="fr")
    with app.app_context():
        db.session.add(CityMember(city_id=world.mentor_city_id, user_id=french.id, role="representative"))
        db.session.commit()
    login(client, french)
    page = client.get(f"/mentorships/{world.mentorship_id}").get_data(as_text=True)
    assert "Publish 30 datasets" in page and "Historique de l&#39;avancement" in page and "Progress history" not in page


def test_goal_progress_changes_are_dated_history(rctx, world):
    mentorship, actor = world.mentorship(), world.get(world.mentor)
    area = mentorship.areas[0]
    goal = service.add_goal(actor, mentorship, area_key=area, statement="Publish 20 open datasets",
                            target_date=date(2026, 6, 30))
    service.update_goal(actor, goal, progress=40, status="open", target_date=goal.target_date)
    service.update_goal(actor, goal, progress=40, status="open", target_date=goal.target_date)  # no change
    service.update_goal(actor, goal, progress=70, status="achieved", target_date=goal.target_date)
    db.session.commit()
    goal = db.session.get(Goal, goal.id)
    assert [(h.progress, h.status) for h in goal.history] == [(0, "open"), (40, "open"), (100, "achieved")]
    assert all(h.at is not None and h.at.tzinfo is not None for h in goal.history)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "goal.update")) == 2


def test_a_goal_belongs_to_a_focus_area_and_progress_stays_within_0_and_100(rctx, world):
    mentorship, actor = world.mentorship(), world.get(world.mentor)
    with pytest.raises(ServiceError) as error:
        service.add_goal(actor, mentorship, area_key="not_an_area", statement="x")
    assert "area_key" in error.value.errors
    goal = service.add_goal(actor, mentorship, area_key=mentorship.areas[0], statement="x")
    for bad in (-1, 101):
        with pytest.raises(ServiceError):
            service.update_goal(actor, goal, progress=bad, status="open")


def test_updating_a_goal_from_the_workspace_form(app, client, world):
    with app.app_context():
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        goal = service.add_goal(world.get(world.mentor), mentorship, area_key=mentorship.areas[0],
                                statement="A digital strategy")
        db.session.commit()
        goal_id = goal.id
    login(client, world.mentee_rep)
    response = client.post(f"/mentorships/{world.mentorship_id}/goals/{goal_id}",
                           data={f"goal{goal_id}-progress": "55", f"goal{goal_id}-status": "open"})
    assert response.status_code == 302
    page = client.get(f"/mentorships/{world.mentorship_id}").get_data(as_text=True)
    assert 'value="55"' in page and "Progress history" in page
    bad = client.post(f"/mentorships/{world.mentorship_id}/goals/{goal_id}",
                      data={f"goal{goal_id}-progress": "150", f"goal{goal_id}-status": "open"},
                      headers={"Accept": "application/json"})
    assert bad.status_code == 422 and "progress" in bad.get_json()["errors"]


# --- Feedback ----------------------------------------------------------------------------------

def test_a_mentee_reporting_a_poor_fit_alerts_coordinators_and_administrators(app, client, world):
    with app.app_context():
        session_id = add_session(world.mentorship_id, days=-2, held=True).id
    login(client, world.mentee_rep)
    response = client.post(f"/mentorships/{world.mentorship_id}/sessions/{session_id}/feedback",
                           data={"fit": "poor", "comment": "Different priorities"})
    assert response.status_code == 302
    with app.app_context():
        notes = list(db.session.scalars(select(Notification)))
        # Everyone who runs the programme (rules.coordinators): the coordinator and the administrator.
        assert sorted(n.user_id for n in notes) == sorted([world.coordinator.id, world.admin.id])
        assert all("Pune reports a poor fit" in n.message for n in notes)
        for person in (world.coordinator, world.admin):
            mails = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == person.email)))
            assert len(mails) == 1 and "Different priorities" in mails[0].body


def test_a_poor_fit_from_the_mentor_side_alerts_nobody_and_feedback_is_not_given_twice(rctx, world):
    mentorship, mentor = world.mentorship(), world.get(world.mentor)
    session = add_session(world.mentorship_id, days=-2, held=True)
    service.give_feedback(mentor, mentorship, fit="poor", session=session)
    with pytest.raises(ServiceError):
        service.give_feedback(mentor, mentorship, fit="good", session=session)
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_feedback_needs_a_held_session_and_a_person_of_the_two_cities(rctx, world):
    mentorship = world.mentorship()
    planned = add_session(world.mentorship_id, days=2, held=False)
    with pytest.raises(ServiceError):
        service.give_feedback(world.get(world.mentor), mentorship, fit="good", session=planned)
    held = add_session(world.mentorship_id, days=-2, held=True)
    with pytest.raises(NotAllowed):
        service.give_feedback(world.get(world.coordinator), mentorship, fit="good", session=held)


def test_a_comment_for_coordinators_only_is_hidden_from_the_other_city(app, client, world):
    with app.app_context():
        session = add_session(world.mentorship_id, days=-2, held=True)
        service_user = world.get(world.mentee_rep)
        with app.test_request_context():
            service.give_feedback(service_user, world.mentorship(), fit="unsure", session=session,
                                  comment="Our mayor is losing interest", coordinators_only=True)
        db.session.commit()
    secret = "Our mayor is losing interest"
    for user, sees in ((world.mentor, False), (world.mentee_rep, True), (world.coordinator, True)):
        login(client, user)
        page = client.get(f"/mentorships/{world.mentorship_id}").get_data(as_text=True)
        assert (secret in page) is sees, user.email
        assert "Not sure" in page


# --- People and links --------------------------------------------------------------------------

def test_representatives_assign_members_of_their_own_city_only(app, client, world, make_user, make_city):
    login(client, world.mentee_rep)
    workspace_page = f"http://localhost/mentorships/{world.mentorship_id}"
    response = client.post(f"/mentorships/{world.mentorship_id}/mentors",
                           data={"side": "mentor", "mentor-user_id": str(world.mentor_rep.id)},
                           headers={"Referer": workspace_page})
    # Refused with a message (the app's ServiceError handler): back to the workspace, nothing saved.
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/mentorships/{world.mentorship_id}")
    with client.session_transaction() as flashed:
        assert any("Only a representative" in message for _kind, message in flashed.get("_flashes", []))
    with app.app_context():
        assert {m.user_id for m in db.session.get(Mentorship, world.mentorship_id).mentors} == {world.mentor.id}
    response = client.post(f"/mentorships/{world.mentorship_id}/mentors",
                           data={"side": "mentee", "mentee-user_id": str(world.outsider.id)},
                           headers={"Accept": "application/json"})
    assert response.status_code == 422  # Quito's representative is no member of Pune
    response = client.post(f"/mentorships/{world.mentorship_id}/mentors",
                           data={"side": "mentee", "mentee-user_id": str(world.mentee_rep.id)})
    with app.app_context():
        sides = {m.user_id: m.side for m in db.session.get(Mentorship, world.mentorship_id).mentors}
        assert sides == {world.mentor.id: "mentor", world.mentee_rep.id: "mentee"}


def test_an_assigned_mentor_without_city_membership_sees_the_workspace(app, client, world, make_user):
    from mentoring.models import MentorshipMentor

    guest = make_user("expert@example.org")
    with app.app_context():
        db.session.add(MentorshipMentor(mentorship_id=world.mentorship_id, user_id=guest.id, side="mentor"))
        db.session.commit()
    login(client, guest)
    assert client.get(f"/mentorships/{world.mentorship_id}").status_code == 200


def test_shared_links_accept_only_web_addresses(app, client, world):
    login(client, world.mentor)
    ok = client.post(f"/mentorships/{world.mentorship_id}/links",
                     data={"title": "Data strategy", "url": "https://lyon.example/strategy.pdf"})
    assert ok.status_code == 302
    bad = client.post(f"/mentorships/{world.mentorship_id}/links",
                      data={"title": "x", "url": "javascript:alert(1)"}, headers={"Accept": "application/json"})
    assert bad.status_code == 422
    page = client.get(f"/mentorships/{world.mentorship_id}").get_data(as_text=True)
    assert 'href="https://lyon.example/strategy.pdf"' in page and "javascript:" not in page


# --- Creating a mentorship by hand -------------------------------------------------------------

def test_a_coordinator_creates_a_mentorship_within_the_mentor_capacity(app, client, world, make_city):
    other = make_city("Kigali", "RW", region="africa")
    third = make_city("Lima", "PE", region="latin_america")
    login(client, world.coordinator)
    assert client.get("/mentorships/new").status_code == 200
    with app.app_context():
        areas = db.session.get(Mentorship, world.mentorship_id).areas
    form = {"mentor_city_id": world.mentor_city_id, "mentee_city_id": other.id, "areas": areas[:1],
            "start_date": "2026-02-01", "planned_end": "2026-11-30"}
    created = client.post("/mentorships/new", data=form)
    assert created.status_code == 302
    full = client.post("/mentorships/new", data={**form, "mentee_city_id": third.id})
    assert full.status_code == 409
    assert "Lyon has no free mentor place: 2 of 2 taken." in full.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Mentorship)) == 2
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "mentorship.create")) == 2


def test_manual_creation_needs_two_verified_distinct_cities_and_an_ordered_period(rctx, world, make_city):
    pending = make_city("Pending", "FR", status="pending")
    coordinator = world.get(world.coordinator)
    areas = world.mentorship().areas
    cases = [
        (dict(mentor_city_id=world.mentor_city_id, mentee_city_id=pending.id), "mentee_city_id"),
        (dict(mentor_city_id=world.mentor_city_id, mentee_city_id=world.mentor_city_id), "mentee_city_id"),
        (dict(mentor_city_id=world.outsider_city_id, mentee_city_id=world.mentee_city_id,
              planned_end=date(2025, 1, 1)), "planned_end"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ServiceError) as error:
            service.create_mentorship(coordinator, areas=areas, start_date=date(2026, 2, 1), **kwargs)
        assert field in error.value.errors


# --- Lists and nudges --------------------------------------------------------------------------

def test_my_mentorships_lists_only_mine_and_coordinators_filter_by_health(app, client, world, make_city):
    with app.app_context():
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        mentorship.start_date = utcnow().date() - timedelta(days=90)
        db.session.add(Goal(mentorship_id=mentorship.id, area_key=mentorship.areas[0], statement="late",
                            target_date=utcnow().date() - timedelta(days=1)))
        db.session.commit()
    login(client, world.outsider)
    assert "Pune" not in visible_text(client.get("/mentorships/"))
    login(client, world.mentee_rep)
    assert "Lyon" in client.get("/mentorships/").get_data(as_text=True)
    login(client, world.coordinator)
    page = client.get("/mentorships/?silent=1&overdue=1").get_data(as_text=True)
    assert "Silent for 30+ days" in page and "1 goal overdue" in page
    with app.app_context():
        add_session(world.mentorship_id, days=-3, held=True)
    page = client.get("/mentorships/?silent=1").get_data(as_text=True)
    assert "Pune" not in visible_text(page)
    assert "Pune" in client.get("/mentorships/?state=active").get_data(as_text=True)
    assert "Pune" not in visible_text(client.get("/mentorships/?state=completed"))


def test_the_list_does_not_query_per_row(app, client, world, make_city):
    from tests.conftest import count_queries

    cities = [make_city(f"Mentee {index}") for index in range(2)]
    login(client, world.coordinator)
    client.get("/mentorships/")
    with app.app_context():
        engine = db.engine
    with count_queries(engine) as few:
        client.get("/mentorships/")
    with app.test_request_context():
        coordinator = world.get(world.coordinator)
        for mentor_city_id, city in zip((world.outsider_city_id, world.mentor_city_id), cities):
            service.create_mentorship(coordinator, mentor_city_id=mentor_city_id, mentee_city_id=city.id,
                                      areas=world.mentorship().areas, start_date=date(2026, 2, 1))
        db.session.commit()
    with count_queries(engine) as more:
        client.get("/mentorships/")
    assert more() == few()



def test_each_row_sums_only_the_held_sessions_and_counts_open_late_goals(app, client, world):
    """Sessions held, hours and last session of a row: held sessions only (not planned or cancelled)."""
    with app.app_context():
        add_session(world.mentorship_id, days=-10, held=True, duration=90)
        add_session(world.mentorship_id, days=-40, held=True, duration=60)
        add_session(world.mentorship_id, days=-2, held=False, duration=600)  # to log: not held
        add_session(world.mentorship_id, days=5, held=False, duration=600)  # planned
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        last_held = utcnow() - timedelta(days=10)
        for status, days in (("open", -1), ("open", -5), ("achieved", -5), ("open", 30)):
            db.session.add(Goal(mentorship_id=mentorship.id, area_key=mentorship.areas[0], statement=status,
                                status=status, target_date=utcnow().date() + timedelta(days=days)))
        db.session.commit()
    login(client, world.mentee_rep)
    page = client.get("/mentorships/").get_data(as_text=True)
    with app.test_request_context():
        from mentoring.templating import day
        last = day(last_held)
    # 2 sessions held, 90 + 60 minutes, the last held 10 days ago; two open goals past their date
    assert f"Lyon → Pune Active Jan 5, 2026 2 2.5 {last} 2 goals overdue" in visible_text(page)
    assert "Silent for 30+ days" not in page


PAYLOADS = ('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "{{7*7}}")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_from_users_is_escaped_everywhere_it_is_shown(app, client, world, payload):
    from mentoring.models import SharedLink

    with app.app_context():
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        db.session.add(Goal(mentorship_id=mentorship.id, area_key=mentorship.areas[0], statement=payload))
        db.session.add(SharedLink(mentorship_id=mentorship.id, title=payload, url="https://example.org"))
        session = add_session(world.mentorship_id, days=-1, held=True, notes=payload, outcomes=payload,
                              attendees=payload, next_steps=payload)
        db.session.add(Feedback(mentorship_id=mentorship.id, session_id=session.id,
                                city_id=world.mentee_city_id, author_id=world.mentee_rep.id, fit="good",
                                comment=payload))
        mentorship.state, mentorship.outcome, mentorship.closed_at = "completed", payload, utcnow()
        db.session.commit()
    login(client, world.mentor)
    for url in (f"/mentorships/{world.mentorship_id}", f"/mentorships/{world.mentorship_id}/note",
                f"/mentorships/{world.mentorship_id}/note/print", f"/mentorships/{world.mentorship_id}/close"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, url
        if payload == "{{7*7}}":
            assert "{{7*7}}" in page, url  # shown as typed, never evaluated
