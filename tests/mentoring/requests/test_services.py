"""Requests between cities follow the programme's rules (both databases)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import MentorRequest, Mentorship, utcnow
from mentoring.services import NotAllowed, ServiceError, preferences
from mentoring.services import requests as service


def _ask(as_user, world, mentee, mentor, areas=("open_data",), **kwargs):
    return as_user(world.reps[mentee], service.create, mentee_city_id=world.cities[mentee].id,
                   mentor_city_id=world.cities[mentor].id, areas=list(areas), **kwargs)


def test_request_accept_approve_starts_a_mentorship_on_the_place_the_request_held(app, world, coordinator, as_user):
    lyon = world.cities["Lyon"]
    request_id = _ask(as_user, world, "Dakar", "Lyon", message="We would like to open our data.")
    with app.app_context():
        assert rules.places_used(lyon.id) == 0
    as_user(world.reps["Lyon"], service.accept, request_id)
    with app.app_context():
        assert rules.places_used(lyon.id) == 1  # the accepted request holds a place
        assert db.session.get(MentorRequest, request_id).state == "accepted"
    as_user(coordinator, service.approve, request_id)
    with app.app_context():
        request_ = db.session.get(MentorRequest, request_id)
        mentorship = db.session.get(Mentorship, request_.mentorship_id)
        assert request_.state == "approved"
        assert (mentorship.mentor_city_id, mentorship.mentee_city_id, mentorship.state) == (
            lyon.id, world.cities["Dakar"].id, "active")
        assert mentorship.areas == ["open_data"]
        assert rules.places_used(lyon.id) == 1  # the same place, not a second one


def test_focus_areas_must_be_ones_the_mentor_can_mentor(app, world, as_user):
    with pytest.raises(ServiceError) as refused:
        _ask(as_user, world, "Dakar", "Lyon", areas=["online_services"])  # Lyon is at level 2 there
    assert "areas" in refused.value.errors


def test_a_shared_language_is_required_unless_waived_and_a_waiver_needs_a_coordinator(app, world, coordinator,
                                                                                        as_user):
    app.config["MENTOR_REQUESTS_START_DIRECTLY"] = True
    with pytest.raises(ServiceError) as refused:
        _ask(as_user, world, "Lima", "Lyon")  # Lima speaks Spanish only, Lyon French and English
    assert "language_waived" in refused.value.errors
    request_id = _ask(as_user, world, "Lima", "Lyon", language_waived=True)
    as_user(world.reps["Lyon"], service.accept, request_id)
    with app.app_context():
        # Direct start is on, but a waived language rule still needs a coordinator.
        assert db.session.get(MentorRequest, request_id).state == "accepted"


def test_the_programme_setting_lets_accepted_requests_start_directly(app, world, as_user):
    app.config["MENTOR_REQUESTS_START_DIRECTLY"] = True
    request_id = _ask(as_user, world, "Dakar", "Lyon")
    as_user(world.reps["Lyon"], service.accept, request_id)
    with app.app_context():
        request_ = db.session.get(MentorRequest, request_id)
        assert request_.state == "approved" and request_.decided_by_id is None
        assert db.session.get(Mentorship, request_.mentorship_id).state == "active"


@pytest.mark.parametrize("who_avoids", ["Dakar", "Lyon"])
def test_an_avoid_list_excludes_the_pair_both_ways(app, world, as_user, who_avoids):
    other = "Lyon" if who_avoids == "Dakar" else "Dakar"
    with app.app_context():
        city = db.session.get(type(world.cities[who_avoids]), world.cities[who_avoids].id)
        preferences.save(None, city, avoided_city_ids=[world.cities[other].id])
        db.session.commit()
    with pytest.raises(ServiceError) as refused:
        _ask(as_user, world, "Dakar", "Lyon")
    assert "asked not to be paired" in refused.value.errors["mentor_city_id"][0]


def test_a_pair_that_already_had_a_mentorship_is_excluded(app, world, coordinator, as_user):
    request_id = _ask(as_user, world, "Dakar", "Lyon")
    as_user(world.reps["Lyon"], service.accept, request_id)
    as_user(coordinator, service.approve, request_id)
    with pytest.raises(ServiceError) as refused:
        _ask(as_user, world, "Dakar", "Lyon")
    messages = " ".join(m for ms in refused.value.errors.values() for m in ms)
    assert "already had a mentorship" in messages


def test_a_mentee_gets_one_mentor_even_with_requests_to_two(app, world, as_user):
    first = _ask(as_user, world, "Dakar", "Lyon")
    second = _ask(as_user, world, "Dakar", "Barcelona")  # both share English with Dakar
    as_user(world.reps["Lyon"], service.accept, first)
    with pytest.raises(NotAllowed) as refused:
        as_user(world.reps["Barcelona"], service.accept, second)
    assert "already has a mentor" in refused.value.message
    with app.app_context():
        assert db.session.get(MentorRequest, second).state == "requested"


def test_accepting_beyond_the_mentors_places_is_refused_by_the_one_capacity_rule(app, world, as_user):
    # Barcelona has one place; Dakar (English) and Tunis (interpretation) both ask.
    dakar = _ask(as_user, world, "Dakar", "Barcelona")
    tunis = _ask(as_user, world, "Tunis", "Barcelona", language_waived=True)
    as_user(world.reps["Barcelona"], service.accept, dakar)
    with pytest.raises(NotAllowed) as refused:
        as_user(world.reps["Barcelona"], service.accept, tunis)
    assert "no free mentor place" in refused.value.message
    with pytest.raises(ServiceError):  # and a new request is told at once
        _ask(as_user, world, "Lima", "Barcelona")


def test_only_the_mentor_city_answers_and_only_coordinators_decide(app, world, coordinator, as_user):
    request_id = _ask(as_user, world, "Dakar", "Lyon")
    with pytest.raises(NotAllowed):
        as_user(world.reps["Dakar"], service.accept, request_id)
    with pytest.raises(NotAllowed):
        as_user(world.reps["Lyon"], service.approve, request_id)
    with pytest.raises(NotAllowed):  # a coordinator cannot approve before the mentor city accepts
        as_user(coordinator, service.approve, request_id)
    as_user(world.reps["Lyon"], service.decline, request_id, reason="No time this year.")
    with app.app_context():
        request_ = db.session.get(MentorRequest, request_id)
        assert (request_.state, request_.response_reason) == ("declined", "No time this year.")
    with pytest.raises(NotAllowed):  # a declined request is closed
        as_user(world.reps["Lyon"], service.accept, request_id)


def test_stale_versions_are_refused(app, world, as_user):
    request_id = _ask(as_user, world, "Dakar", "Lyon")
    with pytest.raises(ServiceError):
        as_user(world.reps["Lyon"], service.accept, request_id, version=99)


def test_open_requests_expire_and_release_their_place(app, world, as_user):
    request_id = _ask(as_user, world, "Dakar", "Lyon")
    as_user(world.reps["Lyon"], service.accept, request_id)
    with app.app_context():
        request_ = db.session.get(MentorRequest, request_id)
        request_.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        assert service.effective_state(request_) == "expired"
        assert rules.places_used(world.cities["Lyon"].id) == 0
        assert service.open_requests() == []
        assert service.expire_overdue() == 1
        db.session.commit()
        assert db.session.get(MentorRequest, request_id).state == "expired"
    with pytest.raises(NotAllowed):
        as_user(world.reps["Lyon"], service.accept, request_id)
    # The mentee may ask again.
    assert _ask(as_user, world, "Dakar", "Lyon")


def test_the_mentee_city_can_withdraw_and_then_ask_again(app, world, as_user):
    request_id = _ask(as_user, world, "Dakar", "Lyon")
    with pytest.raises(ServiceError):  # one open request per pair
        _ask(as_user, world, "Dakar", "Lyon")
    as_user(world.reps["Dakar"], service.withdraw, request_id)
    assert _ask(as_user, world, "Dakar", "Lyon") != request_id


def test_everyone_concerned_is_notified(app, world, coordinator, as_user):
    from mentoring.models import Notification

    request_id = _ask(as_user, world, "Dakar", "Lyon")
    as_user(world.reps["Lyon"], service.accept, request_id)
    with app.app_context():
        def links(user):
            return [n.link for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id))]

        assert links(world.reps["Lyon"]) == [f"/requests/{request_id}"]
        assert links(world.reps["Dakar"]) == [f"/requests/{request_id}"]
        assert links(coordinator) == [f"/requests/{request_id}"]


@pytest.mark.parametrize("values, field", [
    ({"preferred_city_ids": "six"}, "preferred_city_ids"),
    ({"preferred_city_ids": "self"}, "preferred_city_ids"),
    ({"preferred_city_ids": "lyon", "avoided_city_ids": "lyon"}, "avoided_city_ids"),
    ({"regions": ["atlantis"]}, "regions"),
    ({"languages": ["xx"]}, "languages"),
    ({"areas": ["no_such_area"]}, "areas"),
])
def test_preferences_refuse_bad_input_field_by_field(app, world, make_city, values, field):
    extra = [make_city(f"Extra {i}").id for i in range(2)]
    with app.app_context():
        dakar = db.session.get(type(world.cities["Dakar"]), world.cities["Dakar"].id)
        ids = {"lyon": [world.cities["Lyon"].id], "self": [dakar.id],
               "six": [c.id for c in world.cities.values() if c.id != dakar.id] + extra}
        values = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in values.items()}
        with pytest.raises(ServiceError) as refused:
            preferences.save(None, dakar, **values)
        assert field in refused.value.errors
        db.session.rollback()
        assert preferences.get(dakar.id) is None  # nothing half-saved


def test_the_expire_command_records_overdue_requests(app, world, as_user, runner):
    request_id = _ask(as_user, world, "Dakar", "Lyon")
    with app.app_context():
        db.session.get(MentorRequest, request_id).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    result = runner.invoke(args=["requests", "expire"])
    assert result.exit_code == 0 and "1 request(s) expired." in result.output
    with app.app_context():
        assert db.session.get(MentorRequest, request_id).state == "expired"
