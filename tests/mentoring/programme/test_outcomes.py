"""Outcomes per mentorship and per group, checked against the hand-computed small programme."""
from __future__ import annotations

import csv
import io

from mentoring.services import outcomes
from tests.conftest import login


def test_outcomes_per_mentorship(app, small):
    ids = small["ids"]
    with app.app_context():
        by_id = {o.id: o for o in outcomes.mentorship_outcomes()}
    m1, m3, m5 = by_id[ids["m1"]], by_id[ids["m3"]], by_id[ids["m5"]]
    assert m1.maturity == {"open_data": {"before": 1, "after": 3}}
    assert (m1.goals, m1.goals_achieved, m1.sessions, m1.hours, m1.study_visits) == (2, 1, 3, 10.5, 1)
    assert (m1.satisfaction, m1.days_to_first_session, m1.round_name) == (4.5, 10, "R1")
    assert m3.maturity == {"open_data": {"before": 2, "after": 3}} and m3.days_to_first_session == 20
    # A mentorship started outside a round counts from its creation (2025-02-03) to its first session.
    assert (m5.state, m5.withdraw_reason, m5.round_id, m5.days_to_first_session) == ("withdrawn", "Elections", None, 26)
    assert by_id[ids["m2"]].maturity == {"open_data": {"before": 3, "after": None}}


def test_outcomes_by_round_and_region(app, small):
    with app.app_context():
        items = outcomes.mentorship_outcomes()
        by_round = {r["label"]: r for r in outcomes.aggregate(items, "round")}
        by_region = {r["key"]: r for r in outcomes.aggregate(items, "region")}
        total = outcomes.totals(items)
    r1 = by_round["R1"]
    assert (r1["mentorships"], r1["active"], r1["completed"], r1["withdrawn"]) == (3, 1, 2, 0)
    assert r1["completion_rate"] == 1.0
    assert (r1["maturity_before"], r1["maturity_after"], r1["reassessed_areas"]) == (1.5, 3.0, 2)
    assert (r1["goals"], r1["goals_achieved"], r1["sessions"], r1["hours"], r1["study_visits"]) == (4, 2, 4, 11.5, 1)
    assert (r1["satisfaction"], r1["days_to_first_session"]) == (4.0, 15.0)
    outside = by_round[None]
    assert (outside["withdrawn"], outside["completion_rate"], outside["withdraw_reasons"]) == (1, 0.0, ["Elections"])
    assert by_region["africa"]["mentorships"] == 3 and by_region["europe"]["mentorships"] == 1
    assert (total["mentorships"], total["completed"], total["withdrawn"], total["completion_rate"]) == (4, 2, 1, 0.6667)
    assert total["satisfaction"] == 3.5  # (4 + 5 + 3 + 2) / 4


def test_outcomes_page_and_csv(app, small):
    client = app.test_client()
    assert client.get("/programme/outcomes").status_code == 302
    login(client, small["rep_alpha"])
    assert client.get("/programme/outcomes.csv").status_code == 403
    client = app.test_client()
    login(client, small["coordinator"])
    for by in ("round", "region", "area", "commission", "nonsense"):
        assert client.get(f"/programme/outcomes?by={by}").status_code == 200
    response = client.get("/programme/outcomes.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 4
    first = next(r for r in rows if r["mentee_city"] == "Beta")
    assert (first["hours"], first["satisfaction"], first["maturity"]) == ("10.5", "4.5", "open_data:1->3")
