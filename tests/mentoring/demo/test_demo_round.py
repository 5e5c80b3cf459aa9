"""flask demo load: the demo programme includes a finished matching round with decisions."""
from __future__ import annotations

from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import AuditEvent, MatchRound, Mentorship, Proposal, User
from mentoring.services.demo import DEMO_DOMAIN, DEMO_ROUND_NAME


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_load_adds_a_finished_round_with_approvals_and_one_mentorship(app_factory, app):
    demo_app = app_factory(DEMO=True)
    runner = demo_app.test_cli_runner()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "Demo matching round" in result.output and "endorsed by both cities" in result.output
    with demo_app.app_context():
        round_ = db.session.scalar(select(MatchRound).where(MatchRound.name == DEMO_ROUND_NAME))
        coordinator = db.session.scalar(select(User).where(User.email == f"coordinator@{DEMO_DOMAIN}"))
        assert round_.name == DEMO_ROUND_NAME and round_.status == "done" and round_.created_by_id == coordinator.id
        assert round_.metrics["n_pairs"] >= 10 and round_.metrics["coverage"] > 0
        states = dict(db.session.execute(select(Proposal.state, func.count()).where(Proposal.round_id == round_.id)
                                         .group_by(Proposal.state)).all())
        assert states.get("approved", 0) >= 2 and states.get("endorsed") == 1, states
        endorsed = db.session.scalar(select(Proposal).where(Proposal.state == "endorsed",
                                                            Proposal.round_id == round_.id))
        mentorship = db.session.scalar(select(Mentorship).where(Mentorship.proposal_id == endorsed.id))
        assert mentorship.proposal_id == endorsed.id and mentorship.state == "active" and mentorship.areas
        assert f"{endorsed.mentor_city.name} → {endorsed.mentee_city.name}" in result.output
        assert _count(AuditEvent, AuditEvent.action == "proposal.approve") == states["approved"] + 1
        before = (_count(MatchRound), _count(Proposal), _count(Mentorship), _count(AuditEvent,
                  AuditEvent.action.like("proposal.%")))
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "no demo round added" in again.output
    with demo_app.app_context():
        assert (_count(MatchRound), _count(Proposal), _count(Mentorship),
                _count(AuditEvent, AuditEvent.action.like("proposal.%"))) == before


def test_no_demo_round_when_a_round_exists(app_factory, app):
    demo_app = app_factory(DEMO=True)
    with demo_app.app_context():
        db.session.add(MatchRound(name="Real round", status="draft", params={}))
        db.session.commit()
    result = demo_app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0 and "A matching round exists already" in result.output
    with demo_app.app_context():
        assert _count(MatchRound) == 1 and _count(Proposal) == 0
