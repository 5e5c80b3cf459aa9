"""The editor and the survey import apply the same rules (mentoring.rules): text limit, capacity."""
from __future__ import annotations

from datetime import date

import pytest

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import City, Mentorship, Proposal
from mentoring.services.survey import (
    SurveyError,
    export_csv,
    import_csv,
    preview_import,
)
from tests.conftest import login
from tests.html import texts
from tests.mentoring.cities.test_editor import identity_form


def _version(app, city_id):
    with app.app_context():
        return db.session.get(City, city_id).version


def _city(app, city_id):
    with app.app_context():
        city = db.session.get(City, city_id)
        return {"practices": city.practices, "needs": city.needs, "capacity": city.mentor_capacity}


def test_texts_of_the_longest_length_the_editor_takes_export_and_import_again(app, client, people):
    practices = ("Open data portal; " * 400)[: rules.TEXT_MAX - 1] + "."
    needs = "n" * rules.TEXT_MAX
    assert len(practices) == len(needs) == rules.TEXT_MAX
    login(client, people.rep_a)
    url = f"/cities/{people.city_a.id}/edit/texts"
    saved = client.post(url, data={"version": _version(app, people.city_a.id), "practices": practices,
                                   "needs": needs})
    assert saved.status_code == 302
    too_long = client.post(url, data={"version": _version(app, people.city_a.id), "practices": practices + "x",
                                      "needs": needs})
    assert too_long.status_code == 422
    assert _city(app, people.city_a.id)["practices"] == practices
    with app.test_request_context():
        exported = export_csv(country="FR").encode("utf-8")
        preview = preview_import(exported)
        assert preview.ok, [str(e) for e in preview.errors]
        [row] = preview.rows
        assert row.city.id == people.city_a.id and row.action == "unchanged" and row.changes == []
        summary = import_csv(exported, None)
        db.session.commit()
        assert (summary.updated, summary.unchanged) == (0, 1)
    assert _city(app, people.city_a.id)["needs"] == needs


@pytest.fixture
def busy_mentor(app, people, make_city):
    """City A (capacity 3) holds two places: an active mentorship and an approved proposal."""
    mentees = [make_city(f"Mentee {i}", "IT") for i in range(2)]
    with app.app_context():
        db.session.get(City, people.city_a.id).mentor_capacity = 3
        db.session.add(Mentorship(mentor_city_id=people.city_a.id, mentee_city_id=mentees[0].id,
                                  areas=["open_data"], start_date=date(2026, 3, 1), state="active"))
        db.session.add(Proposal(mentor_city_id=people.city_a.id, mentee_city_id=mentees[1].id,
                                areas=["open_data"], state="approved", explanation="x"))
        db.session.commit()
        assert rules.mentor_places(db.session.get(City, people.city_a.id)) == rules.Places(3, 2)
    return people.city_a


def test_the_editor_refuses_a_capacity_below_the_places_in_use(app, client, people, busy_mentor):
    login(client, people.rep_a)
    url = f"/cities/{busy_mentor.id}/edit"
    refused = client.post(url, data=identity_form(_version(app, busy_mentor.id), mentor_capacity="1"))
    assert refused.status_code == 422
    [message] = texts(refused, "#mentor_capacity-error li")
    assert message.startswith("2 places are in use")
    assert _city(app, busy_mentor.id)["capacity"] == 3
    accepted = client.post(url, data=identity_form(_version(app, busy_mentor.id), mentor_capacity="2"))
    assert accepted.status_code == 302 and _city(app, busy_mentor.id)["capacity"] == 2


def test_the_import_refuses_a_capacity_below_the_places_in_use(app, people, busy_mentor):
    with app.test_request_context():
        lowered = b"name,country,capacity\nAlpha,FR,1\n"
        preview = preview_import(lowered)
        [problem] = preview.errors
        assert (problem.row, problem.column) == (2, "capacity") and problem.message.startswith("2 places are in use")
        with pytest.raises(SurveyError):
            import_csv(lowered, None)
        db.session.rollback()
        import_csv(b"name,country,capacity\nAlpha,FR,2\n", None)
        db.session.commit()
    assert _city(app, busy_mentor.id)["capacity"] == 2
