"""Manual matches never over-book a mentor city, even when coordinators click at the same time."""
from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import Mentorship, User
from mentoring.services import ServiceError
from mentoring.services import workspace as service

ATTEMPTS = 12


def test_concurrent_manual_matches_respect_the_mentor_capacity(app, make_user, make_city):
    coordinator = make_user(role="coordinator")
    mentor = make_city("Barcelona", "ES", capacity=2)
    mentees = [make_city(f"Mentee {i}") for i in range(ATTEMPTS)]
    with app.app_context():
        from mentoring.services.taxonomy import active_areas

        areas = [active_areas()[0].key]
    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []

    def attempt(mentee_id: int) -> None:
        with app.test_request_context():
            barrier.wait()
            try:
                service.create_mentorship(db.session.get(User, coordinator.id), mentor_city_id=mentor.id,
                                          mentee_city_id=mentee_id, areas=areas, start_date=date(2026, 3, 1))
                db.session.commit()
                outcomes.append("created")
            except ServiceError:
                db.session.rollback()
                outcomes.append("refused")
            except Exception as error:  # noqa: BLE001  reported below: any other error fails the test
                db.session.rollback()
                outcomes.append(f"error: {error!r}")

    threads = [threading.Thread(target=attempt, args=(m.id,)) for m in mentees]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created"] * 2 + ["refused"] * (ATTEMPTS - 2)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Mentorship)
                                 .where(Mentorship.mentor_city_id == mentor.id)) == 2


def test_the_create_form_counts_places_held_by_approved_proposals(app, client, make_user, make_city):
    """The form shows the places the rule counts: an approved proposal holds Rosario's only place."""
    from mentoring.models import Proposal
    from tests.conftest import login

    coordinator = make_user(role="coordinator")
    rosario = make_city("Rosario", "AR", region="latin_america", capacity=1)
    held_for = make_city("Cusco", "PE", region="latin_america")
    mentee = make_city("Accra", "GH", region="africa")
    with app.app_context():
        from mentoring.services.taxonomy import active_areas

        areas = [active_areas()[0].key]
        db.session.add(Proposal(mentor_city_id=rosario.id, mentee_city_id=held_for.id, areas=areas,
                                state="approved", explanation="x"))
        db.session.commit()
    login(client, coordinator)
    page = client.get("/mentorships/new").get_data(as_text=True)
    options = _option_texts(page, "mentor_city_id")
    assert options[str(rosario.id)].endswith("0 of 1 places free")
    refused = client.post("/mentorships/new", data={
        "mentor_city_id": rosario.id, "mentee_city_id": mentee.id, "areas": areas, "start_date": "2026-02-01"})
    assert refused.status_code == 409
    assert "Rosario has no free mentor place: 1 of 1 taken." in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Mentorship)) == 0


def _option_texts(page: str, select_name: str) -> dict[str, str]:
    """``{value: text}`` of the options of one ``<select>``, parsed (not matched as raw HTML)."""
    from html.parser import HTMLParser

    found: dict[str, str] = {}

    class Parser(HTMLParser):
        inside = False
        value = None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "select":
                self.inside = attrs.get("name") == select_name
            elif tag == "option" and self.inside:
                self.value = attrs.get("value")
                found[self.value] = ""

        def handle_endtag(self, tag):
            if tag == "select":
                self.inside = False
            elif tag == "option":
                self.value = None

        def handle_data(self, data):
            if self.value is not None:
                found[self.value] += data

    Parser().feed(page)
    return {k: " ".join(v.split()) for k, v in found.items()}
