"""Messages between the paired cities: both ways, e-mail notices as each person chose, unread counts."""
from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import Mentorship, Message, Notification
from mentoring.services import mail_preferences as preferences
from mentoring.services import messages
from tests.conftest import login
from tests.mentoring.people.conftest import elements, outbox


def test_messages_both_ways_notify_the_other_side_by_mail_with_text_html_and_unsubscribe(app, client, world):
    login(client, world.mentor_rep)
    url = f"/people/mentorships/{world.mentorship_id}/messages"
    response = client.post(url, data={"body": "Hola Pune! Our portal: https://datos.valpo.example/portal"})
    assert response.status_code == 303
    with app.app_context():
        mails = outbox("rep@pune.example")
        assert len(mails) == 1 and outbox("rep@valpo.example") == []
        mail = mails[0]
        assert "Valentina Valpo" in mail.subject
        assert "https://datos.valpo.example/portal" in mail.body
        links = [a["href"] for a, _ in elements(mail.html, "a")]
        assert any(urlsplit(h).netloc and urlsplit(h).path == url for h in links), links  # absolute link
        unsubscribe = [h for h in links if "/people/unsubscribe/" in h]
        assert unsubscribe and all(urlsplit(h).netloc for h in unsubscribe)
        assert "/people/preferences" in mail.body
    # The other side answers: the first side is told, in Spanish (its language).
    client2 = app.test_client()
    login(client2, world.mentee_rep)
    page = client2.get(url)
    assert page.status_code == 200
    bodies = [text for _, text in elements(page.get_data(as_text=True), "p", class_="thread__body")]
    assert bodies == ["Hola Pune! Our portal: https://datos.valpo.example/portal"]
    assert client2.post(url, data={"body": "Namaste Valparaíso"}).status_code == 303
    with app.app_context():
        reply = outbox("rep@valpo.example")
        assert len(reply) == 1
        assert reply[0].subject.startswith("Nuevo mensaje de Priya Pune")  # the recipient's language
        assert db.session.scalar(select(Notification).where(Notification.user_id == world.mentor_rep.id))


def test_unread_counts_follow_reading(app, world):
    with app.app_context():
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        rep, pune = world.get(world.mentor_rep), world.get(world.mentee_rep)
        messages.post(rep, mentorship, "one")
        messages.post(rep, mentorship, "two")
        assert messages.unread_count(pune) == 2
        assert messages.unread_count(rep) == 0  # own messages are never unread
        messages.mark_read(pune, mentorship)
        assert messages.unread_count(pune) == 0
        messages.post(rep, mentorship, "three")
        assert messages.unread_count(pune, mentorship) == 1


def test_preferences_digest_and_off_hold_mail_but_the_bell_still_rings(app, world):
    with app.app_context():
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        rep, pune = world.get(world.mentor_rep), world.get(world.mentee_rep)
        preferences.update(pune, {"messages": "digest"}, True)
        messages.post(rep, mentorship, "held for the digest")
        messages.post(rep, mentorship, "also held")
        assert outbox("rep@pune.example") == []
        assert preferences.send_digests() == 1
        digest = outbox("rep@pune.example")
        assert len(digest) == 1 and "also held" in digest[0].body and "held for the digest" in digest[0].body
        assert preferences.send_digests() == 0  # at most one a day, nothing left anyway
        preferences.update(pune, {"messages": "off"}, True)
        messages.post(rep, mentorship, "no mail")
        assert len(outbox("rep@pune.example")) == 1
        bell = db.session.scalars(select(Notification).where(Notification.user_id == pune.id)).all()
        assert len(bell) == 3


def test_outsiders_do_not_see_a_thread_and_bad_input_is_refused(app, client, world):
    login(client, world.outsider)
    url = f"/people/mentorships/{world.mentorship_id}/messages"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"body": "hi"}).status_code == 404
    client2 = app.test_client()
    login(client2, world.mentor_rep)
    assert client2.post(url, data={"body": "   "}).status_code == 422
    assert client2.post(url, data={"body": "x" * 5001}).status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Message.id)) is None
    # A proposal's thread opens when the pair is approved; before, only coordinators read it.
    assert client2.get(f"/people/proposals/{world.proposal_id}/messages").status_code == 404


