"""The home page: the public hero, each role's blocks, nothing of others, a fixed number of queries."""
from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    CapabilityArea,
    City,
    Goal,
    MatchRound,
    MentoringSession,
    Mentorship,
    MentorshipMentor,
    Notification,
    Proposal,
    utcnow,
)
from tests.conftest import count_queries, login

FUTURE = datetime(2031, 1, 15, 14, 0, tzinfo=UTC)  # 09:00 in Lima, 15:00 in Lyon


@pytest.fixture
def home(app, make_user, make_city):
    """Lyon mentors Lima (a session planned); Lyon→Dakar approved; Berlin→Tunis stale and silent."""
    coordinator = make_user("coord@example.org", name="Carla Coordinator", role="coordinator")
    rep_lyon = make_user("rep.lyon@example.org", name="Rep Lyon")
    rep_lima = make_user("rep.lima@example.org", name="Rep Lima")
    rep_dakar = make_user("rep.dakar@example.org", name="Rep Dakar")
    rep_berlin = make_user("rep.berlin@example.org", name="Rep Berlin")
    newcomer = make_user("new@example.org", name="Newcomer")
    lyon = make_city("Lyon", "FR", members=[(rep_lyon, "representative")], capacity=2, wants_mentor=False,
                     timezone="Europe/Paris")
    lima = make_city("Lima", "PE", region="latin_america", members=[(rep_lima, "representative")],
                     languages=("es",), wants_mentor=True, timezone="America/Lima")
    dakar = make_city("Dakar", "SN", region="africa", members=[(rep_dakar, "representative")], wants_mentor=True)
    berlin = make_city("Berlin", "DE", members=[(rep_berlin, "representative")], capacity=1, wants_mentor=False)
    tunis = make_city("<b>Tunis</b>", "TN", region="africa", wants_mentor=True, is_demo=True)
    make_city("Pendingville", "IT", status="pending")
    with app.app_context():
        area = db.session.scalar(select(CapabilityArea).order_by(CapabilityArea.position))
        db.session.add(Assessment(city_id=lyon.id, area_id=area.id, maturity=4, need=0, can_mentor=True))
        now = utcnow()
        db.session.add(Proposal(mentor_city_id=lyon.id, mentee_city_id=dakar.id, state="approved",
                                decided_at=now - timedelta(days=2), explanation="x"))
        stale = Proposal(mentor_city_id=berlin.id, mentee_city_id=tunis.id, state="approved",
                         decided_at=now - timedelta(days=20), explanation="x")
        db.session.add(stale)
        lyon_lima = Mentorship(mentor_city_id=lyon.id, mentee_city_id=lima.id, start_date=date.today(),
                               areas=[area.key])
        berlin_tunis = Mentorship(mentor_city_id=berlin.id, mentee_city_id=tunis.id,
                                  start_date=date.today() - timedelta(days=60), areas=[area.key])
        db.session.add_all([lyon_lima, berlin_tunis])
        db.session.flush()
        db.session.add(MentoringSession(mentorship_id=lyon_lima.id, starts_at=FUTURE, timezone="Europe/Paris",
                                        duration_minutes=60, format="video"))
        db.session.add(MentoringSession(mentorship_id=lyon_lima.id, starts_at=FUTURE + timedelta(days=30),
                                        timezone="Europe/Paris", duration_minutes=60, format="video"))
        db.session.add(MentoringSession(mentorship_id=berlin_tunis.id, starts_at=FUTURE,
                                        timezone="Europe/Berlin", duration_minutes=60, format="video"))
        db.session.add(Goal(mentorship_id=berlin_tunis.id, area_key=area.key, statement="Open data portal",
                            target_date=date.today() - timedelta(days=3)))
        db.session.add(MatchRound(name="Spring <round>", status="done", metrics={"coverage": 0.75}))
        db.session.add_all([Notification(user_id=rep_lyon.id, message="a"),
                            Notification(user_id=rep_lyon.id, message="b"),
                            Notification(user_id=rep_lyon.id, message="c", read_at=now),
                            Notification(user_id=rep_berlin.id, message="d")])
        db.session.commit()
        ids = SimpleNamespace(lyon_lima=lyon_lima.id, berlin_tunis=berlin_tunis.id, stale=stale.id)
    return SimpleNamespace(coordinator=coordinator, rep_lyon=rep_lyon, rep_lima=rep_lima, rep_berlin=rep_berlin,
                           newcomer=newcomer, lyon=lyon, lima=lima, dakar=dakar, berlin=berlin, tunis=tunis,
                           ids=ids)


def _page(client, user=None) -> str:
    if user is not None:
        login(client, user)
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_anonymous_visitors_see_the_public_hero(client, home):
    html = _page(client)
    assert "Cities learning from cities" in html
    for private in ("Your cities", "Programme health", "Lyon", "Tunis", "region-data"):
        assert private not in html


def test_a_representative_sees_their_city_endorsements_mentorships_and_notifications(client, home):
    html = _page(client, home.rep_lyon)
    assert "Welcome, Rep Lyon" in html and "Cities learning from cities" not in html
    assert re.search(r"Capability areas assessed: 1 of \d+", html)
    assert f'href="/cities/{home.lyon.id}/edit/capabilities"' in html and "Complete the profile" in html
    assert "2 unread notifications" in html
    # Lyon→Dakar waits for Lyon's endorsement, with a link to the proposal page.
    endorsements = html.split('id="home-endorsements-title"')[1].split("</section>")[0]
    assert "Lyon → Dakar" in endorsements and "/rounds/proposals/" in endorsements
    # Lyon→Lima with its next session in Lyon's local time (the first of the two planned ones).
    mentorships = html.split('id="home-mentorships-title"')[1].split("</section>")[0]
    assert f'href="/mentorships/{home.ids.lyon_lima}"' in mentorships
    assert "15:00 CET" in mentorships and "2031" in mentorships and "Feb" not in mentorships
    # Nothing of the other cities, and no coordinator block.
    for other in ("Berlin", "Tunis", "Programme health", "cities pending verification", "region-data",
                  f"/mentorships/{home.ids.berlin_tunis}", f"/rounds/proposals/{home.ids.stale}"):
        assert other not in html


