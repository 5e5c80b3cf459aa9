"""Accounts as a person uses them: register, confirm, sign in and out, passwords, account page."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import AuditEvent, Notification, OutboxMessage, User
from tests.conftest import login
from tests.html import find, texts, visible_text

PASSWORD = "correct horse battery"


def outbox(app, recipient=None):
    with app.app_context():
        statement = select(OutboxMessage).order_by(OutboxMessage.id)
        if recipient:
            statement = statement.where(OutboxMessage.recipient == recipient)
        return [(m.recipient, m.subject, m.body) for m in db.session.scalars(statement)]


def link_in(body: str) -> str:
    """The path of the first http(s) link of a mail body."""
    url = re.search(r"https?://\S+", body).group(0)
    return "/" + url.split("/", 3)[3]


def get_user(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(user)
        return user


def signed_in(client) -> bool:
    response = client.get("/auth/account")
    return response.status_code == 200


def audit_actions(app, user_id):
    with app.app_context():
        return [e.action for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "user", AuditEvent.object_id == str(user_id))
            .order_by(AuditEvent.id)
        )]


def register(client, email="ana@example.org", password="a long enough secret", **extra):
    data = {"name": "Ana Lima", "email": email, "password": password, "confirm": password, "locale": "es"}
    data.update(extra)
    return client.post("/auth/register", data=data)


def test_register_confirm_and_sign_in(app, client):
    response = register(client, email="  Ana@Example.org ")
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/check-mail")
    assert b"Check your mail" in client.get("/auth/check-mail").data
    user = get_user(app, "ana@example.org")
    assert user.name == "Ana Lima" and user.locale == "es" and user.role is None
    assert user.email_confirmed_at is None
    [(to, subject, body)] = outbox(app)
    assert to == "ana@example.org" and "/auth/confirm/" in body
    confirm = link_in(body)
    # Opening the link changes nothing; the button does.
    page = client.get(confirm)
    assert page.status_code == 200 and b"ana@example.org" in page.data
    assert get_user(app, "ana@example.org").email_confirmed_at is None
    assert client.post(confirm).status_code == 302
    assert get_user(app, "ana@example.org").email_confirmed_at is not None
    assert client.post(confirm).status_code == 302  # twice is harmless
    # Sign in with the address in any case.
    response = client.post("/auth/login", data={"email": "ANA@example.org", "password": "a long enough secret"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert signed_in(client)
    assert audit_actions(app, user.id)[:2] == ["user.create", "user.confirm_email"]


def test_registration_refuses_weak_passwords_and_bad_input_with_field_messages(app, client):
    for password, message in [
        ("short", b"at least 10 characters"),
        ("password123", b"most common"),
        ("ana@example.org", b"e-mail address or your name"),
        ("x" * 257, b"256"),
    ]:
        response = register(client, password=password)
        assert response.status_code == 422 and message in response.data, password
    response = register(client, confirm="something else entirely")
    assert b"The two passwords differ" in response.data
    response = register(client, name="   ", email="not-an-address")
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_registration_ignores_protected_fields(app, client):
    """Family C: role, active, session token… in the body change nothing."""
    response = register(
        client, role="admin", active="0", session_token="chosen", email_confirmed_at="2020-01-01",
        password_hash="x", id="99", calendar_token="chosen",
    )
    assert response.status_code == 302
    user = get_user(app, "ana@example.org")
    assert user.role is None and user.active and user.session_token != "chosen"
    assert user.email_confirmed_at is None and user.id != 99 and user.calendar_token is None
    assert user.password_hash.startswith("$argon2id$")


def test_account_page_changes_name_and_language_only(app, client, make_user):
    user = make_user(name="Old Name")
    login(client, user)
    page = client.get("/auth/account")
    assert page.status_code == 200 and b"Old Name" in page.data
    assert b"/auth/account/data" in page.data and b"/auth/logout-everywhere" in page.data
    response = client.post("/auth/account", data={
        "name": "New Name", "locale": "fr", "role": "admin", "active": "0", "email": "evil@example.org",
        "session_token": "x", "email_confirmed_at": "", "password_hash": "x", "id": "77",
    })
    assert response.status_code == 302
    after = get_user(app, user.email)
    assert (after.name, after.locale) == ("New Name", "fr")
    assert after.role is None and after.active and after.email == user.email
    assert after.session_token == user.session_token and after.password_hash == user.password_hash
    assert after.email_confirmed_at == user.email_confirmed_at
    assert "user.update" in audit_actions(app, user.id)
    # The page now speaks French.
    assert b"Votre compte" in client.get("/auth/account").data or b'lang="fr"' in client.get("/").data
    bad = client.post("/auth/account", data={"name": "", "locale": "xx"})
    assert bad.status_code == 200 and get_user(app, user.email).name == "New Name"


def test_change_password_keeps_this_device_and_ends_the_others(app, make_user):
    user = make_user()
    this, other = app.test_client(), app.test_client()
    login(this, user)
    login(other, user)
    wrong = this.post("/auth/account/password", data={
        "current_password": "not it at all", "password": "a brand new secret", "confirm": "a brand new secret"})
    assert wrong.status_code == 422 and b"not your current password" in wrong.data
    response = this.post("/auth/account/password", data={
        "current_password": PASSWORD, "password": "a brand new secret", "confirm": "a brand new secret"})
    assert response.status_code == 302
    assert signed_in(this) and not signed_in(other)
    assert this.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302  # still in
    fresh = app.test_client()
    assert fresh.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 200
    assert fresh.post("/auth/login", data={"email": user.email, "password": "a brand new secret"}).status_code == 302
    assert "user.password_change" in audit_actions(app, user.id)
    assert any(s == "Your password was changed" for _, s, _ in outbox(app, user.email))


def test_password_reset_link_works_once_and_expires(app, client, make_user, monkeypatch):
    user = make_user(confirmed=False)
    other_device = app.test_client()
    login(other_device, user)
    response = client.post("/auth/forgot-password", data={"email": user.email.upper()})
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/check-mail")
    [(_to, _subject, body)] = outbox(app, user.email)
    reset = link_in(body)
    assert client.get(reset).status_code == 200
    weak = client.post(reset, data={"password": "short", "confirm": "short"})
    assert weak.status_code == 422 and b"at least 10 characters" in weak.data
    response = client.post(reset, data={"password": "another long secret", "confirm": "another long secret"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    after = get_user(app, user.email)
    assert after.email_confirmed_at is not None  # the link proved the mailbox
    assert not signed_in(other_device)
    # Single use: the same link is dead now.
    assert client.get(reset).status_code == 400
    again = client.post(reset, data={"password": "a third long secret", "confirm": "a third long secret"})
    assert again.status_code == 400
    assert client.post("/auth/login", data={"email": user.email, "password": "another long secret"}).status_code == 302
    # Expiry: a fresh link is refused one hour and a second later.
    import mentoring.security as security

    client.post("/auth/logout")
    client.post("/auth/forgot-password", data={"email": user.email})
    late = link_in(outbox(app, user.email)[-1][2])
    now = security.clock()
    monkeypatch.setattr(security, "clock", lambda: now + 3601)
    assert client.get(late).status_code == 400
    monkeypatch.setattr(security, "clock", lambda: now + 3500)
    assert client.get(late).status_code == 200


def test_confirmation_link_expires_and_is_bound_to_the_address(app, client, make_user, monkeypatch):
    import mentoring.security as security

    register(client)
    link = link_in(outbox(app)[-1][2])
    now = security.clock()
    monkeypatch.setattr(security, "clock", lambda: now + 24 * 3600 + 1)
    assert client.post(link).status_code == 400
    monkeypatch.undo()
    tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    assert client.post(tampered).status_code == 400
    # A reset token is not a confirmation token (different salt).
    client.post("/auth/forgot-password", data={"email": "ana@example.org"})
    reset_token = link_in(outbox(app)[-1][2]).rsplit("/", 1)[1]
    assert client.post(f"/auth/confirm/{reset_token}").status_code == 400
    assert get_user(app, "ana@example.org").email_confirmed_at is None


def test_unconfirmed_user_sees_the_banner_and_can_resend_with_a_limit(app_factory, make_user):
    app = app_factory(RATELIMIT_ENABLED=True, MAIL_LIMIT_PER_ACCOUNT="2 per hour")
    from mentoring.extensions import limiter

    with app.app_context():
        limiter.reset()
    user = make_user(confirmed=False)
    client = app.test_client()
    login(client, user)
    page = client.get("/")
    assert b"Please confirm your e-mail address" in page.data and b"/auth/confirm/resend" in page.data
    assert client.post("/auth/confirm/resend", data={"next": "/auth/account"}).status_code == 302
    assert client.post("/auth/confirm/resend").status_code == 302
    limited = client.post("/auth/confirm/resend")
    assert limited.status_code == 429 and b"Too many attempts" in limited.data
    assert len(outbox(app, user.email)) == 2
    confirmed = make_user()
    other = app.test_client()
    login(other, confirmed)
    assert "Please confirm your e-mail address" not in visible_text(other.get("/"))


def test_ensure_confirmed_refuses_unconfirmed_users(app, make_user):
    from mentoring.services import NotAllowed
    from mentoring.services.accounts import ensure_confirmed

    unconfirmed, confirmed = make_user(confirmed=False), make_user()
    with app.test_request_context():
        with pytest.raises(NotAllowed):
            ensure_confirmed(unconfirmed)
        ensure_confirmed(confirmed)


def test_login_follows_only_local_next(app, client, make_user):
    user = make_user()
    for target, expected in [
        ("/auth/account?x=1", "/auth/account?x=1"),
        ("//evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ]:
        client.post("/auth/logout")
        response = client.post(
            "/auth/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
        )
        assert response.status_code == 302 and response.headers["Location"] == expected, target


def test_safe_next_refuses_other_sites():
    from mentoring.urls import safe_next

    for bad in ("//evil", "https://evil", "/\\evil", "javascript:alert(1)", "\\\\evil", "/\tevil",
                "http:/evil", None, "", "evil"):
        assert safe_next(bad) is None, bad
    assert safe_next("/cities?page=2") == "/cities?page=2"


def test_anonymous_visitors_are_sent_to_sign_in_and_come_back(app, client, make_user):
    response = client.get("/auth/account")
    assert response.status_code == 302 and "/auth/login?next=" in response.headers["Location"]
    assert client.get("/auth/account", headers={"Accept": "application/json"}).status_code == 401
    user = make_user()
    back = client.post(response.headers["Location"], data={"email": user.email, "password": PASSWORD})
    assert back.headers["Location"] == "/auth/account"


def test_logout_is_post_only(app, client, make_user):
    login(client, make_user())
    assert client.get("/auth/logout").status_code == 405
    assert signed_in(client)
    assert client.post("/auth/logout").status_code == 302
    assert not signed_in(client)


def test_deactivated_user_cannot_sign_in(app, client, make_user):
    user = make_user(active=False)
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200 and b"is not correct" in response.data


def test_notifications_count_in_the_menu_and_mark_read(app, client, make_user):
    user, other = make_user(name="Nadia"), make_user()
    with app.app_context():
        db.session.add_all([
            Notification(user_id=user.id, message="Proposal approved", link="/mentorships/"),
            Notification(user_id=user.id, message="Evil link", link="https://evil.example/"),
            Notification(user_id=other.id, message="Not yours"),
        ])
        db.session.commit()
    login(client, user)
    home = client.get("/").data.decode()
    assert 'href="/auth/account"' in home and "Nadia" in home
    assert '<span class="badge-count">2</span>' in home
    page = client.get("/auth/notifications").data.decode()
    items = texts(page, "li.notification")
    assert any("Proposal approved" in item for item in items) and not any("Not yours" in item for item in items)
    links = [a.attrs.get("href", "") for a in find(page, "li.notification a")]
    assert "/mentorships/" in links and not [href for href in links if "evil.example" in href]
    assert client.post("/auth/notifications/read").status_code == 302
    assert find(client.get("/"), "span.badge-count") == []
    with app.app_context():
        unread = db.session.scalar(select(func.count()).select_from(Notification).where(Notification.read_at.is_(None)))
    assert unread == 1  # the other user's


def test_personal_data_page_and_download(app, client, make_user):
    user = make_user(name="Data Person")
    login(client, user)
    page = client.get("/auth/account/data")
    assert page.status_code == 200 and b"Data Person" in page.data
    download = client.get("/auth/account/data?format=json")
    assert download.get_json()["email"] == user.email
    assert "attachment" in download.headers["Content-Disposition"]
    assert "password_hash" not in download.get_json() and "session_token" not in download.get_json()
