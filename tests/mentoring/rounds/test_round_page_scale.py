"""The round page at scale (issue 11): a constant number of queries and ≤ 60 KiB of HTML per page."""
from __future__ import annotations

from mentoring.extensions import db
from mentoring.models import City, CityLanguage, Proposal
from mentoring.services import round_summary
from tests.conftest import count_queries, login
from tests.html import find
from tests.mentoring.rounds.conftest import open_and_run

LONG_EXPLANATION = "Both cities run open data portals and share the same working language. " * 6


def _add_proposals(app, round_id: int, count: int) -> None:
    """``count`` more proposals between new cities, each with long explanations and three areas."""
    with app.app_context():
        for i in range(count):
            mentor = City(name=f"Mentor town {i:03d}", country="FR", region="europe", status="verified",
                          population=100_000 + i, mentor_capacity=1)
            mentee = City(name=f"Mentee town {i:03d}", country="SN", region="africa", status="verified",
                          population=50_000 + i, wants_mentor=True)
            mentor.languages = [CityLanguage(code="fr", position=0), CityLanguage(code="en", position=1)]
            mentee.languages = [CityLanguage(code="fr", position=0)]
            db.session.add_all([mentor, mentee])
            db.session.flush()
            db.session.add(Proposal(
                round_id=round_id, mentor_city_id=mentor.id, mentee_city_id=mentee.id,
                areas=["open_data", "digital_strategy", "online_services"], score=0.5 - i / 1000,
                components={"complementarity": 0.3, "text": 0.1, "context": 0.1}, explanation=LONG_EXPLANATION,
            ))
        db.session.commit()


def test_round_page_costs_the_same_queries_and_stays_small_whatever_the_round_size(app, client, world,
                                                                                      coordinator):
    round_id = open_and_run(app, coordinator)
    login(client, coordinator)
    client.get(f"/rounds/{round_id}")  # warm the caches (taxonomy, country names)
    with app.app_context(), count_queries(db.engine) as few:
        small = client.get(f"/rounds/{round_id}")
    assert small.status_code == 200
    _add_proposals(app, round_id, 60)
    # The first view after the change computes the round's summary again: a constant number more.
    with app.app_context(), count_queries(db.engine) as recount:
        assert client.get(f"/rounds/{round_id}").status_code == 200
    round_summary.clear()
    with app.app_context(), count_queries(db.engine) as recount_again:
        assert client.get(f"/rounds/{round_id}").status_code == 200
    assert recount() == recount_again()
    with app.app_context(), count_queries(db.engine) as many:
        large = client.get(f"/rounds/{round_id}")
    assert large.status_code == 200
    assert many() == few()
    rows = find(large, "table tbody tr")
    assert len(rows) == 20  # one page of the 60+ proposals; the pager leads to the rest
    assert len(large.get_data()) <= 60 * 1024
    # The last page holds the remaining proposals: nothing is lost to the smaller pages.
    last = client.get(f"/rounds/{round_id}?page=4")
    assert 1 <= len(find(last, "table tbody tr")) <= 20
