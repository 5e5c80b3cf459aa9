"""The consent gate: a memberless city is flagged, its programme contact endorses by signed link."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import AuditEvent, City, CityMember, EndorsementLink, Proposal
from mentoring.services import consent, contacts
from tests.conftest import login
from tests.mentoring.people.conftest import approve_directly, outbox


def _contact(app, world):
    with app.app_context():
        contact = contacts.add_contact(world.get(world.coordinator), db.session.get(City, world.mexico_id),
                                       name="Mateo", email="mateo@cdmx.example", languages=["es"])
        db.session.commit()
        return contact.id


def test_gaps_name_the_side_without_a_confirmed_representative(app, world):
    with app.app_context():
        proposal = db.session.get(Proposal, world.proposal_id)
        gaps = consent.gaps(proposal)
        assert [(g.side, g.city.name) for g in gaps] == [("mentee", "Mexico City")]


def test_the_gaps_follow_the_writes_made_earlier_in_the_same_request(app, world, make_user):
    """The consent gate's reads (both sides' representatives, the pair's open links) are kept for the rest
    of a request, which asks for them several times; a write in the request is seen by the next question."""
    contact_id = _contact(app, world)
    newcomer = make_user("rep@cdmx.example", name="Ximena")
    with app.test_request_context():
        proposal = db.session.get(Proposal, world.proposal_id)
        assert [(g.side, g.link_sent) for g in consent.gaps(proposal)] == [("mentee", False)]
        consent.request_by_contact(world.get(world.coordinator), proposal, contact_id)
        assert [(g.side, g.link_sent) for g in consent.gaps(proposal)] == [("mentee", True)]
        db.session.add(CityMember(city_id=world.mexico_id, user_id=newcomer.id, role="representative"))
        db.session.flush()
        assert consent.gaps(proposal) == []
        proposal.state = "approved"
        assert consent.next_step(proposal).who == ["rep@valpo.example", "rep@cdmx.example", "mateo@cdmx.example"]


def test_the_contact_endorses_once_through_the_signed_link(app, client, world):
    contact_id = _contact(app, world)
    approve_directly(app, world.proposal_id, world.coordinator)
    login(client, world.coordinator)
    page = client.get(f"/people/proposals/{world.proposal_id}/consent")
    assert page.status_code == 200
    response = client.post(f"/people/proposals/{world.proposal_id}/consent",
                           data={"action": "ask", "side": "mentee", "ask-mentee-contact": contact_id})
    assert response.status_code == 303
    with app.app_context():
        mail = outbox("mateo@cdmx.example")
        assert len(mail) == 1 and mail[0].subject.startswith("Por favor")  # the contact's language
        token = re.search(r"/people/endorse/([A-Za-z0-9_-]+)", mail[0].body).group(1)
        assert db.session.scalar(select(EndorsementLink.token_hash)) != token  # only the hash is kept
    anonymous = app.test_client()
    assert anonymous.get(f"/people/endorse/{token}").status_code == 200
    assert anonymous.post(f"/people/endorse/{token}", data={"decision": "decline"}).status_code == 422  # reason
    assert anonymous.post(f"/people/endorse/{token}", data={"decision": "endorse"}).status_code == 200
    with app.app_context():
        proposal = db.session.get(Proposal, world.proposal_id)
        assert proposal.mentee_endorsed_at is not None and proposal.state == "approved"
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"endorsement.link", "endorsement.link_endorsed"} <= actions
    again = anonymous.post(f"/people/endorse/{token}", data={"decision": "endorse"})
    assert again.status_code == 200 and "already used" in again.get_data(as_text=True)
    assert anonymous.get("/people/endorse/forged-token").status_code == 404


def test_an_expired_link_cannot_be_used(app, world):
    contact_id = _contact(app, world)
    approve_directly(app, world.proposal_id, world.coordinator)
    with app.app_context():
        proposal = db.session.get(Proposal, world.proposal_id)
        link, token = consent.request_by_contact(world.get(world.coordinator), proposal, contact_id)
        link.expires_at = link.created_at - timedelta(seconds=1)
        db.session.commit()
        assert "expired" in consent.link_problem(consent.find_link(token))
