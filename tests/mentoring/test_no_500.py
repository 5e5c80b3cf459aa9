"""No input answers 500 (issue #8 §4): out-of-range ids and pages, NUL bytes, deep JSON, long names.

Each rule is checked over every route of ``app.url_map`` it concerns, on SQLite and PostgreSQL.
"""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from mentoring.extensions import db
from mentoring.inputs import INT4_MAX, PAGE_ARG_MAX
from mentoring.models import Commission, Notification, OutboxMessage, Proposal, User
from tests.conftest import login
from tests.mentoring.rounds.conftest import (
    MENTEE_AREAS,
    MENTOR_AREAS,
    add_profile,
    open_and_run,
)

_INT_PART = re.compile(r"<int(?:\([^)]*\))?:\w+>")
_ANY_PART = re.compile(r"<[^>]+>")
FILTERS = ("q", "country", "language", "commission", "strong", "needs", "region", "status", "state", "role")


def url_for_rule(rule, number) -> str:
    """The rule's path with every ``int`` part set to ``number`` (or ``number()`` when it is a
    function) and any other part to ``x``."""
    value = number if callable(number) else (lambda: number)
    return _ANY_PART.sub("x", _INT_PART.sub(lambda _match: str(value()), rule.rule))


def method_of(rule) -> str:
    return next(m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m in rule.methods)


def int_rules(app):
    rules = [r for r in app.url_map.iter_rules()
             if any(isinstance(c, IntegerConverter) for c in r._converters.values())]
    assert len(rules) > 20, "the app's <int:…> routes were not found"
    return rules


def plain_get_rules(app):
    return [r for r in app.url_map.iter_rules()
            if "GET" in r.methods and not r.arguments and r.endpoint != "static"]


@pytest.fixture
def admin(make_user):
    return make_user(role="admin", email="admin@example.org", name="Ada Admin")


@pytest.fixture
def admin_client(client, admin):
    login(client, admin)
    return client


def test_int_parts_are_bounded_to_int4_in_routing(app):
    adapter = app.url_map.bind("localhost")
    for rule in int_rules(app):
        method = method_of(rule)
        adapter.match(url_for_rule(rule, INT4_MAX), method=method)  # still routed
        with pytest.raises(NotFound):
            adapter.match(url_for_rule(rule, INT4_MAX + 1), method=method)


@pytest.mark.parametrize("number", [INT4_MAX + 1, 2**63, 10**30])
def test_every_int_route_answers_404_on_numbers_beyond_any_id(app, admin_client, number):
    for rule in int_rules(app):
        url = url_for_rule(rule, number)
        response = admin_client.open(url, method=method_of(rule))
        assert response.status_code == 404, (url, response.status_code)
    # In range but missing: the view's own 404, no database overflow either.
    assert admin_client.get(f"/cities/{INT4_MAX}").status_code == 404


def _round(app, admin) -> int:
    from mentoring.services import matchmaking

    with app.app_context():
        commission_id = db.session.scalar(select(Commission.id).where(Commission.key == "digital_cities"))
        actor = db.session.get(User, admin.id)
        round_ = matchmaking.open_round(actor, name="Page round", commission_ids=[commission_id], params={})
        db.session.commit()
        return round_.id


def test_page_arguments_out_of_range_are_404_on_every_listing(app, admin_client, admin, make_city):
    make_city("Lyon", "FR")
    round_id = _round(app, admin)
    listings = ["/cities/", "/admin/", "/mentorships/", "/auth/notifications", f"/rounds/{round_id}",
                f"/api/rounds/{round_id}/proposals", "/cities/verification"]
    for url in listings:
        for query in (f"page={4 * 10**17}", f"per_page={10**18}", f"page={PAGE_ARG_MAX + 1}"):
            response = admin_client.get(f"{url}?{query}")
            assert response.status_code == 404, (url, query, response.status_code)
        # Far but possible pages are simply empty; nonsense shows the first page.
        for query in (f"page={PAGE_ARG_MAX}", "page=-3", "page=abc", "page=0"):
            status = admin_client.get(f"{url}?{query}").status_code
            assert status == 200 or (url.startswith("/api/") and status == 422), (url, query, status)
    # The rule is app-wide: any page, including JSON answers in the JSON error shape.
    for rule in plain_get_rules(app):
        assert admin_client.get(f"{rule.rule}?page={10**20}").status_code == 404, rule.rule
    body = admin_client.get(f"/api/rounds/{round_id}/proposals?page={10**20}").get_json()
    assert set(body) == {"message", "errors"}


def test_a_nul_byte_in_any_query_argument_is_400(app, admin_client):
    for rule in plain_get_rules(app):
        for name in FILTERS:
            response = admin_client.get(f"{rule.rule}?{name}=a%00b")
            assert response.status_code == 400, (rule.rule, name, response.status_code)
    page = admin_client.get("/cities/?q=%00")
    assert "cannot be stored" in page.get_data(as_text=True)
    assert admin_client.get("/cities/export.csv?region=%00").status_code == 400
    assert admin_client.get("/admin/?q=x%00").status_code == 400


