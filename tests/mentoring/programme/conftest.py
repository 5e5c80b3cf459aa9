"""A small programme whose figures are computed by hand in the tests.

Cities (all verified): Alpha (FR, Europe, high income, commission c1), Beta (SN, Africa, c1),
Gamma (KE, Africa, c2), Delta (BR, Latin America, c2), Epsilon (PE, Latin America, c2, never reached).
Round R1: Alpha → Beta (completed), Delta → Gamma (active), Alpha → Gamma (completed).
Round R2: Beta → Delta (approved proposal, no mentorship yet).
Outside rounds: Gamma → Alpha (withdrawn: not a tie of the network).
"""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    CapabilityArea,
    City,
    CityCommission,
    CityMember,
    Commission,
    Feedback,
    Goal,
    LearningNote,
    MatchRound,
    MentoringSession,
    Mentorship,
    Proposal,
)


def at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@pytest.fixture
def small(app, make_user):
    """Build the small programme; returns ids by name, plus a coordinator and two representatives."""
    coordinator = make_user(role="coordinator")
    rep_alpha, rep_beta, member = make_user(), make_user(), make_user()
    with app.app_context():
        c1 = Commission(key="c1", labels={"en": "C1"})
        c2 = Commission(key="c2", labels={"en": "C2"})
        db.session.add_all([c1, c2])
        spec = [("Alpha", "FR", "europe", c1, 48.8, 2.3), ("Beta", "SN", "africa", c1, 14.7, -17.4),
                ("Gamma", "KE", "africa", c2, -1.3, 36.8), ("Delta", "BR", "latin_america", c2, -25.4, -49.3),
                ("Epsilon", "PE", "latin_america", c2, -12.0, -77.0)]
        cities = {}
        for name, country, region, commission, lat, lon in spec:
            city = City(name=name, country=country, region=region, status="verified", population=500_000,
                        latitude=lat, longitude=lon, verified_at=at("2025-01-01"), mentor_capacity=2)
            city.commissions = [CityCommission(commission=commission)]
            db.session.add(city)
            db.session.flush()
            cities[name] = city
        db.session.add_all([CityMember(city_id=cities["Alpha"].id, user_id=rep_alpha.id, role="representative"),
                            CityMember(city_id=cities["Beta"].id, user_id=rep_beta.id, role="representative"),
                            CityMember(city_id=cities["Epsilon"].id, user_id=member.id, role="mentor")])
        open_data = db.session.scalar(select(CapabilityArea).where(CapabilityArea.key == "open_data"))
        for name, level in (("Beta", 1), ("Gamma", 2)):
            db.session.add(Assessment(city_id=cities[name].id, area_id=open_data.id, maturity=level, need=3,
                                      is_current=False, assessed_at=at("2025-01-01")))
        r1 = MatchRound(name="R1", status="done", params={}, created_at=at("2025-01-20"))
        r2 = MatchRound(name="R2", status="done", params={}, created_at=at("2025-06-20"))
        db.session.add_all([r1, r2])
        db.session.flush()

        def proposal(round_, mentor, mentee, state):
            p = Proposal(round_id=round_.id, mentor_city_id=cities[mentor].id, mentee_city_id=cities[mentee].id,
                         areas=["open_data"], state=state, decided_at=at("2025-02-01"))
            db.session.add(p)
            db.session.flush()
            return p

        def mentorship(p, mentor, mentee, state, closed=None, reason=None):
            m = Mentorship(proposal_id=p.id if p else None, mentor_city_id=cities[mentor].id,
                           mentee_city_id=cities[mentee].id, areas=["open_data"], start_date=date(2025, 2, 5),
                           state=state, closed_at=closed, withdraw_reason=reason, created_at=at("2025-02-03"))
            db.session.add(m)
            db.session.flush()
            return m

        m1 = mentorship(proposal(r1, "Alpha", "Beta", "endorsed"), "Alpha", "Beta", "completed", at("2025-09-01"))
        m2 = mentorship(proposal(r1, "Delta", "Gamma", "endorsed"), "Delta", "Gamma", "active")
        m3 = mentorship(proposal(r1, "Alpha", "Gamma", "endorsed"), "Alpha", "Gamma", "completed", at("2025-10-01"))
        proposal(r2, "Beta", "Delta", "approved")
        m5 = mentorship(None, "Gamma", "Alpha", "withdrawn", at("2025-04-01"), "Elections")
        # m1: 3 held sessions (60 + 90 video, 480 study visit) and one planned; first held 2025-02-11.
        for day, minutes, fmt, held in (("2025-02-11", 60, "video", True), ("2025-03-11", 90, "video", True),
                                        ("2025-04-11", 480, "study_visit", True), ("2025-10-11", 60, "video", False)):
            db.session.add(MentoringSession(mentorship_id=m1.id, starts_at=at(day), duration_minutes=minutes,
                                            format=fmt, held=held))
        db.session.add(MentoringSession(mentorship_id=m3.id, starts_at=at("2025-02-21"), duration_minutes=60,
                                        format="call", held=True))
        db.session.add(MentoringSession(mentorship_id=m5.id, starts_at=at("2025-03-01"), duration_minutes=60,
                                        format="video", held=True))
        db.session.add_all([
            Goal(mentorship_id=m1.id, area_key="open_data", statement="Portal", status="achieved", progress=100),
            Goal(mentorship_id=m1.id, area_key="open_data", statement="Licence", status="open", progress=50),
            Goal(mentorship_id=m3.id, area_key="open_data", statement="Portal", status="achieved", progress=100),
            Goal(mentorship_id=m2.id, area_key="open_data", statement="Plan", status="open", progress=10),
        ])
        db.session.add_all([
            Feedback(mentorship_id=m1.id, city_id=cities["Alpha"].id, fit="good", rating=4, at_close=True),
            Feedback(mentorship_id=m1.id, city_id=cities["Beta"].id, fit="good", rating=5, at_close=True),
            Feedback(mentorship_id=m3.id, city_id=cities["Gamma"].id, fit="good", rating=3, at_close=True),
            Feedback(mentorship_id=m5.id, city_id=cities["Gamma"].id, fit="poor", rating=2, at_close=True),
        ])
        # Close-out re-assessments, dated at the close: Beta 1 → 3, Gamma 2 → 3.
        db.session.add(Assessment(city_id=cities["Beta"].id, area_id=open_data.id, maturity=3, need=1,
                                  is_current=True, assessed_at=at("2025-09-01")))
        db.session.add(Assessment(city_id=cities["Gamma"].id, area_id=open_data.id, maturity=3, need=1,
                                  is_current=True, assessed_at=at("2025-10-01")))
        note = LearningNote(mentorship_id=m1.id, markdown="# Open data in Beta\n\nA **portal** for budgets.",
                            published_at=at("2025-09-20"))
        db.session.add(note)
        db.session.commit()
        ids = {name: c.id for name, c in cities.items()}
        ids.update(m1=m1.id, m2=m2.id, m3=m3.id, m5=m5.id, r1=r1.id, r2=r2.id, note=note.id)
    from mentoring.services import network

    network.clear_cache()
    return {"ids": ids, "coordinator": coordinator, "rep_alpha": rep_alpha, "rep_beta": rep_beta, "member": member}
