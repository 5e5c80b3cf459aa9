"""Sign-in resists brute force (SECURITY.md, family R): per account and per client address,
in process memory and in Redis, and across two gunicorn workers."""
from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from mentoring import create_app
from mentoring.extensions import db, limiter
from tests.conftest import BASE_TEST_CONFIG, skip_or_fail
from tests.servers import gunicorn

PROJECT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        skip_or_fail("TEST_REDIS_URL is not set: Redis rate-limit tests not run")
    import redis

    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as error:
        skip_or_fail(f"Redis is not reachable at {url}: {error}")
    return url


@pytest.fixture(params=["memory", "redis"])
def limited_app(request, app, app_factory):
    # After `app`: Flask-Limiter keeps its enabled flag and storage on the one global object.
    storage = "memory://" if request.param == "memory" else redis_url()
    app = app_factory(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=storage,
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
        LOGIN_LIMIT_PER_ACCOUNT="5 per minute",
        LOGIN_LIMIT_PER_ADDRESS="8 per minute",
        PROXY_FIX_X_FOR=1,  # trust X-Forwarded-For here, to show the account limit ignores it
    )
    with app.app_context():
        limiter.reset()
    return app


def attempt(client, email, address, password="wrong password!"):
    return client.post(
        "/auth/login", data={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
    ).status_code


def test_per_account_limit_holds_whatever_the_address(limited_app, make_user):
    user = make_user(email="target@example.org")
    client = limited_app.test_client()
    codes = [attempt(client, email, f"10.0.0.{i}") for i, email in enumerate(
        ["target@example.org", "TARGET@example.org", " target@example.org "] * 4)]
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}
    # Even the right password is refused until the window ends: the account is locked for now.
    assert attempt(client, user.email, "10.0.1.1", PASSWORD) == 429
    # Another account is not affected.
    make_user(email="other@example.org")
    assert attempt(client, "other@example.org", "10.0.1.2", PASSWORD) == 302


def test_per_address_limit_holds_across_accounts(limited_app):
    client = limited_app.test_client()
    codes = [attempt(client, f"user{i}@example.org", "192.0.2.7") for i in range(10)]
    assert codes[:8] == [200] * 8 and codes[8:] == [429, 429]
    assert attempt(client, "someone@example.org", "192.0.2.8") == 200
    page = client.post("/auth/login", data={"email": "x@example.org", "password": "y"},
                       headers={"X-Forwarded-For": "192.0.2.7"})
    assert b"Too many attempts" in page.data and page.headers.get("Retry-After")


def test_without_proxy_fix_forwarded_for_is_ignored(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ADDRESS="3 per minute",
                      RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    with app.app_context():
        limiter.reset()
    client = app.test_client()
    codes = [attempt(client, f"u{i}@example.org", f"203.0.113.{i}") for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]


@pytest.mark.slow
def test_brute_force_under_gunicorn_with_two_workers(tmp_path):
    """150 wrong passwords for one account, rotating X-Forwarded-For, two workers sharing Redis."""
    url = redis_url()
    database = tmp_path / "r.sqlite"
    config = {**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"}
    app = create_app(config)
    with app.app_context():
        from mentoring.services.accounts import create_user

        db.create_all()
        create_user("victim@example.org", "Victim", PASSWORD, confirmed=True)
        db.session.commit()
        db.engine.dispose()
    prefix = f"family-r-{uuid.uuid4().hex}"
    env = {
        "MENTORING_SECRET_KEY": "family-r",
        "MENTORING_DATABASE_URL": f"sqlite:///{database}",
        "MENTORING_REDIS_URL": url,
        "MENTORING_RATELIMIT_STORAGE_URI": url,
        "MENTORING_RATELIMIT_KEY_PREFIX": prefix,
        "MENTORING_RATELIMIT_ENABLED": "true",
        "MENTORING_WTF_CSRF_ENABLED": "false",  # the attacker is a script, not a browser
        "MENTORING_PASSWORD_HASHER": "fast",
        "MENTORING_PROXY_FIX_X_FOR": "1",  # the worst case: the app believes X-Forwarded-For
        "MENTORING_SESSION_COOKIE_SECURE": "false",
        "MENTORING_LOG_LEVEL": "ERROR",
        # The production limits: 10 per minute and 100 per hour per account.
    }
    with gunicorn(env, tmp_path / "gunicorn.log", workers=2, ready_path="/auth/login") as server:
        base = server.url
        statuses = []
        for i in range(150):
            data = urllib.parse.urlencode({"email": "victim@example.org", "password": f"guess {i}"}).encode()
            request = urllib.request.Request(
                base + "/auth/login", data=data,
                headers={"X-Forwarded-For": f"198.51.{i // 250}.{i % 250 + 1}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    statuses.append(response.status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
                error.close()
            except TimeoutError:
                pytest.fail("no answer: " + server.log())
        accepted = sum(1 for s in statuses if s != 429)
        print(f"attempts accepted per account per hour = {accepted} (of 150)")
        assert set(statuses) <= {200, 429}
        assert accepted <= 100
        assert accepted == 10  # "10 per minute", shared by both workers through Redis
