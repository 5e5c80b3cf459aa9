"""Passwords, signed tokens, sessions, the user loader and the security headers of every response.

Sessions are revocable server-side: the session stores ``"<user id>:<session token>"`` and the
user loader refuses it once the user's token has changed (logout everywhere, password change,
deactivation). On top of the cookie's own expiry the session carries two timestamps, checked here
with :func:`clock` (which tests replace): ``_seen`` (idle limit, ``PERMANENT_SESSION_LIFETIME``) and
``_started`` (absolute limit, ``SESSION_ABSOLUTE_LIFETIME``).

Client addresses: the app trusts ``X-Forwarded-For`` only when ``PROXY_FIX_X_FOR`` says how many
proxies sit in front of it (then werkzeug's ProxyFix takes the address that the last trusted proxy
saw). The per-account login limit never depends on the address at all.
"""
from __future__ import annotations

import hashlib
import logging
import os
import sys
import time
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix

from mentoring.extensions import db, login_manager
from mentoring.models.accounts import new_token
from mentoring.models.base import utcnow

log = logging.getLogger("mentoring.security")

# RFC 9106's second recommended option (64 MiB, 3 passes) is argon2-cffi's default profile.
_HASHERS = {
    "argon2id": PasswordHasher(),
    # Only for tests: the same algorithm with tiny costs, so thousands of logins stay fast.
    "fast": PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
}


def clock() -> float:
    """Seconds since the epoch; the one clock of sessions and tokens (tests monkeypatch it)."""
    return time.time()


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


# --- Signed, expiring tokens (e-mail confirmation, password reset) ---------------------------


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer, reading :func:`clock` so expiry can be tested."""

    def get_timestamp(self) -> int:
        return int(clock())


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    # The salt separates purposes: a confirmation token is never a valid reset token.
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=f"mentoring.{purpose}", signer=_ClockSigner
    )


def make_token(purpose: str, payload: dict) -> str:
    """A URL-safe token signed with SECRET_KEY that carries ``payload`` and its creation time."""
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age_seconds: float) -> dict | None:
    """The payload of a valid token younger than ``max_age_seconds``, else ``None``."""
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age_seconds)
    except (BadSignature, ValueError, TypeError):  # SignatureExpired is a BadSignature
        return None
    return payload if isinstance(payload, dict) else None


def fingerprint(value: str) -> str:
    """A short digest of a secret (e.g. the password hash) to bind a token to its current value."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


# --- Sessions --------------------------------------------------------------------------------

#: Seconds between two writes of a session's last activity (``_seen``): a page within a minute of the
#: last write leaves the session unchanged, so the cookie is neither signed nor sent again (with
#: ``SESSION_REFRESH_EACH_REQUEST`` off). The idle limit then counts from the last minute, at most.
SEEN_PRECISION = 60

@login_manager.user_loader
def load_user(user_id: str):
    """Load the user named by the session, if its session token is still the current one."""
    from mentoring.models import User

    ident, _sep, token = user_id.partition(":")
    if not ident.isdigit() or not token:
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def start_session(user, remember: bool = False) -> None:
    """Sign ``user`` in on this browser: a fresh session, and a remember-me cookie if asked.

    Adds a :class:`UserSession` row; the caller commits.
    """
    from mentoring.models.accounts import UserSession

    session.clear()  # a new session for a new identity (nothing carried over from before)
    record = UserSession(id=new_token(), user_id=user.id)
    db.session.add(record)
    login_user(user, remember=False)  # our own remember-me cookie below, checked server-side
    now = clock()
    session["_sid"] = record.id
    session["_started"] = now
    session["_seen"] = now
    if remember:
        g.remember_cookie = make_token("remember", {"id": user.get_id(), "sid": record.id})


def end_session() -> None:
    """Sign out on this browser: its session record ends, so copied cookies die too.

    The caller commits.
    """
    from mentoring.models.accounts import UserSession

    sid = session.get("_sid")
    record = db.session.get(UserSession, sid) if isinstance(sid, str) else None
    if record is not None and record.ended_at is None:
        record.ended_at = utcnow()
    logout_user()
    session.clear()
    g.remember_cookie = ""


@lru_cache(maxsize=2)
def _session_statement(for_page: bool):
    """A session record with its user, by id — and for a page, the bell's unread counts of the user
    bound as ``user_id`` — built once (building it cost more than running it)."""
    from sqlalchemy import bindparam, select

    from mentoring.models.accounts import User, UserSession
    from mentoring.rules import represents_a_city_column
    from mentoring.services.messages import bell_columns

    page = (*bell_columns(), represents_a_city_column()) if for_page else ()
    return (select(UserSession, User, *page)
            .join(User, User.id == UserSession.user_id).where(UserSession.id == bindparam("sid")))


