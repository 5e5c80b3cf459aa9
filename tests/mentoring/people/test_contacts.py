"""Programme contacts: recorded by the city's people or a coordinator, shown to the paired city."""
from __future__ import annotations

from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import AuditEvent, City, ProgrammeContact, Proposal, utcnow
from mentoring.services import contacts
from mentoring.services import mail_preferences as preferences
from tests.conftest import login
from tests.mentoring.people.conftest import approve_directly

CONTACT = {"name": "Mateo Méndez", "email": "Mateo@CDMX.example", "role": "International relations",
           "languages": "es, en", "timezone": "America/Mexico_City", "show_email": "y"}


def test_coordinator_records_a_contact_and_bad_input_is_refused(app, client, world):
    login(client, world.coordinator)
    url = f"/people/cities/{world.mexico_id}/contacts"
    assert client.get(url).status_code == 200
    assert client.post(url, data=CONTACT | {"email": "not-an-address"}).status_code == 422
    assert client.post(url, data=CONTACT | {"languages": "spanish"}).status_code == 422
    assert client.post(url, data=CONTACT | {"timezone": "Mars/Olympus"}).status_code == 422
    assert client.post(url, data=CONTACT).status_code == 303
    assert client.post(url, data=CONTACT).status_code == 422  # the same address twice
    with app.app_context():
        contact = db.session.scalar(select(ProgrammeContact))
        assert (contact.email, contact.languages, contact.show_email) == ("mateo@cdmx.example", ["es", "en"], True)
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "contact.add"))
    # Members of another city may not record contacts for Mexico City.
    other = app.test_client()
    login(other, world.outsider)
    assert other.post(url, data=CONTACT | {"email": "x@y.example"}).status_code == 403


def test_the_paired_city_sees_contacts_from_its_own_endorsement_on(app, world):
    with app.app_context():
        mexico = db.session.get(City, world.mexico_id)
        contacts.add_contact(world.get(world.coordinator), mexico, name="Mateo", email="mateo@cdmx.example",
                             show_email=False)
        db.session.commit()
        approve_directly(app, world.proposal_id, world.coordinator)
        proposal = db.session.get(Proposal, world.proposal_id)
        rep = world.get(world.mentor_rep)
        assert contacts.visible_for_proposal(rep, proposal) == {}  # not endorsed yet
        proposal.mentor_endorsed_at = utcnow()
        db.session.flush()
        seen = contacts.visible_for_proposal(rep, proposal)
        assert [(p.name, p.email) for p in seen["mentee"]] == [("Mateo", None)]  # e-mail hidden by choice
        assert "mentor" not in seen
        assert contacts.visible_for_proposal(world.get(world.outsider), proposal) == {}


def test_a_member_chooses_whether_their_address_is_shown(app, world):
    with app.app_context():
        pune_rep = world.get(world.mentee_rep)
        city = db.session.get(City, world.pune_id)
        assert [p.email for p in contacts.people_of(city)] == ["rep@pune.example"]
        preferences.update(pune_rep, {}, show_email=False)
        assert [p.email for p in contacts.people_of(city)] == [None]