def test_unsubscribe_link_switches_the_event_off_after_a_click(app, client, world):
    with app.app_context():
        token = preferences.unsubscribe_token(world.get(world.mentee_rep), "messages")
    assert client.get("/people/unsubscribe/not-a-token").status_code == 404
    page = client.get(f"/people/unsubscribe/{token}")
    assert page.status_code == 200
    with app.app_context():
        assert preferences.delivery(world.get(world.mentee_rep), "messages") == "immediate"  # GET changes nothing
    assert client.post(f"/people/unsubscribe/{token}").status_code == 200
    with app.app_context():
        assert preferences.delivery(world.get(world.mentee_rep), "messages") == "off"


def test_preferences_page_saves_and_refuses_unknown_values(app, client, world):
    login(client, world.mentee_rep)
    assert client.get("/people/preferences").status_code == 200
    data = {f"event_{e}": "immediate" for e in ("proposals", "endorsements", "sessions", "messages",
                                                "reminders", "circulars")}
    assert client.post("/people/preferences", data={**data, "event_messages": "weekly"}).status_code == 422
    assert client.post("/people/preferences", data={**data, "event_circulars": "digest"}).status_code == 303
    with app.app_context():
        assert preferences.delivery(world.get(world.mentee_rep), "circulars") == "digest"
        assert preferences.shows_email(world.get(world.mentee_rep)) is False  # unchecked box


def test_a_refusal_by_the_service_is_shown_under_its_field(app, client, world, monkeypatch):
    from mentoring.people import routes
    from mentoring.services import ServiceError

    def refuse(*args):
        raise ServiceError("Not saved.", {"event_messages": ["Messages cannot be switched off here."]})

    monkeypatch.setattr(routes.preferences, "update", refuse)
    login(client, world.mentee_rep)
    data = {f"event_{e}": "immediate" for e in ("proposals", "endorsements", "sessions", "messages",
                                                "reminders", "circulars")}
    refused = client.post("/people/preferences", data=data)
    assert refused.status_code == 422
    from tests.html import texts

    assert texts(refused, "#event_messages-error") == ["Messages cannot be switched off here."]


def test_messages_are_kept_with_the_mentorship_and_appear_in_its_export(app, client, world):
    with app.app_context():
        messages.post(world.get(world.mentor_rep), db.session.get(Mentorship, world.mentorship_id), "Agenda attached")
        db.session.commit()
    login(client, world.mentee_rep)
    response = client.get(f"/people/mentorships/{world.mentorship_id}/export.json")
    assert response.status_code == 200
    exported = response.get_json()
    assert [(m["author"], m["city"], m["body"]) for m in exported["messages"]] == [
        ("Valentina Valpo", "Valparaíso", "Agenda attached")]
    outsider = app.test_client()
    login(outsider, world.outsider)
    assert outsider.get(f"/people/mentorships/{world.mentorship_id}/export.json").status_code == 404


def test_the_bell_comes_with_the_session_query_and_follows_reading(app, client, world):
    """A page's bell counts arrive with the session record (one query for both), and stay current."""
    from sqlalchemy import event

    login(client, world.mentee_rep)
    with app.app_context():
        mentorship = db.session.get(Mentorship, world.mentorship_id)
        messages.post(world.get(world.mentor_rep), mentorship, "one")
        messages.post(world.get(world.mentor_rep), mentorship, "two")
        db.session.commit()
        notices = len(db.session.scalars(select(Notification).where(
            Notification.user_id == world.mentee_rep.id, Notification.read_at.is_(None))).all())
    assert notices > 0
    statements = []

    def seen(conn, cursor, statement, *_args):
        statements.append(statement.lower())

    client.get("/auth/account")
    with app.app_context():
        engine = db.engine  # (requests run outside this context: each has its own ``g``)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        page = client.get("/auth/account").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert "2 unread messages" in page and f'class="badge-count">{notices}<' in page
    bell = [s for s in statements if "from notification" in s]
    assert len(bell) == 1 and "from user_session" in bell[0], bell  # asked along with the session record
    assert client.get(f"/people/mentorships/{world.mentorship_id}/messages").status_code == 200  # read
    assert "unread message" not in client.get("/auth/account").get_data(as_text=True)