def _live_session(sid, user_id: str) -> bool:
    # The session's user comes in the same query and is held for the request: :func:`load_user` then
    # finds it in the session's (weak) identity map, so a signed-in page costs one query, not two. A page
    # (a GET outside the API) has the bell's counts and whether the user represents a city brought along.
    owner = user_id.partition(":")[0]
    row = None
    if isinstance(sid, str):
        for_page = request.method == "GET" and owner.isdigit() and not request.path.startswith("/api/")
        params = {"sid": sid, "user_id": int(owner)} if for_page else {"sid": sid}
        row = db.session.execute(_session_statement(for_page), params).first()
    record, g.session_user = row[:2] if row is not None else (None, None)
    live = record is not None and record.ended_at is None and str(record.user_id) == owner
    if live and len(row) == 5:
        from mentoring.rules import remember_represents_a_city
        from mentoring.services.messages import remember_unread_counts

        remember_unread_counts(record.user_id, row[2], row[3])
        remember_represents_a_city(record.user_id, row[4])
    return live


def remember_cookie_name(app: Flask) -> str:
    """``REMEMBER_COOKIE_NAME``, else the session cookie's name + ``_remember`` (keeps ``__Host-``)."""
    return app.config.get("REMEMBER_COOKIE_NAME") or app.config["SESSION_COOKIE_NAME"] + "_remember"


def _unauthorized():
    """Anonymous users: JSON clients get 401, browsers the sign-in page with a local ``next``."""
    from mentoring.errors import render_error, wants_json

    if wants_json():
        return render_error(401, _("Please sign in."))
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


def _restore_from_remember_cookie(app: Flask, now: float) -> None:
    """Start a new session from a valid remember-me cookie (signed, dated, revocable)."""
    value = request.cookies.get(remember_cookie_name(app))
    if not value:
        return
    payload = read_token("remember", value, app.config["REMEMBER_COOKIE_DURATION"].total_seconds())
    user = load_user(str(payload.get("id", ""))) if payload else None
    if user is None:
        g.remember_cookie = ""  # expired, forged or revoked (session token rotated): delete it
        return
    if not _live_session(payload.get("sid"), user.get_id()):
        g.remember_cookie = ""  # signed out on that browser since
        return
    session["_user_id"] = user.get_id()
    session["_sid"] = payload["sid"]
    session["_fresh"] = False  # sensitive actions still ask for the password
    session["_started"] = now
    session["_seen"] = now


def may_have_sibling_workers() -> bool:
    """Whether this process may be one of several workers serving the app (gunicorn & co)."""
    if "gunicorn" in sys.modules or "uwsgi" in sys.modules:
        return True
    software = os.environ.get("SERVER_SOFTWARE", "").lower()
    return "gunicorn" in software or int(os.environ.get("WEB_CONCURRENCY") or 1) > 1


def warn_about_memory_rate_limits(app: Flask) -> None:
    """Say loudly that in-memory rate limits are per process when other workers may exist.

    Each worker then counts attempts on its own: with N workers an attacker gets N times the
    login limit. Set ``REDIS_URL`` (or ``RATELIMIT_STORAGE_URI``) to share the counters.
    """
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if not app.config.get("RATELIMIT_ENABLED", True) or not storage.startswith("memory://"):
        return
    if may_have_sibling_workers():
        log.warning(
            "rate limits are kept in this process's memory (no REDIS_URL): every worker counts "
            "login and mail attempts separately, so with several workers the limits are "
            "multiplied. Set MENTORING_REDIS_URL to share them."
        )


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    # Flask-Login's own session protection is replaced by the per-user session token.
    login_manager.session_protection = None
    login_manager.unauthorized_handler(_unauthorized)

    trusted_proxies = int(app.config.get("PROXY_FIX_X_FOR") or 0)
    if trusted_proxies:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=trusted_proxies, x_proto=int(app.config.get("PROXY_FIX_X_PROTO") or 0)
        )

    @app.before_request
    def _enforce_session_lifetime():
        if not session.permanent:  # (setting it again would mark the session changed: a new cookie)
            session.permanent = True
        now = clock()
        if "_user_id" in session and not _live_session(session.get("_sid"), str(session["_user_id"])):
            session.clear()  # this browser signed out (a copy of its cookie is replayed)
        if "_user_id" in session:
            started = session.get("_started")
            seen = session.get("_seen")
            if started is None or seen is None:
                # A session record started outside a sign-in form (tests): start counting now.
                session["_started"] = started or now
                session["_seen"] = now
                return
            idle = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
            absolute = app.config["SESSION_ABSOLUTE_LIFETIME"].total_seconds()
            if now - started > absolute or now - seen > idle:
                session.clear()  # the remember-me cookie, if any, may start a new session below
            else:
                if not 0 <= now - seen < SEEN_PRECISION:
                    session["_seen"] = now  # a changed session: the cookie is signed and sent again
                return
        _restore_from_remember_cookie(app, now)

    @app.after_request
    def _write_remember_cookie(response):
        value = g.get("remember_cookie")
        name = remember_cookie_name(app)
        if value:
            response.set_cookie(
                name,
                value,
                max_age=int(app.config["REMEMBER_COOKIE_DURATION"].total_seconds()),
                secure=app.config["REMEMBER_COOKIE_SECURE"],
                httponly=app.config["REMEMBER_COOKIE_HTTPONLY"],
                samesite=app.config["REMEMBER_COOKIE_SAMESITE"],
                path="/",
            )
        elif value == "" and name in request.cookies:
            response.delete_cookie(
                name, path="/", secure=app.config["REMEMBER_COOKIE_SECURE"],
                httponly=True, samesite=app.config["REMEMBER_COOKIE_SAMESITE"],
            )
        return response

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
