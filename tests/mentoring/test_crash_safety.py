"""Crashes lose nothing acknowledged (SECURITY.md, family X).

Writers register accounts against gunicorn (2 workers) as fast as they can; the whole server is
killed with SIGKILL mid-stream; a new server starts on the same database. Every registration the
old server acknowledged must be there, and the database must pass its integrity checks.
"""
from __future__ import annotations

import http.client
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
import sqlalchemy as sa

from mentoring import create_app
from mentoring.extensions import db
from mentoring.models import User
from tests.conftest import BASE_TEST_CONFIG, _empty_tables
from tests.servers import Gunicorn, gunicorn


def _register(base: str, email: str) -> bool:
    """True when the server acknowledged the registration (a completed 2xx/3xx answer)."""
    data = urllib.parse.urlencode({
        "name": "Crash Test", "email": email, "password": "a long enough password",
        "confirm": "a long enough password", "locale": "en",
    }).encode()
    request = urllib.request.Request(base + "/auth/register", data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            return 200 <= response.status < 400
    except (urllib.error.URLError, http.client.HTTPException, OSError):
        return False


@pytest.mark.slow
def test_sigkill_during_writes_loses_no_acknowledged_write(database_url, tmp_path):
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        url = url.set(database=str(tmp_path / "crash.sqlite"))
    target = url.render_as_string(hide_password=False)
    app = create_app({**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": target})
    with app.app_context():
        db.create_all()  # harmless on the shared PostgreSQL test database: tables exist already
        db.engine.dispose()
    env = {
        "MENTORING_SECRET_KEY": "family-x",
        "MENTORING_DATABASE_URL": target,
        "MENTORING_WTF_CSRF_ENABLED": "false",
        "MENTORING_RATELIMIT_ENABLED": "false",
        "MENTORING_PASSWORD_HASHER": "fast",
        "MENTORING_SESSION_COOKIE_SECURE": "false",
        "MENTORING_LOG_LEVEL": "ERROR",
    }
    run = uuid.uuid4().hex[:8]
    acknowledged: list[str] = []
    attempted = 0
    lock = threading.Lock()
    stop = threading.Event()

    server = Gunicorn(env, tmp_path / "first.log", workers=2)
    try:
        server.wait_ready("/auth/register")

        def writer(number: int) -> None:
            nonlocal attempted
            i = 0
            while not stop.is_set() and i < 400:  # bounded: never an endless loop
                email = f"x{run}-{number}-{i}@example.org"
                with lock:
                    attempted += 1
                if _register(server.url, email):
                    with lock:
                        acknowledged.append(email)
                i += 1

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            time.sleep(0.02)
        server.kill()  # mid-stream: requests are in flight right now
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    finally:
        server.stop()
    assert len(acknowledged) >= 40, "the server acknowledged too few writes:\n" + server.log()

    with gunicorn(env, tmp_path / "second.log", workers=1):
        pass  # the restarted server opens the database (WAL recovery on SQLite) and answers
    with app.app_context():
        stored = set(db.session.scalars(sa.select(User.email).where(User.email.like(f"x{run}-%"))))
        db.session.rollback()  # end the read before opening another connection
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        _empty_tables()  # the PostgreSQL leg shares the session's database with other tests
        db.engine.dispose()
    lost = [email for email in acknowledged if email not in stored]
    print(f"acknowledged = {len(acknowledged)} of {attempted} attempted; stored = {len(stored)}; lost = {len(lost)}")
    assert lost == []
