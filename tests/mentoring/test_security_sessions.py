"""Sessions end when they should (SECURITY.md, family S), passwords are hashed with argon2id,
and sign-in does not tell who has an account (family N)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

import mentoring.security as security
from mentoring import create_app
from mentoring.extensions import db
from mentoring.models import User

PASSWORD = "correct horse battery"


def sign_in(client, user, remember=False):
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "remember": "y" if remember else ""})
    assert response.status_code == 302
    return response


def signed_in(client) -> bool:
    return client.get("/auth/account").status_code == 200


def copy_cookies(source, target):
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


@pytest.fixture
def frozen_clock(monkeypatch):
    """A clock the test moves by hand: ``frozen_clock.advance(seconds)``."""

    class Clock:
        now = 1_750_000_000.0

        def advance(self, seconds):
            self.now += seconds

    clock = Clock()
    monkeypatch.setattr(security, "clock", lambda: clock.now)
    return clock


@pytest.mark.parametrize("how", ["logout", "logout_everywhere", "password_change", "deactivation"])
def test_copied_session_cookie_is_refused_after(how, app, make_user):
    user, admin = make_user(), make_user(role="admin")
    victim, thief = app.test_client(), app.test_client()
    sign_in(victim, user, remember=True)
    copy_cookies(victim, thief)  # the attacker holds a copy of every cookie
    assert signed_in(thief)
    if how == "logout":
        victim.post("/auth/logout")
    elif how == "logout_everywhere":
        victim.post("/auth/logout-everywhere")
    elif how == "password_change":
        victim.post("/auth/account/password", data={
            "current_password": PASSWORD, "password": "a brand new secret", "confirm": "a brand new secret"})
    else:
        boss = app.test_client()
        sign_in(boss, admin)
        assert boss.post(f"/admin/users/{user.id}/active", data={"active": "0"}).status_code == 302
    assert not signed_in(thief), how
    assert not signed_in(victim) or how == "password_change"


def test_sign_out_on_one_device_keeps_the_others(app, make_user):
    user = make_user()
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, user)
    sign_in(phone, user)
    laptop.post("/auth/logout")
    assert not signed_in(laptop) and signed_in(phone)


def test_idle_and_absolute_expiry(app, make_user, frozen_clock):
    user = make_user()
    client = app.test_client()
    sign_in(client, user)
    # Active every 29 minutes for almost 12 hours: still signed in.
    for _ in range(24):
        frozen_clock.advance(29 * 60)
        assert signed_in(client)
    frozen_clock.advance(29 * 60)  # 12 h 25 min after signing in: the absolute limit
    assert not signed_in(client)
    sign_in(client, user)
    frozen_clock.advance(31 * 60)  # idle for 31 minutes
    assert not signed_in(client)


def test_activity_is_written_once_a_minute_and_still_ends_an_idle_session(app, make_user, frozen_clock):
    """The session cookie is signed and sent again when its last activity is a minute old, not on every page
    (60); the idle limit still ends a session 30 minutes after that activity."""
    user = make_user()
    client = app.test_client()
    sign_in(client, user)

    def sends_cookie() -> bool:
        response = client.get("/auth/account")
        assert response.status_code == 200
        return any(c.startswith("mentoring_session=") for c in response.headers.getlist("Set-Cookie"))

    sends_cookie()  # the first page after signing in stores the session's CSRF token
    frozen_clock.advance(1)
    assert not sends_cookie()
    frozen_clock.advance(30)
    assert not sends_cookie()
    frozen_clock.advance(security.SEEN_PRECISION)
    assert sends_cookie()  # a minute since the last write: the activity is written again
    assert not sends_cookie()
    frozen_clock.advance(29 * 60 + security.SEEN_PRECISION - 1)  # under 30 min since the last write
    assert signed_in(client)
    frozen_clock.advance(30 * 60 + 1)
    assert not signed_in(client)


def test_remember_me_survives_idle_expiry_but_not_30_days_or_sign_out(app, make_user, frozen_clock):
    user = make_user()
    client = app.test_client()
    response = sign_in(client, user, remember=True)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("mentoring_session_remember="))
    max_age = int(re.search(r"Max-Age=(\d+)", cookie).group(1))
    assert 0 < max_age <= 30 * 24 * 3600 and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    frozen_clock.advance(2 * 3600)  # idle: the session ended, the remember-me cookie starts a new one
    assert signed_in(client)
    frozen_clock.advance(31 * 24 * 3600)  # a copy kept for a month is refused server-side
    assert not signed_in(client)
    sign_in(client, user, remember=True)
    copy = app.test_client()
    copy_cookies(client, copy)
    client.post("/auth/logout")
    frozen_clock.advance(2 * 3600)
    assert not signed_in(copy)


def test_production_cookies_are_secure_host_only_and_lax(database_url, make_user, app):
    """Family F: in the production configuration the session cookie is __Host-, Secure, HttpOnly, Lax."""
    user = make_user()
    production = create_app({
        "SECRET_KEY": "production-like", "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_HASHER": "fast", "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False, "LOG_LEVEL": "WARNING",
    })
    try:
        client = production.test_client()
        response = client.post(
            "/auth/login", base_url="https://localhost",
            data={"email": user.email, "password": PASSWORD, "remember": "y"},
        )
        assert response.status_code == 302
        cookies = response.headers.getlist("Set-Cookie")
        session_cookie = next(c for c in cookies if c.startswith("__Host-mentoring_session="))
        remember_cookie = next(c for c in cookies if c.startswith("__Host-mentoring_session_remember="))
        for cookie in (session_cookie, remember_cookie):
            assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie
            assert "Path=/" in cookie and "Domain=" not in cookie
        assert int(re.search(r"Max-Age=(\d+)", remember_cookie).group(1)) <= 30 * 24 * 3600
    finally:
        with production.app_context():
            db.session.remove()
            db.engine.dispose()


def test_real_password_hash_is_argon2id_with_strong_parameters():
    from argon2 import extract_parameters

    real = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", "LOG_LEVEL": "WARNING"})
    assert real.config["PASSWORD_HASHER"] == "argon2id"
    with real.app_context():
        hashed = security.hash_password("a long enough secret")
        assert security.verify_password(hashed, "a long enough secret")
        assert not security.verify_password(hashed, "a long enough secreT")
        assert not security.verify_password(None, "a long enough secret")
    assert hashed.startswith("$argon2id$")
    parameters = extract_parameters(hashed)
    assert parameters.memory_cost >= 19456 and parameters.time_cost >= 2 and parameters.parallelism >= 1


def test_sign_in_does_not_tell_who_has_an_account(app, client, make_user, monkeypatch):
    """Family N: unknown address vs wrong password: same status, same page, same hashing work."""
    make_user(email="known@example.org")
    calls = []
    real_verify = security.PasswordHasher.verify

    def counting_verify(self, hashed, password):
        calls.append(hashed)
        return real_verify(self, hashed, password)

    monkeypatch.setattr(security.PasswordHasher, "verify", counting_verify)

    def attempt(email):
        calls.clear()
        response = client.post("/auth/login", data={"email": email, "password": "wrong password!"})
        body = re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "", response.get_data(as_text=True))
        return response.status_code, body.replace(email, "EMAIL"), len(calls)

    known = attempt("known@example.org")
    unknown = attempt("nobody@example.org")
    assert known == unknown
    assert known[0] == 200 and known[2] == 1  # one argon2 verification each (dummy hash for unknown)
    deactivated = make_user(email="gone@example.org", active=False)
    assert attempt(deactivated.email)[:2] == known[:2]


def test_forgot_password_and_registration_do_not_tell_who_has_an_account(app, client, make_user):
    make_user(email="known@example.org")
    answers = []
    for email in ("known@example.org", "nobody@example.org"):
        forgot = client.post("/auth/forgot-password", data={"email": email})
        registered = client.post("/auth/register", data={
            "name": "Someone", "email": email, "password": "a long enough secret",
            "confirm": "a long enough secret", "locale": "en"})
        answers.append((forgot.status_code, forgot.headers["Location"], registered.status_code,
                        registered.headers["Location"]))
    assert answers[0] == answers[1]
    from mentoring.models import OutboxMessage

    with app.app_context():
        subjects = {(m.recipient, m.subject) for m in db.session.scalars(select(OutboxMessage))}
    assert ("known@example.org", "Someone tried to register with your address") in subjects
    assert ("known@example.org", "Reset your password") in subjects
    assert ("nobody@example.org", "Confirm your e-mail address") in subjects
    assert not any(r == "nobody@example.org" and s == "Reset your password" for r, s in subjects)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "known@example.org")).name != "Someone"
