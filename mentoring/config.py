"""Default settings.

Precedence, lowest first: the constants below, ``instance/config.py``, environment variables named
``MENTORING_<SETTING>`` (values are parsed as JSON when they look like JSON, so ``MENTORING_DEBUG=true``
is a boolean), and finally the ``test_config`` mapping given to :func:`mentoring.create_app`.
"""
from __future__ import annotations

import json
import os
from datetime import timedelta

# --- Core -------------------------------------------------------------------------------------
SECRET_KEY = None  # set in instance/config.py or MENTORING_SECRET_KEY; make run writes one
# ``None`` means "instance/mentoring.sqlite"; resolved in create_app because it needs the instance path.
SQLALCHEMY_DATABASE_URI = None
SQLALCHEMY_ENGINE_OPTIONS: dict = {}
MAX_CONTENT_LENGTH = 2 * 1024 * 1024
CSV_IMPORT_MAX_BYTES = 1024 * 1024
# Survey files of more rows than this (counted from their lines) are checked and imported in the background
# (RQ with REDIS_URL, else a thread) with a progress page: a request never runs into the worker timeout.
SURVEY_BACKGROUND_ROWS = 1000
# A background survey job silent for this long is shown as interrupted (its process died; the import is
# one transaction, so nothing was written). Keep it above the longest import (SQLite reports no progress
# while it writes). A number is read as seconds.
SURVEY_STALE_AFTER = timedelta(minutes=5)
# On PostgreSQL, an import that creates or updates at least this many cities refreshes the planner's
# statistics of the tables it wrote (ANALYZE, as PostgreSQL's "Populating a Database" advises): without
# it, a server whose autovacuum is off or behind plans the directory and its joins for the table's old
# size (a hash join over all 10,000 cities instead of two index lookups).
SURVEY_ANALYZE_CITIES = 500

# --- Sessions and cookies (SECURITY.md) -------------------------------------------------------
# The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and Path=/.
SESSION_COOKIE_NAME = "__Host-mentoring_session"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
PERMANENT_SESSION_LIFETIME = timedelta(minutes=30)  # idle limit: refreshed at most once a minute
# The cookie is sent again only when the session changes (security.SEEN_PRECISION: its last activity,
# once a minute), not on every response.
SESSION_REFRESH_EACH_REQUEST = False
SESSION_ABSOLUTE_LIFETIME = timedelta(hours=12)
REMEMBER_COOKIE_DURATION = timedelta(days=14)  # must stay <= 30 days; checked server-side too
# None: the session cookie's name + "_remember" (so it keeps the __Host- prefix in production).
REMEMBER_COOKIE_NAME = None
REMEMBER_COOKIE_SECURE = True
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
PREFERRED_URL_SCHEME = "https"
# Where people reach the app: links in e-mails and feeds sent outside a request (CLI, jobs, demo)
# are built from it (mentoring.links). ``make run`` writes the development address.
PUBLIC_URL = "http://127.0.0.1:5000"
HSTS_MAX_AGE = 63072000  # two years
# X-Forwarded-For is ignored unless this says how many reverse proxies sit in front of the app
# (1 behind one nginx); then werkzeug's ProxyFix takes the client address the proxy saw. Never set
# it when the app is reachable directly: clients could then choose their own address.
PROXY_FIX_X_FOR = 0
PROXY_FIX_X_PROTO = 0  # likewise for X-Forwarded-Proto (https behind a TLS-terminating proxy)

# --- Passwords ------------------------------------------------------------------------------
# "argon2id" in production; tests switch to a fast hash except where the real one is tested.
PASSWORD_HASHER = "argon2id"
PASSWORD_MIN_LENGTH = 10
TOKEN_MAX_AGE = timedelta(hours=24)  # e-mail confirmation, invitations
RESET_TOKEN_MAX_AGE = timedelta(hours=1)

# --- Rate limits ----------------------------------------------------------------------------
REDIS_URL = None  # e.g. "redis://127.0.0.1:6379/0": shared rate limits and background jobs
RATELIMIT_STORAGE_URI = None  # defaults to REDIS_URL, else process memory
RATELIMIT_ENABLED = True  # explicit: Flask-Limiter would otherwise inherit the last app's choice
RATELIMIT_HEADERS_ENABLED = True
# Login attempts (successful or not). Per account the key is the normalised e-mail address, so
# changing addresses does not help an attacker; per address it is the client address.
LOGIN_LIMIT_PER_ACCOUNT = "10 per minute;100 per hour"
LOGIN_LIMIT_PER_ADDRESS = "30 per minute;300 per hour"
# Mails a visitor can make us send: per target address and per client address.
MAIL_LIMIT_PER_ACCOUNT = "3 per hour"
MAIL_LIMIT_PER_ADDRESS = "20 per hour"
REGISTER_LIMIT_PER_ADDRESS = "10 per hour"

# --- Mail -----------------------------------------------------------------------------------
MAIL_SERVER = None  # None: mail is written to the log and kept in the outbox table only
MAIL_PORT = 587
MAIL_USE_TLS = True
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_DEFAULT_SENDER = "mentoring@localhost"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGES = ("en", "fr", "es")
BABEL_DEFAULT_LOCALE = "en"
BABEL_DEFAULT_TIMEZONE = "UTC"
BABEL_TRANSLATION_DIRECTORIES = "translations"

# --- Pages ----------------------------------------------------------------------------------
CITIES_PER_PAGE = 25
USERS_PER_PAGE = 50  # administration: user list
MATCHING_SYNC_LIMIT = 2000  # rounds with more cities than this run in the background
# A round left "queued" or "running" whose progress has not moved for this long is treated as failed
# (its process probably crashed, e.g. the server was killed): the page offers "Retry" and
# `flask rounds run` runs it again. Runs report progress at least every few seconds while they work;
# keep this well above the longest silent step of a big round. A number is read as seconds.
ROUND_STALE_AFTER = timedelta(minutes=15)
# Requests between cities (issue 15): an open request expires after this long (a number means days);
# with START_DIRECTLY a request the mentor city accepts starts at once, without a coordinator's
# approval (unless the cities waived the shared-language rule).
MENTOR_REQUEST_EXPIRES_AFTER = timedelta(days=30)
MENTOR_REQUESTS_START_DIRECTLY = False
# An approved pair that both cities have not endorsed within this time expires (the mentor's place is
# freed, the mentee goes back to the pool); those who have not answered are reminded halfway.
# A number is read as days. Run `flask people daily` from cron.
ENDORSEMENT_EXPIRES_AFTER = timedelta(days=21)
LOG_LEVEL = "INFO"
DEMO = False
# The first day a mentoring session may be dated (ISO date): earlier dates are typing mistakes.
PROGRAMME_START = "2000-01-01"


def from_environment(prefix: str = "MENTORING_") -> dict:
    """Return the settings given as ``MENTORING_*`` environment variables.

    A value that parses as JSON (``true``, ``42``, ``["en"]``) becomes that value; any other
    value stays a string. ``MENTORING_DATABASE_URL`` is accepted as the usual alias of
    ``SQLALCHEMY_DATABASE_URI``.
    """
    settings = {}
    for name, raw in os.environ.items():
        if not name.startswith(prefix):
            continue
        key = name[len(prefix):]
        if key == "DATABASE_URL":
            key = "SQLALCHEMY_DATABASE_URI"
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        settings[key] = value
    return settings
