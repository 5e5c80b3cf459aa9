"""Property: no form and no JSON endpoint answers 5xx, and a refused request saves nothing.

The POST/PUT/PATCH/DELETE routes come from ``app.url_map``; form fields from every WTForms class of
the app (by their type: text, number, date), JSON keys from the API. Values are the awkward ones:
NUL, bidi controls, 100 kB strings, negative and 64-bit integers, years 1 and 9999.
"""
from __future__ import annotations

import hashlib

from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from wtforms.fields.core import UnboundField

from mentoring.extensions import db
from mentoring.models import Base, Proposal
from tests.conftest import login
from tests.mentoring.test_no_500 import make_pair, url_for_rule

# Field names read from request.form by views directly (not through a WTForms class).
EXTRA_FIELDS = {"side": "text", "proposal": "int", "action": "text", "next": "text", "lang": "text",
                "reason": "text", "mentor-user_id": "int", "mentee-user_id": "int"}
JSON_KEYS = {"decision": ("approve", "reject", "endorse", "decline"), "reason": (), "version": (),
             "side": ("mentor", "mentee")}

TEXT = st.one_of(
    st.sampled_from(["", "\x00", "a\x00b", "\u202e\u2066evil\u2069", "\ufeff", "x" * 100_000, "0", "-1",
                     "<script>alert(1)</script>", "'; DROP TABLE city; --", "Lyon", "y", "on"]),
    st.text(max_size=30),
)
INTEGER = st.one_of(st.sampled_from([0, -1, 1, 2, 3, 2**31, 2**63, -(2**63) - 1, 10**30]),
                    st.integers(min_value=-(2**70), max_value=2**70))
DATE = st.sampled_from(["0001-01-01", "9999-12-31", "0001-01-01T00:00", "9999-12-31T23:59", "2026-02-30",
                        "2026-06-01", "2026-06-01T10:00", "tomorrow", ""])


def _form_fields() -> dict[str, str]:
    """Every field name of every WTForms class of the app, with its role: text, int, date, bool."""
    fields = dict(EXTRA_FIELDS)
    seen, stack = set(), [FlaskForm]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    for cls in seen:
        if not cls.__module__.startswith("mentoring"):
            continue
        for name in dir(cls):
            value = getattr(cls, name, None)
            if not isinstance(value, UnboundField):
                continue
            kind = value.field_class.__name__
            role = ("int" if kind in ("IntegerField", "DecimalField", "FloatField", "IntegerRangeField")
                    else "date" if "Date" in kind or "Time" in kind
                    else "bool" if kind == "BooleanField" else "text")
            fields.setdefault(name, role)
    assert len(fields) > 20, "the app's forms were not found"
    return fields


def _value(role: str):
    return {"int": st.one_of(INTEGER.map(str), TEXT), "date": st.one_of(DATE, TEXT),
            "bool": st.sampled_from(["y", "", "\x00"]), "text": TEXT}[role]


JSON_VALUE = st.one_of(st.none(), st.booleans(), INTEGER, st.floats(), TEXT, st.lists(st.integers(), max_size=3),
                       st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


def _snapshot() -> str:
    """A checksum of every row of every table."""
    digest = hashlib.sha256()
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            digest.update(repr((table.name, sorted(map(repr, rows)))).encode())
    return digest.hexdigest()


def _world(app, make_user, make_city):
    """Two cities with the longest names, a round, its proposal approved (so a mentorship exists)."""
    admin = make_user(role="admin", email="admin@example.org", name="Ada Admin")
    proposal_id = make_pair(app, make_user, make_city, admin)
    client = app.test_client()
    login(client, admin)
    with app.app_context():
        version = db.session.get(Proposal, proposal_id).version
    approved = client.post(f"/api/proposals/{proposal_id}/decision", json={"decision": "approve", "version": version})
    assert approved.status_code == 200
    return admin


def _write_rules(app):
    rules = []
    for rule in app.url_map.iter_rules():
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            if method in rule.methods:
                rules.append((rule, method))
    assert len(rules) > 30, "the app's write routes were not found"
    return sorted(rules, key=lambda item: (item[0].rule, item[1]))


@st.composite
def requests(draw, rules, fields):
    rule, method = draw(st.sampled_from(rules))
    url = url_for_rule(rule, lambda: draw(st.sampled_from([1, 2, 3, 2**31 - 1])))
    if rule.rule.startswith("/api/"):
        keys = draw(st.lists(st.sampled_from(sorted(JSON_KEYS)), unique=True, max_size=4))
        body = {}
        for key in keys:
            choices = JSON_KEYS[key]
            body[key] = draw(st.one_of(st.sampled_from(choices), JSON_VALUE) if choices else JSON_VALUE)
        return method, url, {"json": body}
    names = draw(st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=8))
    return method, url, {"data": {name: draw(_value(fields[name])) for name in names}}


_built: dict = {}


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_form_or_json_endpoint_answers_5xx_or_half_saves(app, make_user, make_city, data):
    # Function-scoped fixtures are set up once for all the examples: one world per backend.
    if _built.get("app") is not app:
        _built.update(app=app, rules=_write_rules(app), fields=_form_fields(),
                      admin=_world(app, make_user, make_city))
    method, url, payload = data.draw(requests(_built["rules"], _built["fields"]))
    client = app.test_client()
    login(client, _built["admin"])
    with app.app_context():
        before = _snapshot()
    response = client.open(url, method=method, **payload)
    assert response.status_code < 500, (method, url, response.status_code)
    if response.status_code >= 400:
        with app.app_context():
            assert _snapshot() == before, (method, url, response.status_code)
