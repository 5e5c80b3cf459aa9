"""A mentor plans a session, logs one, updates a goal and gives feedback, in Chromium (EN and FR)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from mentoring.extensions import db
from mentoring.models import City, CityLanguage, CityMember, User, utcnow
from mentoring.security import hash_password
from tests.e2e.conftest import screenshot

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def mentorship_id(live_app):
    from mentoring.services import workspace as service
    from mentoring.services.taxonomy import active_areas

    with live_app.test_request_context():
        coordinator = User(email="coord@e2e.example", name="Cora Coordinator", role="coordinator",
                           password_hash=hash_password(PASSWORD), email_confirmed_at=utcnow())
        mentor = User(email="mentor@lyon.e2e", name="Marc Dubois", password_hash=hash_password(PASSWORD),
                      email_confirmed_at=utcnow())
        mentee = User(email="rep@pune.e2e", name="Priya Sharma", password_hash=hash_password(PASSWORD),
                      email_confirmed_at=utcnow())
        lyon = City(name="Lyon", country="FR", region="europe", status="verified", mentor_capacity=2,
                    timezone="Europe/Paris", languages=[CityLanguage(code="fr"), CityLanguage(code="en", position=1)])
        pune = City(name="Pune", country="IN", region="asia_pacific", status="verified", timezone="Asia/Kolkata",
                    languages=[CityLanguage(code="en")])
        db.session.add_all([coordinator, mentor, mentee, lyon, pune])
        db.session.flush()
        db.session.add_all([CityMember(city_id=lyon.id, user_id=mentor.id, role="mentor"),
                            CityMember(city_id=pune.id, user_id=mentee.id, role="representative")])
        areas = [a.key for a in active_areas()[:2]]
        mentorship = service.create_mentorship(coordinator, mentor_city_id=lyon.id, mentee_city_id=pune.id,
                                               areas=areas, start_date=date.today() - timedelta(days=40),
                                               planned_end=date.today() + timedelta(days=200))
        service.assign_mentor(coordinator, mentorship, "mentor", mentor.id)
        service.assign_mentor(coordinator, mentorship, "mentee", mentee.id)
        db.session.commit()
        return mentorship.id


def submit(page, action) -> None:
    """Run ``action`` (a click that submits a form or follows a link) and wait for the next page."""
    with page.expect_navigation():
        action()
    page.wait_for_load_state("networkidle")


def sign_in(page, base, email):
    page.goto(base + "/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    submit(page, lambda: page.click("button[type=submit], input[type=submit]"))
    assert page.locator("text=Sign out").is_visible()


def test_a_mentor_plans_logs_updates_a_goal_and_gives_feedback(live_server, page, mentorship_id):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, "mentor@lyon.e2e")
    workspace = f"{live_server}/mentorships/{mentorship_id}"
    page.goto(workspace)
    assert "Lyon mentors Pune" in page.locator("h1").inner_text()

    # A goal for the first focus area (the form is open while there is none).
    page.fill("#statement", "Publish 20 open datasets with a common licence")
    page.fill("#target_date", (date.today() + timedelta(days=120)).isoformat())
    submit(page, lambda: page.click("text=Add goal"))
    assert page.locator(".ms-goal").count() == 1

    # Plan a session next week, at 14:00 in Pune's time zone.
    submit(page, lambda: page.click("text=Plan a session"))
    assert page.locator("#timezone").input_value() == "Europe/Paris"  # Lyon's zone by default
    next_week = date.today() + timedelta(days=7)
    page.fill("#starts_at", f"{next_week.isoformat()}T14:00")
    page.select_option("#timezone", "Asia/Kolkata")
    page.fill("#duration_minutes", "60")
    page.select_option("#format", "video")
    assert not page.locator(".ms-travel").is_visible()  # only for study visits
    page.fill("#attendees", "Marc Dubois (Lyon)\nPriya Sharma (Pune)")
    page.fill("#next_steps", "Agree the dataset list")
    submit(page, lambda: page.click("button:has-text('Plan session')"))
    planned = page.locator(".ms-session--planned")
    assert planned.count() == 1
    # 14:00 in Pune is 09:30 (winter) or 10:30 (summer) in Lyon; Lyon's mentor reads Lyon time first.
    assert "14:00 IST" in planned.inner_text()
    assert "CET" in planned.inner_text() or "CEST" in planned.inner_text()

    # Log the study visit that took place last week.
    submit(page, lambda: page.click("text=Log a past session"))
    last_week = date.today() - timedelta(days=6)
    page.fill("#starts_at", f"{last_week.isoformat()}T09:00")
    page.fill("#duration_minutes", "480")
    page.select_option("#format", "study_visit")
    assert page.locator(".ms-travel").is_visible()
    page.fill("#travel", "Two officials of Pune visited Lyon's data office")
    page.fill("#outcomes", "Inventory of 40 candidate datasets; licence chosen")
    page.fill("#next_steps", "Pune drafts its open data policy")
    submit(page, lambda: page.click("button:has-text('Log session')"))
    assert page.locator(".stat__value").first.inner_text() == "1"
    assert "Two officials of Pune" in page.content()

    # Update the goal's progress.
    page.click(".ms-goal summary:has-text('Update progress')")
    goal_form = page.locator(".ms-goal form")
    goal_form.locator("input[type=number]").fill("60")
    submit(page, goal_form.locator("button, input[type=submit]").click)
    assert "60" in page.locator(".ms-progress__value").inner_text()

    # Quick fit check after the study visit.
    page.click("summary:has-text('Quick fit check')")
    page.locator(".ms-feedback-form input[value=good]").check()
    page.locator(".ms-feedback-form textarea").fill("Very concrete exchange.")
    submit(page, page.locator(".ms-feedback-form button[type=submit], .ms-feedback-form input[type=submit]").click)
    assert "Thank you for your feedback." in page.content()
    assert page.locator(".ms-feedback .ms-fit--good").count() == 1

    page.goto(workspace)
    screenshot(page, "workspace-en")
    submit(page, lambda: page.select_option("#lang-select", "fr"))
    assert page.locator("html").get_attribute("lang") == "fr"
    screenshot(page, "workspace-fr")
    assert problems == []


def test_the_mentee_reads_the_session_in_pune_time(live_server, page, mentorship_id):
    sign_in(page, live_server, "rep@pune.e2e")
    page.goto(f"{live_server}/mentorships/{mentorship_id}")
    planned = page.locator(".ms-session--planned")
    if planned.count():
        first_line = planned.locator(".ms-session__when").inner_text()
        assert "IST" in first_line
    page.goto(f"{live_server}/mentorships/{mentorship_id}/sessions/new?kind=plan")
    assert page.locator("#timezone").input_value() == "Asia/Kolkata"


def test_coordinator_list_form_pages_and_close_out(live_server, page, mentorship_id):
    """The other pages of the workspace, looked at in a browser (runs last: it closes the mentorship)."""
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, "coord@e2e.example")
    page.goto(f"{live_server}/mentorships/")
    assert "Lyon" in page.locator("table").inner_text()
    screenshot(page, "mentorships-list")
    page.goto(f"{live_server}/mentorships/new")
    screenshot(page, "mentorship-new")
    page.goto(f"{live_server}/mentorships/{mentorship_id}/sessions/new?kind=log")
    page.select_option("#format", "study_visit")
    screenshot(page, "session-form")
    page.fill("#duration_minutes", "0")
    submit(page, lambda: page.click("button:has-text('Log session')"))
    assert page.locator(".field--invalid").count() >= 2  # date and duration
    screenshot(page, "session-form-errors")
    submit(page, lambda: page.click("text=Sign out"))
    sign_in(page, live_server, "rep@pune.e2e")
    page.goto(f"{live_server}/mentorships/{mentorship_id}/close")
    screenshot(page, "close-form")
    page.check("input[value=completed]")
    goals = page.locator(".ms-closing-goals fieldset")  # what became of the goal still open
    assert goals.count() == 1
    goals.first.get_by_label("Partly achieved").check()
    page.fill("#outcome", "Pune adopted an open data policy and published 25 datasets.")
    page.once("dialog", lambda dialog: dialog.accept())
    submit(page, lambda: page.click("#submit"))
    assert "The mentorship is closed." in page.content()
    page.check("#final-rating-4")
    page.check("#final-fit-0")
    page.fill("#final-comment", "A committed and generous partner.")
    submit(page, lambda: page.click("#final-submit"))
    selects = page.locator("select[name^=level-]")
    for index in range(selects.count()):
        selects.nth(index).select_option(str(3 - index))
    submit(page, lambda: page.click("text=Save the new levels"))
    screenshot(page, "close-out")
    page.goto(f"{live_server}/mentorships/{mentorship_id}/note")
    assert "Publish 20 open datasets" in page.locator("textarea").input_value()
    assert "(Partly achieved, 60 %)" in page.locator("textarea").input_value()
    screenshot(page, "learning-note")
    submit(page, lambda: page.click("text=Publish to the programme"))
    page.goto(f"{live_server}/mentorships/notes")
    assert "Lyon" in page.locator("main").inner_text()
    screenshot(page, "notes")
    page.goto(f"{live_server}/mentorships/{mentorship_id}/note/print")
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible()
    screenshot(page, "learning-note-print")
    page.emulate_media(media="screen")
    page.goto(f"{live_server}/mentorships/{mentorship_id}")
    screenshot(page, "workspace-closed")
    page.goto(f"{live_server}/mentorships/calendar")
    submit(page, lambda: page.click("text=Create my calendar address"))
    feed = page.locator("#feed-url").input_value()
    assert feed.endswith(".ics")
    screenshot(page, "calendar-feed")
    # The form sent with mistakes on purpose answers 422; nothing else may complain (CSP, scripts).
    assert [p for p in problems if "status of 422" not in p] == []
