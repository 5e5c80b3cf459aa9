"""flask demo load: two finished rounds with a dozen closed mentorships and their outcomes."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import LearningNote, MatchRound, Mentorship, NotePublication
from mentoring.services import network, outcomes, study
from mentoring.services.demo import DEMO_HISTORY, DEMO_ROUND_NAME


def test_demo_history_gives_the_programme_pages_something_to_show(app_factory, app):
    demo_app = app_factory(DEMO=True)
    result = demo_app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "2 finished rounds, 12 closed mentorships" in result.output
    with demo_app.app_context():
        names = [r.name for r in db.session.scalars(select(MatchRound).order_by(MatchRound.created_at))]
        assert names == [name for name, _day, _pairs in DEMO_HISTORY] + [DEMO_ROUND_NAME]
        states = dict(db.session.execute(select(Mentorship.state, func.count()).group_by(Mentorship.state)).all())
        assert states == {"completed": 10, "withdrawn": 2, "active": 1}
        items = [o for o in outcomes.mentorship_outcomes() if o.state != "active"]
        completed = [o for o in items if o.state == "completed"]
        # Every completed mentorship has sessions, goals, ratings and a higher level after than before.
        for o in completed:
            assert o.sessions >= 5 and o.study_visits == 1 and o.goals_achieved >= 1 and o.satisfaction
            assert all(m["after"] > m["before"] for m in o.maturity.values()), o.maturity
        assert all(o.withdraw_reason for o in items if o.state == "withdrawn")
        assert db.session.scalar(select(func.count()).select_from(LearningNote)) == 10
        publications = db.session.scalars(select(NotePublication)).all()
        assert len(publications) == 10 and all(p.language == "en" for p in publications)
        assert 0 < sum(p.is_public for p in publications) < 10
        data = network.network()
        assert data["metrics"]["cooperation"]["triangular"] >= 1 and data["metrics"]["reciprocity"]["count"] >= 1
        edition = study.compute(date(2026, 12, 31))
        changes = {r[0]: r for r in edition["tables"]["changes"]["rows"]}
        assert changes["members"][3] > 0  # a few cities joined in 2026