def test_the_mentee_sees_the_session_in_its_own_local_time(client, home):
    html = _page(client, home.rep_lima)
    mentorships = html.split('id="home-mentorships-title"')[1].split("</section>")[0]
    assert "09:00" in mentorships and "time in Lima" in mentorships
    assert "No proposal is waiting for your endorsement" in html  # Lima has nothing to endorse
    assert "Lyon → Dakar" not in html and "Programme health" not in html


def test_a_user_without_a_city_is_invited_to_register_one(client, home):
    html = _page(client, home.newcomer)
    assert "You are not a member of a city yet" in html and 'href="/cities/register"' in html
    assert "No unread notifications" in html and "Programme health" not in html


def test_a_coordinator_sees_the_programme_health(client, home):
    html = _page(client, home.coordinator)
    programme = html.split('id="programme-title"')[1]
    stats = dict((label.strip(), value) for value, label in re.findall(
        r'<span class="stat__value">([^<]+)</span>\s*<span class="stat__label">([^<]+)</span>', programme))
    assert stats["cities pending verification"] == "1"
    assert stats["verified cities"] == "5"
    assert stats["potential mentors"] == "2"
    assert stats["mentees wanting a mentor"] == "3"
    assert stats["active mentorships"] == "2"
    assert stats["of the mentees wanting a mentor have one"] == "67%"
    assert 'href="/cities/verification"' in programme
    assert "Spring &lt;round&gt;" in programme and "75%" in programme
    assert "1 approved pair waiting for an endorsement for more than 14 days" in programme
    assert f'href="/rounds/proposals/{home.ids.stale}"' in programme
    assert "1 mentorship without a session for 30 days" in programme  # Berlin→Tunis: planned, never held
    assert "1 mentorship with goals past their date" in programme and "1 goal overdue" in programme
    # The chart's data and the table with the same numbers.
    data = json.loads(re.search(r'<script type="application/json" id="region-data">(.*?)</script>', html, re.S)
                      .group(1))
    africa = data["labels"].index("Africa")
    assert data["active"][africa] == 1 and data["coverage"][africa] == 50.0
    assert data["coverage"][data["labels"].index("Latin America")] == 100.0
    assert data["coverage"][data["labels"].index("North America")] is None
    row = re.search(r'<th scope="row">Africa</th>(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]+)</td>', row) == ["2", "0", "2", "1", "50%"]
    assert re.search(r'<script src="/static/js/dashboard.js\?v=[0-9a-f]{12}" defer></script>', html)
    assert "<script>" not in html and 'style="' not in html  # CSP: no inline script or style


def test_city_names_are_escaped(client, home):
    html = _page(client, home.coordinator)
    assert "<b>Tunis</b>" not in html and "&lt;b&gt;Tunis&lt;/b&gt;" in html
    data = re.search(r'id="region-data">(.*?)</script>', html, re.S).group(1)
    assert "</" not in data


def test_the_home_page_runs_a_fixed_number_of_queries(app, client, home, make_city, make_user):
    login(client, home.coordinator)
    client.get("/")

    def count(user) -> int:
        login(client, user)
        with app.app_context():
            engine = db.engine
        with count_queries(engine) as n:
            assert client.get("/").status_code == 200
        return n()

    before = {"coordinator": count(home.coordinator), "rep": count(home.rep_lyon)}
    # Many more cities, proposals, mentorships and sessions for the same people.
    with app.app_context():
        lyon = db.session.get(City, home.lyon.id)
        lyon.mentor_capacity = 20
        db.session.commit()
    for i in range(6):
        mentee = make_city(f"Mentee {i}", "BR", region="latin_america", wants_mentor=True, timezone="America/Sao_Paulo")
        other = make_city(f"Other {i}", "CL", region="latin_america", wants_mentor=True)
        with app.app_context():
            now = utcnow()
            db.session.add(Proposal(mentor_city_id=home.lyon.id, mentee_city_id=mentee.id, state="approved",
                                    decided_at=now - timedelta(days=20), explanation="x"))
            for mentee_id in (mentee.id, other.id):
                m = Mentorship(mentor_city_id=home.lyon.id if mentee_id == mentee.id else home.berlin.id,
                               mentee_city_id=mentee_id, start_date=date.today() - timedelta(days=45))
                db.session.add(m)
                db.session.flush()
                db.session.add(MentorshipMentor(mentorship_id=m.id, user_id=home.rep_lyon.id, side="mentor"))
                db.session.add(MentoringSession(mentorship_id=m.id, starts_at=FUTURE + timedelta(hours=i),
                                                timezone="UTC", duration_minutes=30, format="call"))
                db.session.add(Goal(mentorship_id=m.id, area_key="open_data", statement="g",
                                    target_date=date.today() - timedelta(days=1)))
            db.session.add(MatchRound(name=f"Round {i}", status="failed"))
            db.session.commit()
    after = {"coordinator": count(home.coordinator), "rep": count(home.rep_lyon)}
    print("home page queries:", before)
    assert after == before
    assert before["rep"] <= 10 and before["coordinator"] <= 24  # rep: + the homonyms' query (issue 9)
