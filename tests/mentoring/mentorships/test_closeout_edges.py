"""Close-out's rough edges: what became of open goals, "no change" re-assessments, sessions before the
start, the named rating scale, and the Peer-Learning Note's levels and session notes."""
from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import Assessment, AuditEvent, CapabilityArea, Goal, Mentorship
from mentoring.services import ServiceError
from mentoring.services import workspace as service
from tests.conftest import login
from tests.html import find, texts
from tests.mentoring.mentorships.conftest import add_session


def _goals(app, world, *statements):
    with app.app_context(), app.test_request_context():
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        ids = [service.add_goal(world.get(world.mentor), mentorship, area_key=mentorship.areas[0],
                                statement=s).id for s in statements]
        db.session.commit()
        return ids


def _close(client, world, **data):
    return client.post(f"/mentorships/{world.mentorship_id}/close",
                       data={"version": "1", "submit": "1", **data})


def test_completing_asks_what_became_of_each_open_goal_and_records_it(app, client, world):
    portal, training = _goals(app, world, "Open a data portal", "Train 30 officials")
    login(client, world.mentor_rep)
    form = client.get(f"/mentorships/{world.mentorship_id}/close").get_data(as_text=True)
    legends = texts(form, ".ms-closing-goals legend")
    assert any("Open a data portal" in legend for legend in legends) and len(legends) == 2
    assert texts(form, f"label[for=goal-{portal}-partly]") == ["Partly achieved"]
    assert [e.attrs["value"] for e in find(form, f"input[name=goal-{portal}]")] == \
        ["achieved", "partly", "not_achieved", "dropped"]
    refused = _close(client, world, state="completed", **{f"goal-{portal}": "partly"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert texts(page, f"#goal-{training}-error li") == ["Say what became of this goal."]
    assert find(page, f"#goal-{portal}-partly")[0].attrs.get("checked") is not None  # the answer is kept
    with app.app_context():
        assert db.session.get(Mentorship, world.mentorship_id).state == "active"
    done = _close(client, world, state="completed", **{f"goal-{portal}": "achieved", f"goal-{training}": "partly"})
    assert done.status_code == 302
    with app.app_context():
        goals = {g.id: g for g in db.session.scalars(select(Goal))}
        assert (goals[portal].status, goals[portal].progress) == ("achieved", 100)
        assert (goals[training].status, goals[training].progress) == ("partly", 0)
        assert [h.status for h in goals[training].history] == ["open", "partly"]
        assert db.session.scalars(select(AuditEvent.after).where(AuditEvent.action == "goal.close")).all() == [
            {"progress": 100, "status": "achieved"}, {"progress": 0, "status": "partly"}]
    shown = client.get(f"/mentorships/{world.mentorship_id}").get_data(as_text=True)
    assert "Partly achieved" in shown


def test_a_withdrawal_drops_the_goals_it_says_nothing_about(app, client, world):
    kept, left = _goals(app, world, "Adopt a strategy", "Publish budgets")
    login(client, world.mentee_rep)
    response = _close(client, world, state="withdrawn", reason="New council", **{f"goal-{kept}": "not_achieved"})
    assert response.status_code == 302
    with app.app_context():
        assert {g.id: g.status for g in db.session.scalars(select(Goal))} == {kept: "not_achieved", left: "dropped"}


def test_an_unknown_goal_outcome_is_a_field_error(rctx, world):
    mentorship = world.mentorship()
    goal = service.add_goal(world.get(world.mentor), mentorship, area_key=mentorship.areas[0], statement="x")
    with pytest.raises(ServiceError) as error:
        service.close(world.get(world.mentor), mentorship, state="completed", goals={goal.id: "open"})
    assert list(error.value.errors) == [f"goal-{goal.id}"]


def test_no_change_is_recorded_as_no_change_not_as_not_reassessed(app, client, world):
    with app.app_context():
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        first, second = [db.session.scalar(select(CapabilityArea).where(CapabilityArea.key == k))
                         for k in mentorship.areas]
        db.session.add(Assessment(city_id=world.mentee_city_id, area_id=first.id, maturity=2, need=3))
        db.session.commit()
        keys = (first.key, second.key)
    login(client, world.mentee_rep)
    _close(client, world, state="completed")
    # "— no change —" for the first area; the second has no earlier level, so it stays not re-assessed.
    done = client.post(f"/mentorships/{world.mentorship_id}/reassess", data={f"level-{k}": "" for k in keys})
    assert done.status_code == 302
    with app.app_context():
        rows = service.maturity_before_after(db.session.get(Mentorship, world.mentorship_id))
        assert [(r["before"], r["after"]) for r in rows] == [(2, 2), (None, None)]
        latest = db.session.scalar(select(Assessment).where(Assessment.is_current, Assessment.area_id == first.id))
        assert latest.evidence.endswith(": no change.") and latest.need == 3
    page = client.get(f"/mentorships/{world.mentorship_id}/close").get_data(as_text=True)
    rows = find(page, "section[aria-labelledby=reassess-title] tbody tr")
    changes = [[cell for cell in row.children if getattr(cell, "tag", "") == "td"][-1].text for row in rows]
    assert changes == ["no change", "not re-assessed yet"]
    # Saying "no change" again does not add another row.
    client.post(f"/mentorships/{world.mentorship_id}/reassess", data={f"level-{keys[0]}": ""})
    with app.app_context():
        assert len(db.session.scalars(select(Assessment).where(Assessment.area_id == first.id)).all()) == 2


def test_a_session_before_the_mentorship_started_is_refused_on_its_field(client, world):
    login(client, world.mentor)  # the mentorship started on 5 January 2026
    response = client.post(f"/mentorships/{world.mentorship_id}/sessions/new?kind=log", data={
        "starts_at": "2026-01-02T10:00", "timezone": "Europe/Paris", "duration_minutes": "60",
        "format": "video", "idempotency_key": "early"})
    assert response.status_code == 422
    assert texts(response.get_data(as_text=True), "#starts_at-error li") == [
        "A session cannot be before the mentorship started (Jan 5, 2026)."]
    on_the_day = client.post(f"/mentorships/{world.mentorship_id}/sessions/new?kind=log", data={
        "starts_at": "2026-01-05T09:00", "timezone": "Europe/Paris", "duration_minutes": "60",
        "format": "video", "idempotency_key": "first-day"})
    assert on_the_day.status_code == 302


@pytest.mark.parametrize("lang, first, last", [("en", "1 · Poor", "5 · Excellent"),
                                               ("fr", "1 · Insuffisant", "5 · Excellent"),
                                               ("es", "1 · Deficiente", "5 · Excelente")])
def test_the_rating_is_five_labelled_radio_buttons(client, world, lang, first, last):
    login(client, world.mentee_rep)
    page = client.get(f"/mentorships/{world.mentorship_id}/close", headers={"Accept-Language": lang})
    html = page.get_data(as_text=True)
    radios = find(html, "input[name=final-rating]")
    assert [r.attrs["type"] for r in radios] == ["radio"] * 5
    labels = [texts(html, f"label[for={r.attrs['id']}]")[0] for r in radios]
    assert labels[0] == first and labels[-1] == last


def test_the_note_has_the_mentees_levels_before_and_after_and_the_sessions_notes(app, client, world):
    with app.app_context():
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        area = db.session.scalar(select(CapabilityArea).where(CapabilityArea.key == mentorship.areas[0]))
        db.session.add(Assessment(city_id=world.mentee_city_id, area_id=area.id, maturity=1, need=3))
        db.session.commit()
        add_session(world.mentorship_id, days=-5, held=True, notes="Walked through the data inventory")
        label = area.labels["en"]
    login(client, world.mentee_rep)
    _close(client, world, state="completed")
    client.post(f"/mentorships/{world.mentorship_id}/reassess", data={f"level-{area.key}": "3"})
    note = find(client.get(f"/mentorships/{world.mentorship_id}/note").get_data(as_text=True), "textarea")[0].text
    assert "Maturity of Pune before → after (levels 0 to 4):" in note
    assert f"- {label}: 1 → 3" in note
    assert "Walked through the data inventory" in note


def test_levels_before_and_after_are_one_rule():
    def a(day, level):
        return SimpleNamespace(assessed_at=datetime(2026, 1, day, tzinfo=UTC), maturity=level)

    closed = datetime(2026, 1, 10, tzinfo=UTC)
    history = [a(1, 1), a(5, 2), a(10, 3), a(20, 4)]
    assert rules.levels_before_after(history, closed) == (2, 3)
    assert rules.levels_before_after(history, None) == (4, None)
    assert rules.levels_before_after([], closed) == (None, None)
