"""Live secrets stay out of the outbox and the logs in production; rate limits warn per worker."""
from __future__ import annotations

import logging
import re
import sys
import types
from typing import ClassVar

import pytest
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import OutboxMessage
from mentoring.services.mail import REDACTED, redact, send_mail

_RESET_LINK = re.compile(r"https?://\S+/auth/reset/(\S+)")


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def captured():
    """Messages logged under ``mentoring`` (which does not propagate to pytest's caplog)."""
    handler = _Capture()
    logger = logging.getLogger("mentoring")
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


class FakeSMTP:
    sent: ClassVar[list] = []

    def __init__(self, host, port, timeout=None):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        FakeSMTP.sent.append(message)


def _outbox(app):
    with app.app_context():
        return [(m.subject, m.body) for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_production_outbox_and_log_keep_no_live_reset_link(app_factory, make_user, monkeypatch, captured):
    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    FakeSMTP.sent = []
    app = app_factory(MAIL_SERVER="smtp.example.org", TESTING=False, LOG_LEVEL="INFO")
    user = make_user(email="ada@example.org")
    response = app.test_client().post("/auth/forgot-password", data={"email": user.email})
    assert response.status_code in (200, 302, 303)
    [mail] = FakeSMTP.sent
    [token] = _RESET_LINK.findall(mail.get_content())  # the person gets the live link
    [(_subject, body)] = _outbox(app)
    assert token not in body and f"/auth/reset/{REDACTED}" in body
    assert not any(token in message for message in captured)
    # The redacted link is dead; the mailed one works.
    client = app.test_client()
    assert client.get(f"/auth/reset/{token}").status_code == 200
    assert client.get(f"/auth/reset/{REDACTED}").status_code != 200 or "not valid" in \
        client.get(f"/auth/reset/{REDACTED}").get_data(as_text=True)


def test_development_outbox_keeps_the_link_a_developer_follows(app, client, make_user, captured):
    assert not app.config["MAIL_SERVER"]
    user = make_user(email="dev@example.org")
    assert client.post("/auth/forgot-password", data={"email": user.email}).status_code in (200, 302, 303)
    [(_subject, body)] = _outbox(app)
    [token] = _RESET_LINK.findall(body)
    assert REDACTED not in body
    assert client.get(f"/auth/reset/{token}").status_code == 200


def test_no_live_token_at_info_outside_development(app_factory, captured):
    app = app_factory(TESTING=False, DEBUG=False, DEMO=False, LOG_LEVEL="INFO")
    token = "A" * 20 + "." + "b" * 6 + "." + "C" * 27
    with app.test_request_context():
        send_mail("x@example.org", "Reset", f"open https://m.example/auth/reset/{token} now")
        db.session.rollback()
    assert any("/auth/reset/" in message for message in captured)
    assert not any(token in message for message in captured)


def test_redact_keeps_the_rest_of_the_message():
    token = "x" * 43
    text = f"Hello Ada,\n\nhttps://m.example/cities/invitations/{token}\nhttps://m.example/auth/login?next=/a\n"
    assert redact(text) == text.replace(token, REDACTED)
    assert redact("no links, just a long word " + "y" * 50) == "no links, just a long word " + "y" * 50


@pytest.mark.parametrize("storage, warned", [("memory://", True), ("redis://127.0.0.1:6379/0", False)])
def test_memory_rate_limits_under_gunicorn_log_a_warning(app_factory, monkeypatch, captured, storage, warned):
    monkeypatch.setitem(sys.modules, "gunicorn", types.ModuleType("gunicorn"))
    app_factory(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=storage)
    assert any("MENTORING_REDIS_URL" in m for m in captured) is warned


def test_a_single_process_does_not_warn(app_factory, monkeypatch, captured):
    monkeypatch.delitem(sys.modules, "gunicorn", raising=False)
    monkeypatch.delenv("SERVER_SOFTWARE", raising=False)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    app_factory(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    assert not any("MENTORING_REDIS_URL" in m for m in captured)
