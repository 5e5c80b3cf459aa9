"""Manual matches never over-book a mentor city, even when coordinators click at the same time."""
from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import Mentorship, User
from mentoring.services import ServiceError
from mentoring.services import mentorships as service

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