def test_a_nul_byte_in_a_form_field_or_json_string_is_400_and_nothing_is_saved(app, client, admin_client):
    with app.app_context():
        users = db.session.scalar(select(func.count()).select_from(User))
    response = client.post("/auth/register", data={
        "email": "nul@example.org", "name": "Nul\x00l", "password": "a long password 1",
        "confirm": "a long password 1"})
    assert response.status_code == 400
    response = admin_client.post("/api/proposals/1/decision", json={"decision": "approve\x00", "version": 1})
    assert response.status_code == 400 and set(response.get_json()) == {"message", "errors"}
    response = admin_client.post("/api/proposals/1/decision",
                                 data='{"decision": "approve", "reason": "\\ud800"}',
                                 content_type="application/json")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == users


def make_pair(app, make_user, make_city, coordinator, name_length: int = 120) -> int:
    """A mentor and a mentee city whose names have ``name_length`` characters; a proposal for them."""
    mentor_rep = make_user(email="rep-mentor@example.org", name="R" * 120)
    mentee_rep = make_user(email="rep-mentee@example.org", name="S" * 120)
    mentor = make_city(("Mentorville-" * 20)[:name_length], "FR", capacity=2,
                       members=[(mentor_rep, "representative")], practices="open data portal")
    mentee = make_city(("Menteeburg-" * 20)[:name_length], "SN", wants_mentor=True, region="africa",
                       members=[(mentee_rep, "representative")], needs="needs open data")
    add_profile(app, mentor, areas=MENTOR_AREAS)
    add_profile(app, mentee, areas=MENTEE_AREAS)
    open_and_run(app, coordinator)
    with app.app_context():
        return db.session.scalar(select(Proposal.id).order_by(Proposal.id))


def test_deep_json_is_a_400_in_the_json_error_shape(app, make_user, make_city, admin, admin_client):
    proposal_id = make_pair(app, make_user, make_city, admin, name_length=20)
    for depth in (5000, 200):
        deep = "[" * depth + "]" * depth
        for body in (deep, '{"decision": ' + deep + "}"):
            response = admin_client.post(f"/api/proposals/{proposal_id}/decision", data=body,
                                         content_type="application/json")
            assert response.status_code == 400, (depth, response.status_code)
            assert set(response.get_json()) == {"message", "errors"}
    # Every JSON endpoint loads through the same provider.
    assert app.json.loads("[" * 10 + "]" * 10) == [[[[[[[[[[]]]]]]]]]]
    with pytest.raises(ValueError):
        app.json.loads("[" * 5000 + "]" * 5000)


def test_approving_a_pair_with_the_longest_city_names(app, make_user, make_city, admin, admin_client):
    proposal_id = make_pair(app, make_user, make_city, admin, name_length=120)
    version = admin_client.get(f"/api/proposals/{proposal_id}").get_json()["version"]
    response = admin_client.post(f"/api/proposals/{proposal_id}/decision",
                                 json={"decision": "approve", "version": version, "reason": "A" * 1000})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["proposal"]["state"] == "approved"
    with app.app_context():
        subjects = db.session.scalars(select(OutboxMessage.subject)).all()
        messages = db.session.scalars(select(Notification.message)).all()
    assert subjects and messages
    limit = OutboxMessage.__table__.c.subject.type.length
    assert all(len(s) <= limit for s in subjects)
    # A subject too long for its column keeps its start and says it was cut.
    assert any(s.endswith("…") and "Mentorville" in s for s in subjects)


def test_stored_strings_fit_their_columns_or_the_change_is_refused(app, ctx, admin):
    from mentoring.models import City
    from mentoring.models.base import shorten
    from mentoring.services import ServiceError

    assert shorten("abcdef", 4) == "abc…" and shorten("abc", 4) == "abc"
    message = OutboxMessage(recipient="a@example.org", subject="x" * 500 + "\x00", body="b\x00ody")
    db.session.add(message)
    db.session.flush()
    assert len(message.subject) == 200 and message.subject.endswith("…") and message.body == "body"
    db.session.add(City(name="N" * 121, country="FR", region="europe", status="verified"))
    with pytest.raises(ServiceError) as error:
        db.session.flush()
    assert set(error.value.errors) == {"name"}
    db.session.rollback()
    db.session.add(City(name="Big", country="FR", region="europe", status="verified", population=2**63))
    with pytest.raises(ServiceError) as error:
        db.session.flush()
    assert set(error.value.errors) == {"population"}
    db.session.rollback()


def test_the_check_leaves_well_formed_requests_alone(admin_client):
    assert admin_client.get("/cities/?q=Lyon&page=2").status_code == 200
    assert admin_client.post("/api/proposals/1/decision", data=json.dumps({"decision": "approve"}),
                             content_type="application/json").status_code in (404, 422)
