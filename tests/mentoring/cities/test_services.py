"""The city services: registration, verification, invitations, identity and assessments."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    AuditEvent,
    City,
    CityInvitation,
    CityMember,
    Notification,
    OutboxMessage,
    User,
    utcnow,
)
from mentoring.services import Conflict, NotAllowed, ServiceError
from mentoring.services import cities as service
from tests.mentoring.cities.conftest import get_city


def _user(user):
    return db.session.get(User, user.id)


def _events(action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_register_city_makes_the_user_its_representative_and_fills_defaults(ctx, make_user):
    user = make_user()
    city = service.register_city(_user(user), name="  Lyon ", country="fr", languages=["fr", "en"])
    db.session.commit()
    city = get_city(city.id)
    assert (city.name, city.country, city.status) == ("Lyon", "FR", "pending")
    assert city.region == "europe"  # from the country
    assert city.timezone == "Europe/Paris"
    assert city.latitude is not None and city.population  # GeoNames knows Lyon
    assert city.language_codes == ["fr", "en"]
    member = db.session.get(CityMember, (city.id, user.id))
    assert member.role == "representative"
    [event] = _events("city.register")
    assert event.actor_id == user.id and event.after["name"] == "Lyon"


def test_register_city_refuses_an_unconfirmed_user(ctx, make_user):
    user = make_user(confirmed=False)
    with pytest.raises(NotAllowed, match="confirm your e-mail"):
        service.register_city(_user(user), name="Lyon", country="FR")
    assert db.session.scalar(select(func.count(City.id))) == 0


@pytest.mark.parametrize("fields, field", [
    ({"name": "", "country": "FR"}, "name"),
    ({"name": "X", "country": "ZZ"}, "country"),
    ({"name": "X", "country": "FR", "region": "atlantis"}, "region"),
    ({"name": "X", "country": "FR", "languages": ["xx"]}, "languages"),
    ({"name": "X", "country": "FR", "website": "javascript:alert(1)"}, "website"),
    ({"name": "X", "country": "FR", "mentor_capacity": 21}, "mentor_capacity"),
    ({"name": "X", "country": "FR", "latitude": 91}, "latitude"),
    ({"name": "X", "country": "FR", "longitude": -181}, "longitude"),
    ({"name": "X", "country": "FR", "population": -1}, "population"),
    ({"name": "X", "country": "FR", "timezone": "Mars/Olympus"}, "timezone"),
    ({"name": "X", "country": "FR", "commissions": ["nope"]}, "commissions"),
])
def test_register_city_validates_each_field(ctx, make_user, fields, field):
    user = make_user()
    with pytest.raises(ServiceError) as error:
        service.register_city(_user(user), **fields)
    assert field in error.value.errors


def test_one_city_per_name_and_country(ctx, make_user, make_city):
    make_city("Lyon", "FR")
    user = make_user()
    with pytest.raises(ServiceError) as error:
        service.register_city(_user(user), name="Lyon", country="FR")
    assert "name" in error.value.errors
    assert service.register_city(_user(user), name="Lyon", country="US").region == "north_america"


def test_verification_transitions_notify_and_audit(ctx, people, make_city):
    city = make_city("Gamma", "IT", status="pending", members=[(people.rep_a, "representative")])
    coordinator = _user(people.coordinator)
    c = get_city(city.id)
    service.change_status(c, coordinator, "verify")
    assert c.status == "verified" and c.verified_by_id == coordinator.id and c.verified_at
    with pytest.raises(ServiceError) as error:
        service.change_status(c, coordinator, "suspend", "  ")
    assert "reason" in error.value.errors
    service.change_status(c, coordinator, "suspend", "Representative left")
    assert (c.status, c.status_reason) == ("suspended", "Representative left")
    service.change_status(c, coordinator, "reinstate", None)
    assert c.status == "verified"
    db.session.commit()
    actions = [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "city", AuditEvent.object_id == str(city.id))
        .order_by(AuditEvent.id))]
    assert actions == ["city.verify", "city.suspend", "city.reinstate"]
    suspend = _events("city.suspend")[0]
    assert suspend.before["status"] == "verified" and suspend.after["status"] == "suspended"
    assert suspend.reason == "Representative left"
    notes = list(db.session.scalars(select(Notification).where(Notification.user_id == people.rep_a.id)))
    assert len(notes) == 3 and all(n.link == f"/cities/{city.id}" for n in notes)
    mails = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "rep.a@example.org")))
    assert len(mails) == 3 and "Representative left" in mails[1].body


def test_rejection_needs_a_reason_and_reinstating_reopens_review(ctx, people, make_city):
    city = get_city(make_city("Delta", "PT", status="pending").id)
    coordinator = _user(people.coordinator)
    with pytest.raises(ServiceError):
        service.change_status(city, coordinator, "reject", "")
    service.change_status(city, coordinator, "reject", "Not a local government")
    assert city.status == "rejected"
    service.change_status(city, coordinator, "reinstate", "New documents")
    assert city.status == "pending"


@pytest.mark.parametrize("status, action", [
    ("verified", "verify"), ("verified", "reject"), ("verified", "reinstate"),
    ("pending", "suspend"), ("pending", "reinstate"), ("suspended", "verify"),
    ("suspended", "suspend"), ("rejected", "verify"), ("rejected", "suspend"),
])
def test_impossible_transitions_are_refused(ctx, people, make_city, status, action):
    city = get_city(make_city("Epsilon", "PT", status=status).id)
    with pytest.raises(NotAllowed):
        service.change_status(city, _user(people.coordinator), action, "because")
    assert get_city(city.id).status == status
    assert _events(f"city.{action}") == []


def test_invitation_round_trip_stores_only_a_hash(ctx, people, make_user):
    newcomer = make_user("new.person@example.org")  # before this session opens a write transaction
    city = get_city(people.city_a.id)
    invitation, token = service.invite_member(city, _user(people.rep_a), "New.Person@Example.org", "mentor")
    db.session.commit()
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "new.person@example.org"))
    assert token in mail.body
    member = service.accept_invitation(token, _user(newcomer))
    db.session.commit()
    assert (member.city_id, member.role) == (city.id, "mentor")
    assert _events("city.join")[0].actor_id == newcomer.id
    with pytest.raises(NotAllowed, match="already used"):
        service.accept_invitation(token, _user(newcomer))


def test_invitation_refuses_a_user_whose_email_is_unconfirmed(ctx, people, make_user):
    newcomer = make_user("unconfirmed@example.org", confirmed=False)
    city = get_city(people.city_a.id)
    _invitation, token = service.invite_member(city, _user(people.rep_a), "unconfirmed@example.org", "mentor")
    db.session.commit()
    with pytest.raises(NotAllowed, match="confirm your e-mail address"):
        service.accept_invitation(token, _user(newcomer))
    db.session.rollback()
    assert db.session.get(CityMember, (city.id, newcomer.id)) is None
    assert db.session.scalar(select(CityInvitation.accepted_at)) is None
    assert _events("city.join") == []


def test_invitation_refuses_wrong_email_expired_and_unknown(ctx, people, make_user):
    someone = make_user("someone@example.org")
    city = get_city(people.city_a.id)
    _invitation, token = service.invite_member(city, _user(people.rep_a), "someone@example.org", "representative")
    db.session.commit()
    with pytest.raises(NotAllowed, match="another e-mail"):
        service.accept_invitation(token, _user(people.rep_b))
    assert db.session.get(CityMember, (city.id, people.rep_b.id)) is None
    with pytest.raises(NotAllowed, match="not valid"):
        service.accept_invitation("forged-token", _user(people.rep_b))
    invitation = db.session.scalar(select(CityInvitation))
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(NotAllowed, match="expired"):
        service.accept_invitation(token, _user(someone))


def test_invite_validates_and_only_representatives_invite(ctx, people):
    city = get_city(people.city_a.id)
    with pytest.raises(ServiceError) as error:
        service.invite_member(city, _user(people.rep_a), "not-an-email", "boss")
    assert set(error.value.errors) == {"email", "role"}
    with pytest.raises(ServiceError) as error:
        service.invite_member(city, _user(people.rep_a), "mentor.a@example.org", "mentor")
    assert "email" in error.value.errors  # already a member
    with pytest.raises(NotAllowed):
        service.invite_member(city, _user(people.mentor_a), "x@example.org", "mentor")


def test_the_last_representative_cannot_be_removed(ctx, people):
    city = get_city(people.city_a.id)
    with pytest.raises(NotAllowed, match="last representative"):
        service.remove_member(city, _user(people.rep_a), people.rep_a.id)
    service.remove_member(city, _user(people.rep_a), people.mentor_a.id)
    db.session.commit()
    assert db.session.get(CityMember, (city.id, people.mentor_a.id)) is None
    assert _events("city.remove_member")[0].before == {"user": people.mentor_a.id, "role": "mentor"}


def test_update_identity_checks_the_version_and_audits_changes(ctx, people):
    city = get_city(people.city_a.id)
    version = city.version
    service.update_identity(city, _user(people.rep_a), version, population=250_000, languages=["fr"],
                            commissions=["urban_mobility"], region="")
    db.session.commit()
    city = get_city(city.id)
    assert city.version == version + 1
    assert (city.population, city.language_codes, city.commission_keys) == (250_000, ["fr"], ["urban_mobility"])
    [event] = _events("city.update")
    assert event.before == {"population": 100_000, "languages": ["fr", "en"], "commissions": []}
    assert event.after == {"population": 250_000, "languages": ["fr"], "commissions": ["urban_mobility"]}
    with pytest.raises(Conflict):
        service.update_identity(city, _user(people.rep_a), version, population=1)
    with pytest.raises(TypeError):
        service.update_identity(city, _user(people.rep_a), city.version, status="verified")


def test_assessments_keep_history_and_one_current_row(ctx, people):
    city = get_city(people.city_a.id)
    rep = _user(people.rep_a)
    values = {"open_data": {"maturity": 2, "need": 3, "can_mentor": False, "evidence": "Portal"},
              "broadband": {"maturity": 4, "need": 0, "can_mentor": True, "evidence": ""}}
    assert service.set_assessments(city, values, rep) == 2
    db.session.commit()
    assert service.set_assessments(city, values, rep) == 0  # unchanged: no new rows
    values["open_data"]["maturity"] = 3
    assert service.set_assessments(city, values, rep) == 1
    db.session.commit()
    rows = list(db.session.scalars(
        select(Assessment).where(Assessment.city_id == city.id).order_by(Assessment.id)))
    open_data = [r for r in rows if r.area.key == "open_data"]
    assert [(r.maturity, r.is_current) for r in open_data] == [(2, False), (3, True)]
    assert all(r.assessed_by_id == rep.id and r.assessed_at for r in rows)
    assert sorted(a.area.key for a in get_city(city.id).assessments) == ["broadband", "open_data"]
    events = _events("city.assess")
    assert len(events) == 2
    assert events[1].before == {"open_data": {"maturity": 2, "need": 3, "can_mentor": False, "evidence": "Portal"}}
    # Clearing an area retires its current assessment.
    assert service.set_assessments(city, {"broadband": {"maturity": None, "need": None}}, rep) == 1
    db.session.commit()
    assert [a.area.key for a in get_city(city.id).assessments] == ["open_data"]


@pytest.mark.parametrize("value, field", [
    ({"maturity": 2, "need": 1, "can_mentor": True}, "open_data_can_mentor"),
    ({"maturity": 5}, "open_data_maturity"),
    ({"maturity": -1}, "open_data_maturity"),
    ({"maturity": 2, "need": 4}, "open_data_need"),
    ({"maturity": "two"}, "open_data_maturity"),
    ({"maturity": None, "need": 2}, "open_data_maturity"),
    ({"maturity": 1, "evidence": "x" * (rules.TEXT_MAX + 1)}, "open_data_evidence"),
])
def test_assessment_validation_is_all_or_nothing(ctx, people, value, field):
    city = get_city(people.city_a.id)
    values = {"broadband": {"maturity": 4, "need": 0, "can_mentor": True}, "open_data": value}
    with pytest.raises(ServiceError) as error:
        service.set_assessments(city, values, _user(people.rep_a))
    assert field in error.value.errors
    db.session.rollback()
    assert db.session.scalar(select(func.count(Assessment.id))) == 0
