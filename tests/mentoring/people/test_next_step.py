"""Nothing waits silently: in every state of a proposal someone is told what to do next,
and pairs nobody answers expire (reminded halfway), freeing the mentor's place."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import (
    AuditEvent,
    City,
    Mentorship,
    Proposal,
    ReminderSent,
    utcnow,
)
from mentoring.services import consent, contacts, proposals
from tests.mentoring.people.conftest import outbox

STATES = ("proposed", "approved", "rejected", "endorsed", "declined", "expired")


def test_every_state_names_who_acts_next(app, world):
    with app.app_context():
        proposal = db.session.get(Proposal, world.proposal_id)
        seen = {}
        for state in STATES:
            proposal.state = state
            proposal.decided_at = utcnow()
            if state == "endorsed":
                db.session.add(Mentorship(proposal_id=proposal.id, mentor_city_id=proposal.mentor_city_id,
                                          mentee_city_id=proposal.mentee_city_id, areas=[],
                                          start_date=utcnow().date(), state="active"))
            db.session.flush()
            step = consent.next_step(proposal)
            assert step.who and step.what, state
            seen[state] = step.who
        # Mexico City has nobody: while approved, the coordinators are the ones who must act.
        assert "coord@example.org" in seen["approved"] and "rep@valpo.example" in seen["approved"]
        assert seen["rejected"] == ["coord@example.org"]
        assert set(seen["endorsed"]) == {"rep@valpo.example"}
        db.session.rollback()


def test_approved_pairs_are_reminded_halfway_then_expire_and_free_the_place(app, world):
    with app.app_context():
        coordinator = world.get(world.coordinator)
        contact = contacts.add_contact(coordinator, db.session.get(City, world.mexico_id), name="Mateo",
                                       email="mateo@cdmx.example")
        proposals.approve(coordinator, world.proposal_id)
        consent.request_by_contact(coordinator, db.session.get(Proposal, world.proposal_id), contact.id)
        db.session.commit()
        valparaiso = db.session.get(City, world.valparaiso_id)
        used_before = rules.places_used(valparaiso.id)
        approved_at = db.session.get(Proposal, world.proposal_id).decided_at
        sent_before = len(outbox())

        assert consent.expire_and_remind(approved_at + timedelta(days=5)).reminded == 0
        report = consent.expire_and_remind(approved_at + timedelta(days=11))
        assert (report.reminded, report.expired) == (1, 0)
        reminded = {m.recipient for m in outbox()[sent_before:]}
        assert reminded == {"rep@valpo.example", "mateo@cdmx.example"}
        assert consent.expire_and_remind(approved_at + timedelta(days=12)).reminded == 0  # once
        assert db.session.scalar(select(ReminderSent.key).where(ReminderSent.key.like("endorse-halfway:%")))

        assert consent.expire_and_remind(approved_at + timedelta(days=21, minutes=1)).expired == 1
        proposal = db.session.get(Proposal, world.proposal_id)
        assert proposal.state == "expired"
        assert rules.places_used(valparaiso.id) == used_before - 1
        assert [p.id for p in consent.expired_recently()] == [proposal.id]
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "proposal.expire"))
        # The coordinators are told (bell and mail); the old link no longer works.
        assert any("expired" in m.subject.lower() for m in outbox("coord@example.org"))
