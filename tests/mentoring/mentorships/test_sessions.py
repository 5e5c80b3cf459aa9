"""Sessions: time zones across cities, the rules of planning and logging, idempotency, audit, totals."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import AuditEvent, MentoringSession, utcnow
from mentoring.services import ServiceError
from mentoring.services import workspace as service
from tests.conftest import login
from tests.mentoring.mentorships.conftest import add_session


def data(local: datetime, zone="Europe/Paris", **overrides) -> service.SessionData:
    values = dict(local_start=local, timezone=zone, duration_minutes=90, format="video")
    values.update(overrides)
    return service.SessionData(**values)


def session_count(mentorship_id) -> int:
    return db.session.scalar(select(func.count()).select_from(MentoringSession)
                             .where(MentoringSession.mentorship_id == mentorship_id))


def test_local_time_is_stored_as_utc_and_daylight_saving_is_respected(rctx):
    summer = service.local_to_utc(datetime(2026, 7, 1, 10, 0), "Europe/Paris")
    winter = service.local_to_utc(datetime(2026, 1, 15, 10, 0), "Europe/Paris")
    assert summer == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert winter == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    assert service.local_to_utc(datetime(2026, 7, 1, 10, 0), "Asia/Kolkata") == \
        datetime(2026, 7, 1, 4, 30, tzinfo=UTC)


def test_a_local_time_skipped_by_the_clock_change_is_refused(rctx):
    with pytest.raises(ServiceError) as error:
        service.local_to_utc(datetime(2026, 3, 29, 2, 30), "Europe/Paris")
    assert "starts_at" in error.value.errors
    with pytest.raises(ServiceError):
        service.local_to_utc(datetime(2026, 3, 29, 10, 0), "Mars/Olympus")


def test_each_city_sees_the_session_in_its_own_local_time(app, client, world):
    with app.app_context():
        starts = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
        db.session.add(MentoringSession(mentorship_id=world.mentorship_id, starts_at=starts,
                                        timezone="Europe/Paris", duration_minutes=60, format="video",
                                        held=True, areas=[]))
        db.session.commit()
    login(client, world.mentor)
    page = client.get(f"/mentorships/{world.mentorship_id}").get_data(as_text=True)
    assert re.search(r"10:00\s+CEST", page), "Lyon reads Paris time first"
    assert re.search(r"13:30\s+IST", page), "and Pune's time below it"
    assert page.index("CEST") < page.index("IST")
    login(client, world.mentee_rep)
    page = client.get(f"/mentorships/{world.mentorship_id}").get_data(as_text=True)
    assert page.index("13:30") < page.index("10:00"), "Pune reads its own time first"


def test_a_city_without_time_zone_reads_utc_and_is_told_so(app, client, world):
    from mentoring.models import City

    with app.app_context():
        city = db.session.get(City, world.mentee_city_id)
        city.timezone = None
        db.session.add(MentoringSession(mentorship_id=world.mentorship_id,
                                        starts_at=datetime(2026, 7, 1, 8, 0, tzinfo=UTC),
                                        timezone="Europe/Paris", duration_minutes=60, format="call",
                                        held=True, areas=[]))
        db.session.commit()
    login(client, world.mentee_rep)
    page = client.get(f"/mentorships/{world.mentorship_id}").get_data(as_text=True)
    assert "has no time zone in its profile: times are shown in UTC" in page
    assert re.search(r"08:00\s+UTC", page)


def test_the_form_defaults_to_the_viewers_city_zone(client, world):
    login(client, world.mentee_rep)
    page = client.get(f"/mentorships/{world.mentorship_id}/sessions/new?kind=plan").get_data(as_text=True)
    assert re.search(r'<option selected value="Asia/Kolkata"|<option value="Asia/Kolkata" selected', page)


def test_planning_from_the_form_stores_utc_and_redirects_to_the_workspace(app, client, world):
    login(client, world.mentor)
    local = (utcnow() + timedelta(days=10)).astimezone().replace(tzinfo=None)
    response = client.post(f"/mentorships/{world.mentorship_id}/sessions/new?kind=plan", data={
        "starts_at": f"{local.year}-{local.month:02d}-{local.day:02d}T14:00", "timezone": "Asia/Kolkata",
        "duration_minutes": "45", "format": "video", "idempotency_key": "k-plan-1",
    })
    assert response.status_code == 302
    with app.app_context():
        session = db.session.scalar(select(MentoringSession))
        local_again = session.starts_at.astimezone(service.zone_or_utc("Asia/Kolkata"))
        assert (local_again.hour, local_again.minute) == (14, 0)
        assert session.starts_at.utcoffset() == timedelta(0)
        assert session.held is False


def test_a_session_cannot_end_before_it_starts(rctx, world):
    mentorship = world.mentorship()
    actor = world.get(world.mentor)
    past = datetime(2026, 1, 20, 10, 0)
    for minutes in (0, -30):
        with pytest.raises(ServiceError) as error:
            service.record_session(actor, mentorship, data(past, duration_minutes=minutes), held=True,
                                   idempotency_key=f"k{minutes}")
        assert "duration_minutes" in error.value.errors
    assert session_count(world.mentorship_id) == 0


def test_the_form_refuses_a_negative_duration_with_a_field_message(client, world):
    login(client, world.mentor)
    response = client.post(f"/mentorships/{world.mentorship_id}/sessions/new?kind=log", data={
        "starts_at": "2026-01-20T10:00", "timezone": "Europe/Paris", "duration_minutes": "-5",
        "format": "video", "idempotency_key": "neg",
    })
    assert response.status_code == 422
    assert "A session lasts from 1 minute to two weeks." in response.get_data(as_text=True)


def test_plan_is_for_the_future_and_log_for_the_past(rctx, world):
    mentorship, actor = world.mentorship(), world.get(world.mentor)
    now = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
    with pytest.raises(ServiceError) as error:
        service.record_session(actor, mentorship, data(datetime(2026, 3, 1, 10, 0)), held=True,
                               idempotency_key="a", now=now)
    assert "starts_at" in error.value.errors
    with pytest.raises(ServiceError):
        service.record_session(actor, mentorship, data(datetime(2026, 1, 1, 10, 0)), held=False,
                               idempotency_key="b", now=now)


def test_a_study_visit_says_who_travelled_where(rctx, world):
    mentorship, actor = world.mentorship(), world.get(world.mentor)
    with pytest.raises(ServiceError) as error:
        service.record_session(actor, mentorship, data(datetime(2026, 1, 20, 10), format="study_visit"),
                               held=True, idempotency_key="sv")
    assert "travel" in error.value.errors
    session, created = service.record_session(
        actor, mentorship, data(datetime(2026, 1, 20, 10), format="study_visit",
                                travel="Two officials of Pune visited Lyon"), held=True, idempotency_key="sv2")
    assert created and session.travel == "Two officials of Pune visited Lyon"


def test_logging_twice_with_one_key_creates_one_session(app, client, world):
    login(client, world.mentor)
    form = {"starts_at": "2026-01-20T10:00", "timezone": "Europe/Paris", "duration_minutes": "60",
            "format": "workshop", "idempotency_key": "same-key", "outcomes": "A data inventory"}
    first = client.post(f"/mentorships/{world.mentorship_id}/sessions/new?kind=log", data=form)
    second = client.post(f"/mentorships/{world.mentorship_id}/sessions/new?kind=log", data=form)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert session_count(world.mentorship_id) == 1
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "session.log")) == 1
    json_again = client.post(f"/mentorships/{world.mentorship_id}/sessions/new?kind=log", data=form,
                             headers={"Accept": "application/json"})
    assert json_again.status_code == 200 and json_again.get_json()["created"] is False


def test_a_race_on_the_same_key_returns_the_row_of_the_winner(rctx, world, monkeypatch):
    """The other request inserted first; our pre-check missed it: the unique constraint decides."""
    mentorship, actor = world.mentorship(), world.get(world.mentor)
    winner = add_session(world.mentorship_id, days=-3, held=True, key="race-key")
    original = service.find_by_idempotency_key
    calls = {"n": 0}

    def missed_first(m, key):
        calls["n"] += 1
        return None if calls["n"] == 1 else original(m, key)

    monkeypatch.setattr(service, "find_by_idempotency_key", missed_first)
    session, created = service.record_session(actor, mentorship, data(datetime(2026, 1, 20, 10)),
                                              held=True, idempotency_key="race-key")
    assert (session.id, created) == (winner.id, False)
    db.session.commit()  # the transaction is still usable after the rolled-back savepoint
    assert session_count(world.mentorship_id) == 1


def test_edits_are_audited_with_before_and_after(rctx, world):
    mentorship, actor = world.mentorship(), world.get(world.mentor)
    session, _ = service.record_session(actor, mentorship, data(datetime(2026, 1, 20, 10)), held=True,
                                        idempotency_key="e1")
    db.session.commit()
    service.update_session(actor, session, data(datetime(2026, 1, 20, 10), duration_minutes=120,
                                                outcomes="Open data portal plan"), held=True,
                           version=session.version)
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "session.update"))
    assert event.before == {"duration_minutes": 90, "outcomes": ""}
    assert event.after == {"duration_minutes": 120, "outcomes": "Open data portal plan"}
    assert event.actor_id == actor.id


def test_a_stale_edit_is_refused(rctx, world):
    from mentoring.services import Conflict

    mentorship, actor = world.mentorship(), world.get(world.mentor)
    session, _ = service.record_session(actor, mentorship, data(datetime(2026, 1, 20, 10)), held=True,
                                        idempotency_key="v1")
    db.session.commit()
    with pytest.raises(Conflict):
        service.update_session(actor, session, data(datetime(2026, 1, 20, 10)), held=True,
                               version=session.version - 1)


def test_a_planned_session_is_logged_as_held_through_the_edit_form(app, client, world):
    with app.app_context():
        session = add_session(world.mentorship_id, days=-1, held=False, notes="agenda")
        session_id = session.id
        local = session.starts_at.astimezone(service.zone_or_utc("Europe/Paris"))
    login(client, world.mentee_rep)
    response = client.post(f"/mentorships/{world.mentorship_id}/sessions/{session_id}/edit?log=1", data={
        "starts_at": local.strftime("%Y-%m-%dT%H:%M"), "timezone": "Europe/Paris", "duration_minutes": "60",
        "format": "video", "outcomes": "Agreed a roadmap", "version": "1"})
    assert response.status_code == 302
    with app.app_context():
        session = db.session.get(MentoringSession, session_id)
        assert session.held and session.outcomes == "Agreed a roadmap"
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_id == str(session_id))
                                 .order_by(AuditEvent.id.desc())) == "session.log"


def test_totals_count_held_sessions_hours_and_study_visits(rctx, world):
    add_session(world.mentorship_id, days=-20, held=True, duration=90)
    add_session(world.mentorship_id, days=-10, held=True, duration=3 * 24 * 60, fmt="study_visit",
                travel="Pune to Lyon")
    add_session(world.mentorship_id, days=5, held=False, duration=60)
    totals = service.totals(world.mentorship())
    assert (totals.sessions_held, totals.hours, totals.study_visits, totals.planned) == (2, 73.5, 1, 1)


def test_only_planned_sessions_can_be_cancelled(rctx, world):
    from mentoring.services import NotAllowed

    actor = world.get(world.mentor)
    held = add_session(world.mentorship_id, days=-2, held=True)
    planned = add_session(world.mentorship_id, days=2, held=False)
    with pytest.raises(NotAllowed):
        service.cancel_session(actor, held)
    service.cancel_session(actor, planned)
    db.session.commit()
    # Kept (calendars need its CANCEL) but no longer planned.
    assert session_count(world.mentorship_id) == 2
    assert db.session.get(type(planned), planned.id).cancelled_at is not None
    assert service.totals(world.mentorship()).planned == 0
