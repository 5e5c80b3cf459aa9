"""``flask mentorships remind``: sessions in the next 48 hours and silent mentorships, never twice."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import Mentorship, OutboxMessage, ReminderSent, utcnow
from tests.mentoring.mentorships.conftest import add_session


def _outbox(app):
    with app.app_context():
        return [(m.recipient, m.subject) for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_reminders_for_upcoming_sessions_are_sent_once(app, runner, world):
    with app.app_context():
        add_session(world.mentorship_id, days=1, held=False)  # in 24 hours: reminded
        add_session(world.mentorship_id, days=4, held=False)  # in 4 days: not yet
        add_session(world.mentorship_id, days=-1, held=True)  # the mentorship is not silent
    first = runner.invoke(args=["mentorships", "remind"])
    assert first.exit_code == 0, first.output
    assert "Session reminders: 1; silent mentorships: 0" in first.output
    sent = _outbox(app)
    # Lyon's assigned mentor, and Pune's representative (nobody is assigned on Pune's side).
    assert sorted(r for r, _ in sent) == ["mentor@lyon.example", "rep@pune.example"]
    second = runner.invoke(args=["mentorships", "remind"])
    assert "Session reminders: 0; silent mentorships: 0; messages sent: 0" in second.output
    assert _outbox(app) == sent


def test_a_silent_mentorship_is_reminded_once_per_silence(app, runner, world):
    with app.app_context():
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        mentorship.start_date = utcnow().date() - timedelta(days=120)
        db.session.commit()
        add_session(world.mentorship_id, days=-45, held=True)
    assert "silent mentorships: 1" in runner.invoke(args=["mentorships", "remind"]).output
    assert "silent mentorships: 0" in runner.invoke(args=["mentorships", "remind"]).output
    with app.app_context():
        keys = list(db.session.scalars(select(ReminderSent.key)))
        assert len(keys) == 1 and keys[0].startswith(f"silent:{world.mentorship_id}:")
        # A new session and a new silence later: a new event, a new reminder.
        add_session(world.mentorship_id, days=-35, held=True)
    assert "silent mentorships: 1" in runner.invoke(args=["mentorships", "remind"]).output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 2


def test_closed_mentorships_are_not_reminded(app, runner, world):
    with app.app_context():
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        mentorship.start_date = utcnow().date() - timedelta(days=120)
        mentorship.state = "withdrawn"
        db.session.commit()
        add_session(world.mentorship_id, days=1, held=False)
    output = runner.invoke(args=["mentorships", "remind"]).output
    assert "Session reminders: 0; silent mentorships: 0" in output


def test_a_reminder_links_to_the_mentorship_with_an_absolute_address(app, runner, world):
    """Sent from cron, outside any request: the link is built from PUBLIC_URL, never left empty."""
    app.config["PUBLIC_URL"] = "https://mentoring.example.org"
    with app.app_context():
        session_id = add_session(world.mentorship_id, days=1, held=False).id
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        mentorship.start_date = utcnow().date() - timedelta(days=120)
        db.session.commit()
    result = runner.invoke(args=["mentorships", "remind"])
    assert "Session reminders: 1; silent mentorships: 1" in result.output, result.output
    with app.app_context():
        bodies = list(db.session.scalars(select(OutboxMessage.body)))
    workspace = f"https://mentoring.example.org/mentorships/{world.mentorship_id}"
    # The link line comes before the footer (preferences and unsubscribe, absolute too).
    links = [line.split(": ", 1)[1] for body in bodies for line in body.splitlines()
             if line.startswith("Open the workspace: ")]
    assert len(links) == len(bodies) and all(link.startswith(workspace) for link in links)
    assert f"{workspace}#session-{session_id}" in links
    assert all("https://mentoring.example.org/people/unsubscribe/" in body for body in bodies)
