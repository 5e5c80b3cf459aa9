"""Rounds and proposals through the services: every transition, every refusal, capacity, audit."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import AuditEvent, MatchRound, Mentorship, Notification, OutboxMessage, Proposal, User
from mentoring.services import Conflict, NotAllowed, ServiceError, matchmaking
from mentoring.services import proposals as service
from mentoring.services import unmatched as unmatched_service
from tests.mentoring.rounds.conftest import open_and_run


def _user(u):
    return db.session.get(User, u.id)


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _proposal(round_id, mentor, mentee):
    return db.session.scalar(select(Proposal).where(
        Proposal.round_id == round_id, Proposal.mentor_city_id == mentor.id, Proposal.mentee_city_id == mentee.id))


def test_eligibility_counts_mentors_mentees_and_lists_incomplete_profiles(app, world, coordinator):
    with app.app_context():
        from mentoring.models import Commission

        cid = db.session.scalar(select(Commission.id).where(Commission.key == "digital_cities"))
        round_ = matchmaking.open_round(_user(coordinator), name="R", commission_ids=[cid])
        elig = matchmaking.eligibility(round_)
        assert sorted(c.name for c in elig.mentors) == ["Barcelona", "Lyon"]
        assert sorted(c.name for c in elig.mentees) == ["Dakar", "Lima", "Tunis"]
        assert [(c.name, reasons) for c, reasons in elig.incomplete] == [("Emptyville", ["no capability assessment"])]


def test_open_round_refuses_bad_parameters_with_field_messages(app, world, coordinator):
    with app.app_context():
        with pytest.raises(ServiceError) as info:
            matchmaking.open_round(_user(coordinator), name="", commission_ids=[], params={"min_score": -1})
        assert set(info.value.errors) == {"name", "commissions", "min_score"}
        assert _count(MatchRound) == 0


def test_a_run_stores_parameters_seed_metrics_and_explained_proposals(app, world, coordinator):
    round_id = open_and_run(app, coordinator, allow_same_country=False)
    with app.app_context():
        round_ = db.session.get(MatchRound, round_id)
        assert round_.status == "done" and round_.progress == 1.0
        assert round_.params["require_shared_language"] is True and round_.seed == 0
        assert {"coverage", "coverage_by_region", "coverage_by_priority", "mentor_load", "certified"} <= set(round_.metrics)
        proposals = db.session.scalars(select(Proposal).where(Proposal.round_id == round_id)).all()
        # Lyon (2 places) and Barcelona (1) can cover all three mentees.
        assert len(proposals) == 3 and round_.metrics["coverage"] == 1.0
        for p in proposals:
            assert p.state == "proposed" and p.score > 0 and p.areas and p.explanation
            assert set(p.components) == {"complementarity", "text", "context"}
        lima = world.cities["Lima"]
        # Lima speaks only Spanish: only Barcelona shares a language.
        assert _proposal(round_id, world.cities["Barcelona"], lima) is not None
        assert _count(AuditEvent, AuditEvent.action == "round.done") == 1


def test_existing_mentorships_reduce_capacity_and_past_pairs_are_excluded(app, world, coordinator):
    with app.app_context():
        lyon, dakar, tunis = (world.cities[n] for n in ("Lyon", "Dakar", "Tunis"))
        # An active mentorship uses one of Lyon's two places; a completed one with Tunis excludes that pair.
        db.session.add(Mentorship(mentor_city_id=lyon.id, mentee_city_id=world.cities["Emptyville"].id,
                                  start_date=date(2024, 1, 1), state="active"))
        db.session.add(Mentorship(mentor_city_id=lyon.id, mentee_city_id=tunis.id,
                                  start_date=date(2023, 1, 1), state="completed"))
        db.session.commit()
        assert rules.places_used(lyon.id) == 1
    round_id = open_and_run(app, coordinator)
    with app.app_context():
        lyon_pairs = db.session.scalars(select(Proposal).where(
            Proposal.round_id == round_id, Proposal.mentor_city_id == world.cities["Lyon"].id)).all()
        assert len(lyon_pairs) <= 1
        assert all(p.mentee_city_id != world.cities["Tunis"].id for p in lyon_pairs)


def test_approve_notifies_both_cities_audits_and_repeating_changes_nothing(app, world, coordinator):
    round_id = open_and_run(app, coordinator)
    with app.app_context():
        p = _proposal(round_id, world.cities["Barcelona"], world.cities["Lima"])
        proposal, changed = service.approve(_user(coordinator), p.id, p.version)
        db.session.commit()
        assert changed and proposal.state == "approved" and proposal.decided_by_id == coordinator.id
        reps = {world.reps["Barcelona"].id, world.reps["Lima"].id}
        assert set(db.session.scalars(select(Notification.user_id))) == reps
        assert _count(OutboxMessage) == 2
        events = _count(AuditEvent, AuditEvent.action == "proposal.approve")
        # Double click / retried request with the same (now stale) version: a no-op success.
        again, changed = service.approve(_user(coordinator), p.id, 1)
        db.session.commit()
        assert not changed and again.state == "approved"
        assert _count(AuditEvent, AuditEvent.action == "proposal.approve") == events == 1
        assert _count(Notification) == 2 and _count(OutboxMessage) == 2


def test_a_stale_version_is_a_conflict_not_an_overwrite(app, world, coordinator):
    round_id = open_and_run(app, coordinator)
    with app.app_context():
        p = _proposal(round_id, world.cities["Barcelona"], world.cities["Lima"])
        version = p.version
        service.approve(_user(coordinator), p.id, version)
        db.session.commit()
        with pytest.raises(Conflict) as info:
            service.reject(_user(coordinator), p.id, "not a good fit", version)
        assert "changed this proposal" in info.value.message
        db.session.rollback()
        assert db.session.get(Proposal, p.id).state == "approved"


def test_reject_needs_a_reason_and_puts_the_mentee_back_in_the_pool(app, world, coordinator):
    round_id = open_and_run(app, coordinator)
    with app.app_context():
        p = _proposal(round_id, world.cities["Barcelona"], world.cities["Lima"])
        with pytest.raises(ServiceError) as info:
            service.reject(_user(coordinator), p.id, "   ", p.version)
        assert "reason" in info.value.errors
        service.reject(_user(coordinator), p.id, "Barcelona is busy this year", p.version)
        db.session.commit()
        unmatched = unmatched_service.unmatched_mentees(db.session.get(MatchRound, round_id))
        assert [(u["city"].name, u["reason"], u["detail"]) for u in unmatched] == [
            ("Lima", "rejected", "Barcelona is busy this year")]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "proposal.reject"))
        assert event.reason == "Barcelona is busy this year" and event.after["state"] == "rejected"


@pytest.mark.parametrize("state, call", [
    ("rejected", "approve"), ("endorsed", "approve"), ("declined", "approve"),
    ("approved", "reject"), ("endorsed", "reject"),
    ("proposed", "endorse"), ("rejected", "endorse"), ("declined", "endorse"),
    ("proposed", "decline"), ("endorsed", "decline"), ("rejected", "decline"),
])
def test_transitions_outside_the_state_machine_are_refused_clearly(app, world, coordinator, state, call):
    round_id = open_and_run(app, coordinator)
    with app.app_context():
        p = _proposal(round_id, world.cities["Barcelona"], world.cities["Lima"])
        p.state = state
        db.session.commit()
        actor = _user(coordinator) if call in ("approve", "reject") else _user(world.reps["Lima"])
        with pytest.raises(NotAllowed) as info:
            if call == "approve":
                service.approve(actor, p.id, p.version)
            elif call == "reject":
                service.reject(actor, p.id, "reason", p.version)
            elif call == "endorse":
                service.endorse(actor, p.id, "mentee", p.version)
            else:
                service.decline(actor, p.id, "mentee", "reason", p.version)
        assert "cannot become" in info.value.message
        db.session.rollback()
        assert db.session.get(Proposal, p.id).state == state
        assert _count(Mentorship) == 0


def test_both_endorsements_create_the_mentorship_with_its_focus_areas(app, world, coordinator):
    round_id = open_and_run(app, coordinator)
    with app.app_context():
        p = _proposal(round_id, world.cities["Barcelona"], world.cities["Lima"])
        service.approve(_user(coordinator), p.id, p.version)
        service.change_areas(_user(coordinator), p.id, ["open_data"], p.version)
        db.session.commit()
        _, changed = service.endorse(_user(world.reps["Lima"]), p.id, "mentee", p.version)
        db.session.commit()
        assert changed and p.state == "approved" and _count(Mentorship) == 0
        # Repeating the endorsement changes nothing.
        assert service.endorse(_user(world.reps["Lima"]), p.id, "mentee", 1)[1] is False
        # A city's representative cannot endorse for the other city.
        with pytest.raises(NotAllowed):
            service.endorse(_user(world.reps["Lima"]), p.id, "mentor", p.version)
        db.session.rollback()
        service.endorse(_user(world.reps["Barcelona"]), p.id, "mentor", p.version)
        db.session.commit()
        p = db.session.get(Proposal, p.id)
        mentorship = db.session.scalar(select(Mentorship))
        assert p.state == "endorsed"
        assert (mentorship.proposal_id, mentorship.areas, mentorship.state) == (p.id, ["open_data"], "active")
        assert (mentorship.mentor_city_id, mentorship.mentee_city_id) == (p.mentor_city_id, p.mentee_city_id)
        assert rules.places_used(p.mentor_city_id) == 1  # the place moved to the mentorship
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"proposal.endorse_mentee", "proposal.endorse_mentor", "mentorship.create"} <= actions
        with pytest.raises(NotAllowed):  # focus areas are fixed once endorsed
            service.change_areas(_user(coordinator), p.id, ["digital_strategy"], p.version)


def test_decline_tells_the_coordinators_and_frees_the_mentor_place(app, world, coordinator):
    round_id = open_and_run(app, coordinator)
    with app.app_context():
        p = _proposal(round_id, world.cities["Barcelona"], world.cities["Lima"])
        service.approve(_user(coordinator), p.id, p.version)
        db.session.commit()
        assert rules.places_used(p.mentor_city_id) == 1
        with pytest.raises(ServiceError):
            service.decline(_user(world.reps["Lima"]), p.id, "mentee", "", p.version)
        db.session.rollback()
        service.decline(_user(world.reps["Lima"]), p.id, "mentee", "We prefer a Latin American mentor", p.version)
        db.session.commit()
        assert rules.places_used(p.mentor_city_id) == 0
        assert _count(Notification, Notification.user_id == coordinator.id) == 1
        assert db.session.scalar(select(OutboxMessage.subject).where(OutboxMessage.recipient == "coord@example.org")) \
            == "Lima declined the pairing Barcelona → Lima"
        unmatched = unmatched_service.unmatched_mentees(db.session.get(MatchRound, round_id))
        assert [(u["city"].name, u["reason"]) for u in unmatched] == [("Lima", "declined")]
        assert service.decline(_user(world.reps["Lima"]), p.id, "mentee", "again", 1)[1] is False


def test_unconfirmed_representatives_can_neither_endorse_nor_decline(app, world, coordinator):
    round_id = open_and_run(app, coordinator)
    with app.app_context():
        p = _proposal(round_id, world.cities["Barcelona"], world.cities["Lima"])
        service.approve(_user(coordinator), p.id, p.version)
        db.session.commit()
        _user(world.reps["Lima"]).email_confirmed_at = None
        db.session.commit()
        version = p.version
        with pytest.raises(NotAllowed, match="confirm your e-mail address"):
            service.endorse(_user(world.reps["Lima"]), p.id, "mentee", version)
        db.session.rollback()
        with pytest.raises(NotAllowed, match="confirm your e-mail address"):
            service.decline(_user(world.reps["Lima"]), p.id, "mentee", "Not for us", version)
        db.session.rollback()
        db.session.expire_all()
        p = db.session.get(Proposal, p.id)
        assert (p.state, p.version, p.mentee_endorsed_at, p.decline_reason) == ("approved", version, None, None)
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert not actions & {"proposal.endorse_mentee", "proposal.decline"}
        assert rules.places_used(p.mentor_city_id) == 1


def test_approval_beyond_the_mentor_capacity_is_refused(app, world, coordinator):
    round_id = open_and_run(app, coordinator)
    with app.app_context():
        barcelona = world.cities["Barcelona"]
        mine = db.session.scalars(select(Proposal).where(Proposal.mentor_city_id == barcelona.id)).all()
        assert len(mine) == 1
        service.approve(_user(coordinator), mine[0].id)
        # A manual extra proposal for Barcelona (Tunis shares no language with it, so made directly).
        extra = Proposal(round_id=round_id, mentor_city_id=barcelona.id, mentee_city_id=world.cities["Dakar"].id,
                         state="proposed", explanation="x")
        db.session.add(extra)
        db.session.commit()
        with pytest.raises(NotAllowed) as info:
            service.approve(_user(coordinator), extra.id, extra.version)
        assert "no free mentor place: 1 of 1 taken" in info.value.message
        db.session.rollback()
        approved, refused = service.bulk_approve(_user(coordinator), [extra.id])
        assert approved == [] and "no free mentor place" in refused[extra.id]


def test_manual_match_ranks_mentors_with_free_places_and_approves_the_choice(app, world, coordinator):
    round_id = open_and_run(app, coordinator)
    with app.app_context():
        round_ = db.session.get(MatchRound, round_id)
        tunis, dakar = world.cities["Tunis"], world.cities["Dakar"]
        # Dakar (French, English) could learn from both mentors; the rejected pair is excluded.
        current = db.session.scalar(select(Proposal).where(Proposal.mentee_city_id == dakar.id))
        service.reject(_user(coordinator), current.id, "try another", current.version)
        db.session.commit()
        names = {world.cities["Lyon"].id: "Lyon", world.cities["Barcelona"].id: "Barcelona"}
        other = "Lyon" if names[current.mentor_city_id] == "Barcelona" else "Barcelona"
        suggestions = matchmaking.suggestions(round_, dakar.id)
        assert [s["mentor"].name for s in suggestions] == [other]
        assert suggestions[0]["pair"].explanation and suggestions[0]["pair"].score > 0
        # Tunis speaks French and Arabic: Barcelona (Spanish, English) is not eligible.
        with pytest.raises(NotAllowed):
            service.manual_match(_user(coordinator), round_, tunis.id, world.cities["Barcelona"].id)
        db.session.rollback()
        proposal = service.manual_match(_user(coordinator), round_, dakar.id, world.cities[other].id)
        db.session.commit()
        assert proposal.state == "approved" and proposal.manual


def test_manual_match_creates_an_approved_manual_proposal(app, world, coordinator):
    round_id = open_and_run(app, coordinator)
    with app.app_context():
        round_ = db.session.get(MatchRound, round_id)
        lima = world.cities["Lima"]
        current = db.session.scalar(select(Proposal).where(Proposal.mentee_city_id == lima.id))
        db.session.delete(current)  # as if the engine had left Lima unmatched
        db.session.commit()
        proposal = service.manual_match(_user(coordinator), round_, lima.id, world.cities["Barcelona"].id)
        db.session.commit()
        assert proposal.manual and proposal.state == "approved" and proposal.explanation and proposal.score > 0
        actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        assert actions[-2:] == ["proposal.manual", "proposal.approve"]


def test_rerun_keeps_approved_pairs_and_excludes_rejected_ones(app, world, coordinator):
    round_id = open_and_run(app, coordinator)
    with app.app_context():
        lyon = world.cities["Lyon"]
        approved = db.session.scalar(select(Proposal).where(Proposal.mentee_city_id == world.cities["Lima"].id))
        service.approve(_user(coordinator), approved.id)
        rejected = db.session.scalar(select(Proposal).where(Proposal.mentee_city_id == world.cities["Dakar"].id))
        service.reject(_user(coordinator), rejected.id, "no", rejected.version)
        rejected_pair = (rejected.mentor_city_id, rejected.mentee_city_id)
        round_ = db.session.get(MatchRound, round_id)
        matchmaking.request_run(_user(coordinator), round_)
        db.session.commit()
        from mentoring import jobs

        assert jobs.run_round(round_id, coordinator.id) == "done"
        rows = db.session.scalars(select(Proposal).where(Proposal.round_id == round_id)).all()
        assert db.session.get(Proposal, approved.id).state == "approved"
        live_pairs = [(p.mentor_city_id, p.mentee_city_id) for p in rows if p.state == "proposed"]
        assert rejected_pair not in live_pairs
        assert sum(1 for p in rows if p.mentee_city_id == world.cities["Lima"].id) == 1
        assert lyon.id in {p.mentor_city_id for p in rows}


def test_waiting_for_endorsement_lists_approvals_older_than_14_days(app, world, coordinator):
    round_id = open_and_run(app, coordinator)
    with app.app_context():
        old, recent = db.session.scalars(select(Proposal).where(Proposal.round_id == round_id)
                                         .order_by(Proposal.id).limit(2)).all()
        for p in (old, recent):
            service.approve(_user(coordinator), p.id)
        from mentoring.models import utcnow

        old.decided_at = utcnow() - timedelta(days=15)
        db.session.commit()
        assert [p.id for p in service.waiting_for_endorsement()] == [old.id]


def test_a_failed_run_is_marked_with_its_error_and_can_be_retried(app, world, coordinator):
    from mentoring import jobs
    from mentoring.models import Commission

    with app.app_context():
        cid = db.session.scalar(select(Commission.id).where(Commission.key == "strategic_planning"))
        round_ = matchmaking.open_round(_user(coordinator), name="Empty", commission_ids=[cid])
        matchmaking.request_run(_user(coordinator), round_)
        db.session.commit()
        assert jobs.run_round(round_.id) == "failed"
        round_ = db.session.get(MatchRound, round_.id, populate_existing=True)
        assert round_.status == "failed" and "cannot be run" in round_.error
        assert _count(AuditEvent, AuditEvent.action == "round.failed") == 1
        matchmaking.request_run(_user(coordinator), round_)  # retry allowed
        assert round_.status == "queued"
        with pytest.raises(NotAllowed):
            matchmaking.request_run(_user(coordinator), round_)
