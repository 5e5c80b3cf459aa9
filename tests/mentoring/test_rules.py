"""The programme's rules (mentoring.rules), tested once here; services and views rely on them."""
from __future__ import annotations

from datetime import date

import pytest
from flask import abort

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import CityMember, Mentorship
from mentoring.services import Conflict, NotAllowed, ServiceError


def test_coordinators_are_coordinators_and_admins(app, make_user):
    admin = make_user(role="admin")
    coordinator = make_user(role="coordinator")
    plain = make_user()
    make_user(role="coordinator", active=False)
    with app.app_context():
        assert [u.id for u in rules.coordinators()] == sorted([admin.id, coordinator.id])
        assert rules.is_coordinator(admin) and rules.is_coordinator(coordinator)
        assert not rules.is_coordinator(plain) and not rules.is_coordinator(None)


def test_representatives_and_members(app, make_user, make_city):
    city = make_city("Lyon")
    rep, mentor = make_user(), make_user()
    with app.app_context():
        db.session.add_all([CityMember(city_id=city.id, user_id=rep.id, role="representative"),
                            CityMember(city_id=city.id, user_id=mentor.id, role="mentor")])
        db.session.commit()
        assert rules.is_representative(rep, city.id)
        assert not rules.is_representative(mentor, city.id)
        assert [u.id for u in rules.representatives([city.id])] == [rep.id]
        assert rules.representatives([]) == []


def _mentorship(mentor_id, mentee_id, state="active"):
    return Mentorship(mentor_city_id=mentor_id, mentee_city_id=mentee_id, areas=["open_data"],
                      start_date=date(2026, 3, 1), state=state)


def test_places_count_active_mentorships_and_holding_proposals(app, make_city):
    mentor = make_city("Barcelona", "ES", capacity=3)
    mentees = [make_city(f"Mentee {i}") for i in range(4)]
    with app.app_context():
        db.session.add_all([_mentorship(mentor.id, mentees[0].id),
                            _mentorship(mentor.id, mentees[1].id, state="completed")])
        db.session.commit()
        assert rules.mentor_places(db.session.get(type(mentor), mentor.id)) == rules.Places(3, 1)
        assert rules.places_used_by_city([mentor.id, mentees[0].id]) == {mentor.id: 1}
        places = rules.reserve_mentor_place(mentor.id)
        assert places.free == 2
        with pytest.raises(ServiceError) as refused:
            rules.check_capacity_change(db.session.get(type(mentor), mentor.id), 0)
        assert refused.value.errors["mentor_capacity"] == [
            "1 places are in use (active mentorships and approved pairs); the capacity cannot be lower."]
        rules.check_capacity_change(db.session.get(type(mentor), mentor.id), 1)
        db.session.get(type(mentor), mentor.id).mentor_capacity = 1
        db.session.flush()
        with pytest.raises(NotAllowed) as full:
            rules.reserve_mentor_place(mentor.id, field="mentor_city_id")
        assert "1 of 1 taken" in full.value.message
        assert list(full.value.errors) == ["mentor_city_id"]
        db.session.rollback()


def test_check_version_semantics(app, make_city):
    city = make_city("Lyon")
    with app.app_context():
        row = db.session.get(type(city), city.id)
        rules.check_version(row, None)  # not sent: not checked
        rules.check_version(row, str(row.version))
        with pytest.raises(Conflict):
            rules.check_version(row, row.version + 1)
        with pytest.raises(ServiceError) as bad:
            rules.check_version(row, "x")
        assert "version" in bad.value.errors and not isinstance(bad.value, Conflict)


def test_text_limit_is_one_number():
    assert rules.TEXT_MAX == 5000


def test_service_errors_answer_json_and_html_with_one_shape(app, client):
    @app.post("/_test/refuse")
    def refuse():
        raise NotAllowed("No free place.", {"capacity": ["Full."]})

    @app.get("/_test/teapot")
    def teapot():
        abort(404)

    response = client.post("/_test/refuse", headers={"Accept": "application/json"})
    assert response.status_code == 409
    assert response.get_json() == {"message": "No free place.", "errors": {"capacity": ["Full."]}}
    html = client.post("/_test/refuse", headers={"Referer": "http://localhost/cities/"})
    assert html.status_code == 303 and html.headers["Location"] == "/cities/"
    page = client.get("/cities/", follow_redirects=False)
    assert page.status_code in (200, 302)
    foreign = client.post("/_test/refuse", headers={"Referer": "https://evil.example/x"})
    assert foreign.status_code == 409 and b"No free place." in foreign.data


def test_the_request_commits_once_on_success_and_rolls_back_on_errors(app, client, make_city):
    city = make_city("Lyon", capacity=1)

    @app.post("/_test/rename/<int:city_id>/<int:status>")
    def rename(city_id, status):
        db.session.get(type(city), city_id).name = f"Renamed {status}"
        db.session.flush()
        return "", status

    assert client.post(f"/_test/rename/{city.id}/422").status_code == 422
    with app.app_context():
        assert db.session.get(type(city), city.id).name == "Lyon"
    assert client.post(f"/_test/rename/{city.id}/200").status_code == 200
    with app.app_context():
        assert db.session.get(type(city), city.id).name == "Renamed 200"


def test_external_links_outside_a_request_use_the_public_url(app):
    from mentoring.links import external_url, notification_link

    app.config["PUBLIC_URL"] = "https://mentoring.example/network"
    with app.app_context():
        assert external_url("cities.profile", city_id=7) == "https://mentoring.example/network/cities/7"
        assert notification_link("cities.profile", city_id=7) == "/network/cities/7"
    with app.test_request_context("/", base_url="http://127.0.0.1:5000"):
        assert external_url("cities.profile", city_id=7) == "http://127.0.0.1:5000/cities/7"
