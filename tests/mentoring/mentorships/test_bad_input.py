"""Bad input never crashes the workspace forms: field messages or a refusal, never a 5xx."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import MentoringSession
from tests.conftest import login

text = st.one_of(st.text(max_size=40), st.sampled_from(["", "-1", "0", "99999999999", "2026-02-30T10:00",
                                                        "2026-03-29T02:30", "Europe/Paris", "Mars/Olympus",
                                                        "study_visit", "video", "\x00", "<script>"]))
session_forms = st.fixed_dictionaries({}, optional={
    name: text for name in ("starts_at", "timezone", "duration_minutes", "format", "travel", "areas",
                            "attendees", "notes", "outcomes", "next_steps", "idempotency_key", "version")
})
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(form=session_forms, kind=st.sampled_from(["plan", "log"]))
def test_the_session_form_answers_every_input_without_crashing(app, world, form, kind):
    client = app.test_client()
    login(client, world.mentor)
    before = _sessions(app)
    response = client.post(f"/mentorships/{world.mentorship_id}/sessions/new?kind={kind}", data=form)
    assert response.status_code in (200, 302, 400, 409, 422), response.status_code
    if response.status_code != 302:
        assert _sessions(app) == before, "nothing half-saved"


def _sessions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(MentoringSession))


other_forms = st.fixed_dictionaries({}, optional={
    name: text for name in ("fit", "comment", "coordinators_only", "progress", "status", "target_date",
                            "statement", "area_key", "title", "url", "state", "reason", "outcome",
                            "markdown", "side", "mentor-user_id", "final-rating", "final-fit")
})


@FAST
@given(form=other_forms, target=st.sampled_from(["goals", "links", "close", "close/feedback", "mentors",
                                                 "reassess", "note"]))
def test_the_other_workspace_forms_answer_every_input_without_crashing(app, world, form, target):
    client = app.test_client()
    login(client, world.mentee_rep)
    response = client.post(f"/mentorships/{world.mentorship_id}/{target}", data=form)
    assert response.status_code < 500, (target, response.status_code)
