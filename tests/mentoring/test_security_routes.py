"""Whole-application checks over every route, so routes added later are covered automatically:
CSRF on every unsafe route and no state change on GET (SECURITY.md, family D), security headers
on every response (family F)."""
from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa
from werkzeug.routing.converters import NumberConverter

from mentoring.extensions import db
from mentoring.models import Base, Notification
from tests.conftest import login

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Endpoints that may legitimately skip CSRF (e.g. an API authenticated by a bearer token only);
# each entry needs a reason in the report. Empty: every unsafe route needs the token.
CSRF_EXEMPT: set[str] = set()


def seed(make_user, make_city):
    """One row in the main tables, so URL arguments can name existing objects."""
    admin = make_user(role="admin", email="admin@example.org")
    user = make_user(email="member@example.org")
    make_city("Lyon", members=[(user, "representative")])
    return admin, user


def _first_id(table_name: str) -> int:
    table = Base.metadata.tables.get(table_name)
    if table is None or "id" not in table.c:
        return 1
    return db.session.scalar(sa.select(sa.func.min(table.c.id))) or 1


def fill_url(rule) -> str:
    """The rule's URL with each argument replaced: ``<int:city_id>`` → the first city's id."""
    values = {}
    for name in rule.arguments:
        if isinstance(rule._converters[name], NumberConverter):  # the app's bounded int converter too
            values[name] = _first_id(name[:-3] if name.endswith("_id") else name)
        else:
            values[name] = "x"
    url = rule.rule
    for name, value in values.items():
        url = re.sub(r"<(?:[^:<>]+:)?" + re.escape(name) + r">", str(value), url)
    return url


def row_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def checksum() -> str:
    """A digest of every row of every table."""
    digest = hashlib.sha256()
    for table in Base.metadata.sorted_tables:
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        digest.update(table.name.encode())
        for row in rows:
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_every_unsafe_route_refuses_missing_or_bad_csrf_tokens(app_factory, make_user, make_city):
    admin, user = seed(make_user, make_city)
    app = app_factory(WTF_CSRF_ENABLED=True)
    checked = 0
    clients = []
    for who in (None, admin, user):
        client = app.test_client()
        if who is not None:
            login(client, who)  # signing in writes a session record: before the counts
        client.get("/")  # a session with a real CSRF token in it, which the requests below lack
        clients.append((who, client))
    with app.app_context():
        before = row_counts()
        routes = [(r, fill_url(r)) for r in app.url_map.iter_rules()
                  if r.endpoint != "static" and r.endpoint not in CSRF_EXEMPT and UNSAFE & r.methods]
    for who, client in clients:
        for rule, url in routes:
            for method in sorted(UNSAFE & rule.methods):
                for extra in ({}, {"csrf_token": "not-the-token"}):
                    data = {"name": "Changed", "email": "changed@example.org", "role": "admin", "lang": "fr", **extra}
                    response = client.open(url, method=method, data=data)
                    assert response.status_code == 400, (who, rule.endpoint, method, extra, response.status_code)
                    checked += 1
                json_response = client.open(url, method=method, json={"name": "Changed"})
                assert json_response.status_code == 400, (rule.endpoint, "json")
                checked += 1
    with app.app_context():
        assert row_counts() == before
    print(f"accepted without token = 0 (of {checked} unsafe requests over {len(routes)} routes)")
    assert routes, "no unsafe route found"


def test_no_get_route_changes_the_database(app, make_user, make_city):
    admin, user = seed(make_user, make_city)
    coordinator = make_user(role="coordinator")
    clients = []
    for who in (None, user, coordinator, admin):
        client = app.test_client()
        if who is not None:
            login(client, who)  # signing in writes a session record: before the checksum
        clients.append(client)
    with app.app_context():
        db.session.add(Notification(user_id=user.id, message="Unread"))
        db.session.commit()
        before = checksum()
        routes = [fill_url(r) for r in app.url_map.iter_rules() if r.endpoint != "static" and "GET" in r.methods]
    for client in clients:
        for url in routes:
            response = client.get(url)
            assert response.status_code < 500, (url, response.status_code)
    with app.app_context():
        assert checksum() == before
    print(f"GET routes crawled = {len(routes)} x 4 roles; database unchanged")


def check_headers(response, where):
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp, where
    assert "frame-ancestors 'none'" in csp, where
    max_age = int(headers["Strict-Transport-Security"].split("max-age=")[1].split(";")[0])
    assert max_age >= 365 * 24 * 3600, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy"), where


def test_security_headers_on_every_get_route(app, make_user, make_city):
    admin, user = seed(make_user, make_city)
    with app.app_context():
        routes = [fill_url(r) for r in app.url_map.iter_rules() if "GET" in r.methods]
    count = 0
    for who in (None, user, admin):
        client = app.test_client()
        if who is not None:
            login(client, who)
        for url in routes:
            response = client.get(url)
            check_headers(response, (who, url, response.status_code))
            response.close()
            count += 1
    print(f"responses missing a header = 0 (of {count})")


def test_pages_have_no_inline_scripts_or_styles(app, make_user):
    """The CSP forbids inline code: the pages must not need any."""
    admin = make_user(role="admin", confirmed=False)
    client = app.test_client()
    login(client, admin)
    for url in ("/auth/account", "/auth/account/password", "/auth/account/data", "/auth/notifications",
                "/admin/", f"/admin/users/{admin.id}"):
        page = client.get(url).get_data(as_text=True)
        assert re.search(r"<script(?![^>]*\bsrc=)", page) is None, url
        assert " style=" not in page and "<style" not in page, url
        assert re.search(r"<[^>]+\son[a-z]+\s*=", page) is None, url  # no onclick=… handlers
    anonymous = app.test_client()
    for url in ("/auth/login", "/auth/register", "/auth/forgot-password", "/auth/check-mail"):
        page = anonymous.get(url).get_data(as_text=True)
        assert re.search(r"<script(?![^>]*\bsrc=)", page) is None and " style=" not in page, url
