"""The development outbox: administrators read the e-mails sent in development (debug or the demo);
production has no such page; the console shows each message's links on plain lines."""
from __future__ import annotations

import logging

from mentoring.extensions import db
from mentoring.logs import PlainFormatter
from mentoring.services import mail
from tests.conftest import login
from tests.html import find, texts

BODY = ("Welcome to the programme.\n\nConfirm your address: http://127.0.0.1:5000/auth/confirm/abc.def.ghi\n"
        "Then read <the guide> at https://example.org/guide.")


def _send(app, subject="Confirm your e-mail address", body=BODY):
    with app.app_context(), app.test_request_context():
        message = mail.send_mail("new.person@example.org", subject, body)
        db.session.commit()
        return message.id


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.setFormatter(PlainFormatter())
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


def test_the_outbox_does_not_exist_in_production(app, client, make_user):
    collected = _Lines()
    logging.getLogger("mentoring.devmail").addHandler(collected)
    try:
        message_id = _send(app)
    finally:
        logging.getLogger("mentoring.devmail").removeHandler(collected)
    assert collected.lines == []  # nor is any message printed whole
    login(client, make_user("admin@example.org", role="admin"))
    assert client.get("/admin/outbox").status_code == 404
    assert client.get(f"/admin/outbox/{message_id}").status_code == 404
    assert "Development outbox" not in client.get("/admin/").get_data(as_text=True)


def test_administrators_read_development_e_mails_with_clickable_links(app, app_factory, make_user):
    demo = app_factory(DEMO=True)
    console = logging.getLogger("mentoring.devmail")
    assert any(isinstance(h.formatter, PlainFormatter) for h in console.handlers)  # set up by logs.init_app
    collected = _Lines()
    console.addHandler(collected)
    try:
        message_id = _send(demo)
    finally:
        console.removeHandler(collected)
    # The console shows the message as plain lines, the link alone on its line (no JSON escapes).
    printed = "\n".join(collected.lines)
    assert "\nConfirm your address: http://127.0.0.1:5000/auth/confirm/abc.def.ghi\n" in printed
    assert f"/admin/outbox/{message_id})" in printed.split("(Outbox: ")[1]
    client = demo.test_client()
    login(client, make_user("coord@example.org", role="coordinator"))
    assert client.get("/admin/outbox").status_code == 403
    assert client.get(f"/admin/outbox/{message_id}").status_code == 403
    login(client, make_user("admin@example.org", role="admin"))
    assert texts(client.get("/admin/").get_data(as_text=True), "a.btn") == ["Development outbox"]
    listing = client.get("/admin/outbox").get_data(as_text=True)
    rows = texts(listing, "tbody tr")
    assert len(rows) == 1 and "Confirm your e-mail address" in rows[0] and "new.person@example.org" in rows[0]
    assert find(listing, "tbody a")[0].attrs["href"] == f"/admin/outbox/{message_id}"
    assert texts(client.get("/admin/outbox?to=nobody").get_data(as_text=True), "tbody tr") == []
    page = client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    links = [a.attrs["href"] for a in find(page, "pre.outbox-body a")]
    assert links == ["http://127.0.0.1:5000/auth/confirm/abc.def.ghi", "https://example.org/guide"]
    assert "&lt;the guide&gt;" in page and "<the guide>" not in page  # the text is escaped, never markup


def test_link_segments_cut_text_around_http_links_only():
    assert mail.link_segments("See https://a.example/x. Or javascript:alert(1)") == [
        ("text", "See "), ("link", "https://a.example/x"), ("text", ". Or javascript:alert(1)")]
    assert mail.link_segments("") == []
