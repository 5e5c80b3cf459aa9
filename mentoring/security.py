"""Passwords, sessions, the user loader and the security headers of every response."""
from __future__ import annotations

import time
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, request, session
from flask_babel import lazy_gettext as _l
from flask_login import logout_user

from mentoring.extensions import db, login_manager

# RFC 9106's second recommended option (64 MiB, 3 passes) is argon2-cffi's default profile.
_HASHERS = {
    "argon2id": PasswordHasher(),
    # Only for tests: the same algorithm with tiny costs, so thousands of logins stay fast.
    "fast": PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
}


def _hasher() -> PasswordHasher:
    return _HASHERS[current_app.config["PASSWORD_HASHER"]]


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown user) spend the same time on a dummy hash."""
    try:
        if password_hash is None:
            _hasher().verify(_dummy_hash(current_app.config["PASSWORD_HASHER"]), password + "x")
            return False
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=4)
def _dummy_hash(name: str) -> str:
    return _HASHERS[name].hash("not a password of anyone")


@login_manager.user_loader
def load_user(user_id: str):
    """Load the user named by the session, if its session token is still the current one."""
    from mentoring.models import User

    ident, _, token = user_id.partition(":")
    if not ident.isdigit() or not token:
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    # Flask-Login's own session protection is replaced by the per-user session token.
    login_manager.session_protection = None

    @app.before_request
    def _enforce_session_lifetime():
        # Idle limit: PERMANENT_SESSION_LIFETIME, refreshed on every request.
        # Absolute limit: SESSION_ABSOLUTE_LIFETIME from sign-in, whatever the activity.
        session.permanent = True
        started = session.get("_started")
        if started is None:
            if "_user_id" in session:
                session["_started"] = time.time()
            return
        limit = app.config["SESSION_ABSOLUTE_LIFETIME"].total_seconds()
        if time.time() - started > limit:
            logout_user()
            session.clear()

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'",
        )
        headers.setdefault(
            "Strict-Transport-Security", f"max-age={app.config['HSTS_MAX_AGE']}; includeSubDomains"
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.endpoint != "static":
            headers.setdefault("Cache-Control", "no-store")
        return response
