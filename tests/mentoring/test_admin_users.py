"""Administration of people: list, search, roles, deactivation, the CLI; and who may do it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import AuditEvent, User
from tests.conftest import login
from tests.html import texts, visible_text

PASSWORD = "correct horse battery"


def get_user(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def admin_client(app, make_user):
    admin = make_user(role="admin", name="Ada Admin", email="ada@example.org")
    client = app.test_client()
    login(client, admin)
    client.admin = admin
    return client


def test_user_list_search_filter_and_pagination(app, admin_client, make_user):
    app.config["USERS_PER_PAGE"] = 2
    make_user(name="Zoe Coordinator", role="coordinator", email="zoe@city.example")
    make_user(name="Bruno Bianchi", email="bruno@comune.example")
    make_user(name="Carla 100%_ok", email="carla@example.org")
    page = admin_client.get("/admin/").get_data(as_text=True)
    rows = " | ".join(texts(page, "tbody tr"))
    assert "ada@example.org" in rows and "Bruno Bianchi" in rows and "Zoe" not in rows
    assert "Page 1 of 2" in visible_text(page)
    assert "Zoe Coordinator" in " | ".join(texts(admin_client.get("/admin/?page=2"), "tbody tr"))
    found = " | ".join(texts(admin_client.get("/admin/?q=COMUNE"), "tbody tr"))
    assert "Bruno Bianchi" in found and "ada@example.org" not in found
    assert "Carla" in " | ".join(texts(admin_client.get("/admin/?q=100%25_"), "tbody tr"))
    literal = texts(admin_client.get("/admin/?q=0%25_"), "tbody tr")  # % and _ are literal
    assert [row.split()[0] for row in literal] == ["Carla"]
    coordinators = admin_client.get("/admin/?role=coordinator", headers={"Accept": "application/json"}).get_json()
    assert [u["name"] for u in coordinators["users"]] == ["Zoe Coordinator"]
    assert "password_hash" not in coordinators["users"][0] and "session_token" not in coordinators["users"][0]
    assert admin_client.get("/admin/?page=99").status_code == 200


def test_change_role_is_audited_and_takes_effect_at_once(app, admin_client, make_user):
    user = make_user(name="Rui")
    client = app.test_client()
    login(client, user)
    assert client.get("/admin/").status_code == 403
    response = admin_client.post(f"/admin/users/{user.id}/role", data={"role": "admin", "reason": "New secretariat"})
    assert response.status_code == 302
    assert get_user(app, user.id).role == "admin"
    assert client.get("/admin/").status_code == 200
    [event] = events(app, "user.set_role")
    assert event.actor_id == admin_client.admin.id and event.after == {"role": "admin"}
    assert event.before == {"role": None} and event.reason == "New secretariat"
    admin_client.post(f"/admin/users/{user.id}/role", data={"role": "none"})
    assert get_user(app, user.id).role is None
    assert admin_client.post(f"/admin/users/{user.id}/role", data={"role": "superuser"}).status_code == 422
    page = admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "user.set_role" in page and "New secretariat" in page


def test_admin_cannot_demote_or_deactivate_themselves_nor_promote_unconfirmed(app, admin_client, make_user):
    me = admin_client.admin
    assert admin_client.post(f"/admin/users/{me.id}/role", data={"role": "none"}).status_code == 409
    assert admin_client.post(f"/admin/users/{me.id}/active", data={"active": "0"}).status_code == 409
    assert get_user(app, me.id).role == "admin" and get_user(app, me.id).active
    unconfirmed = make_user(confirmed=False)
    response = admin_client.post(f"/admin/users/{unconfirmed.id}/role", data={"role": "coordinator"},
                                 headers={"Accept": "application/json"})
    assert response.status_code == 409 and "role" in response.get_json()["errors"]
    assert get_user(app, unconfirmed.id).role is None


def test_deactivation_ends_sessions_and_reactivation_allows_sign_in(app, admin_client, make_user):
    user = make_user()
    client = app.test_client()
    login(client, user)
    assert client.get("/auth/account").status_code == 200
    assert admin_client.post(f"/admin/users/{user.id}/active", data={"active": "0", "access_reason": "Left"}).status_code == 302
    after = get_user(app, user.id)
    assert not after.active and after.session_token != user.session_token
    assert client.get("/auth/account").status_code == 302
    fresh = app.test_client()
    assert fresh.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 200
    # Repeating the request changes nothing more.
    admin_client.post(f"/admin/users/{user.id}/active", data={"active": "0"})
    assert len(events(app, "user.deactivate")) == 1
    admin_client.post(f"/admin/users/{user.id}/active", data={"active": "1"})
    assert get_user(app, user.id).active
    assert fresh.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    assert len(events(app, "user.activate")) == 1
    assert admin_client.post(f"/admin/users/{user.id}/active", data={"active": "maybe"}).status_code == 422
    assert admin_client.post("/admin/users/999999/active", data={"active": "0"}).status_code == 404


def test_admin_forms_ignore_protected_fields(app, admin_client, make_user):
    """Family C: only the role (resp. the active flag) changes, whatever else is sent."""
    user = make_user()
    admin_client.post(f"/admin/users/{user.id}/role", data={
        "role": "coordinator", "email": "x@evil.example", "name": "Evil", "active": "0",
        "session_token": "chosen", "password_hash": "x", "id": "5", "email_confirmed_at": ""})
    after = get_user(app, user.id)
    assert after.role == "coordinator" and after.email == user.email and after.name == user.name
    assert after.active and after.session_token == user.session_token and after.password_hash == user.password_hash


def test_cli_users_create_set_role_deactivate(app, runner):
    result = runner.invoke(args=["users", "create", "cli@example.org", "--name", "Cli Person", "--role",
                                 "coordinator", "--password", "a long enough secret"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "cli@example.org"))
        token, user_id = user.session_token, user.id
    assert user.role == "coordinator" and user.is_confirmed
    assert runner.invoke(args=["users", "set-role", "CLI@example.org", "admin"]).exit_code == 0
    assert get_user(app, user_id).role == "admin"
    result = runner.invoke(args=["users", "deactivate", "cli@example.org", "--reason", "test"])
    assert result.exit_code == 0 and not get_user(app, user_id).active
    assert get_user(app, user_id).session_token != token
    assert runner.invoke(args=["users", "activate", "cli@example.org"]).exit_code == 0
    assert get_user(app, user_id).active
    missing = runner.invoke(args=["users", "set-role", "nobody@example.org", "admin"])
    assert missing.exit_code != 0 and "No account" in missing.output
    weak = runner.invoke(args=["users", "create", "weak@example.org", "--name", "W", "--password", "short"])
    assert weak.exit_code != 0 and "at least 10" in weak.output


# --- Family B: who may reach the account and administration routes --------------------------

ROLES = ("anonymous", "user", "coordinator", "admin")
# (method, url template, rule); {other} is another person's user id.
ROUTES = [
    ("GET", "/auth/login", "public"),
    ("GET", "/auth/register", "public"),
    ("GET", "/auth/check-mail", "public"),
    ("GET", "/auth/forgot-password", "public"),
    ("GET", "/auth/account", "login"),
    ("GET", "/auth/account/password", "login"),
    ("GET", "/auth/account/data", "login"),
    ("GET", "/auth/notifications", "login"),
    ("POST", "/auth/notifications/read", "login"),
    ("POST", "/auth/confirm/resend", "login"),
    ("GET", "/admin/", "admin"),
    ("GET", "/admin/users/{other}", "admin"),
    ("POST", "/admin/users/{other}/role", "admin"),
    ("POST", "/admin/users/{other}/active", "admin"),
]


@pytest.mark.parametrize("as_json", [False, True], ids=["html", "json"])
def test_access_matrix(app, make_user, as_json):
    people = {
        "user": make_user(email="plain@example.org"),
        "coordinator": make_user(role="coordinator", email="coord@example.org"),
        "admin": make_user(role="admin", email="boss@example.org"),
    }
    other = make_user(email="other@example.org", role="coordinator")
    headers = {"Accept": "application/json"} if as_json else {}
    cells = unexpected = 0
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            login(client, people[role])
        for method, template, rule in ROUTES:
            url = template.format(other=other.id)
            data = {"role": "none", "active": "0"} if method == "POST" and role != "admin" else {}
            response = client.open(url, method=method, headers=headers, data=data)
            code = response.status_code
            allowed = (
                rule == "public"
                or (rule == "login" and role != "anonymous")
                or (rule == "admin" and role == "admin")
            )
            if allowed:
                ok = code in ((200, 302, 422) if method == "POST" else (200, 302)) and not (code == 302 and "/auth/login" in response.headers["Location"])
            elif role == "anonymous":
                ok = code == 401 if as_json else (code == 302 and "/auth/login" in response.headers["Location"])
            else:
                ok = code == 403
                if as_json:
                    ok = ok and set(response.get_json()) == {"message", "errors"}
            cells += 1
            unexpected += not ok
            assert ok, (role, method, url, code)
    after = get_user(app, other.id)
    assert after.role == "coordinator" and after.active  # nobody but the admin could change them
    print(f"cells checked = {cells}; unexpected allow = {unexpected}")
