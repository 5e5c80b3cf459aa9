"""Circulars: composed per language, previewed, sent through the outbox in batches, archived."""
from __future__ import annotations

import os
import uuid

from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import Circular, CircularDelivery
from mentoring.services import circulars
from tests.conftest import login, skip_or_fail
from tests.mentoring.people.conftest import elements, outbox

FORM = {"audience": "region", "audience_value": "latin_america",
        "title_en": "Call for mentors", "body_en": "Dear members,\n\n**Apply** by June. <script>x()</script>",
        "title_es": "Llamada a mentores", "body_es": "Estimados miembros,\n\n**Postulen** antes de junio.",
        "title_fr": "", "body_fr": ""}


def test_coordinator_composes_previews_and_sends_each_member_their_language(app, client, world):
    login(client, world.coordinator)
    assert client.get("/people/circulars/new").status_code == 200
    response = client.post("/people/circulars/new", data=FORM)
    assert response.status_code == 303
    preview = client.get(response.headers["Location"])
    page = preview.get_data(as_text=True)
    assert "Apply" in [t for _, t in elements(page, "strong")]
    assert [a for a, _ in elements(page, "script") if "src" not in a] == []  # the body's script stays text
    with app.app_context():
        circular = db.session.scalar(select(Circular))
        assert circulars.recipient_count(circular) == 2  # Valparaíso and Quito; Pune is in Asia
        circular_id, version = circular.id, circular.version
    sent = client.post(f"/people/circulars/{circular_id}/send", data={"version": version})
    assert sent.status_code == 303
    assert client.post(f"/people/circulars/{circular_id}/send", data={"version": version}).status_code in (303, 409)
    with app.app_context():
        spanish = outbox("rep@valpo.example")
        assert [m.subject for m in spanish] == ["Llamada a mentores"]
        assert "<strong>Postulen</strong>" in spanish[0].html
        english = outbox("rep@quito.example")
        assert [m.subject for m in english] == ["Call for mentors"]
        assert outbox("rep@pune.example") == []
        circular = db.session.get(Circular, circular_id)
        assert (circular.status, circular.recipients_total, circular.delivered, circular.failed) == ("sent", 2, 2, 0)
    # The archive: members who received it read it; others do not see it.
    reader = app.test_client()
    login(reader, world.mentor_rep)
    assert reader.get(f"/people/circulars/{circular_id}").status_code == 200
    other = app.test_client()
    login(other, world.mentee_rep)
    assert other.get(f"/people/circulars/{circular_id}").status_code == 404
    archive = other.get("/people/circulars").get_data(as_text=True)
    assert elements(archive, "a", href=f"/people/circulars/{circular_id}") == []


def test_bad_circulars_are_refused_with_field_errors(app, client, world):
    login(client, world.coordinator)
    empty = {k: "" for k in FORM} | {"audience": "representatives"}
    assert client.post("/people/circulars/new", data=empty).status_code == 422
    assert client.post("/people/circulars/new", data=FORM | {"audience_value": "atlantis"}).status_code == 422
    assert client.post("/people/circulars/new", data=FORM | {"audience": "everyone"}).status_code == 422
    member = app.test_client()
    login(member, world.mentor_rep)
    assert member.post("/people/circulars/new", data=FORM).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(Circular.id)) is None


def test_batches_run_on_rq_when_redis_is_configured(app_factory, app, world):
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        skip_or_fail("TEST_REDIS_URL is not set: the RQ path of circulars is not tested")
    from redis import Redis
    from rq import Queue, SimpleWorker

    rq_app = app_factory(REDIS_URL=url)
    with rq_app.app_context():
        coordinator = world.get(world.coordinator)
        circular = circulars.save(coordinator, None, texts={"en": {"title": "Hello", "body": "All of you"}},
                                  audience="representatives", audience_value=None)
        circulars.send(coordinator, circular)
        db.session.commit()
        circular_id = circular.id
        connection = Redis.from_url(url)
        queue = Queue("mentoring", connection=connection)
        queue.empty()
        circulars.start_delivery(circular_id)
        assert db.session.scalar(select(CircularDelivery.status).where(CircularDelivery.status == "queued"))
        SimpleWorker([queue], connection=connection, name=f"test-{uuid.uuid4().hex[:8]}").work(burst=True)
        db.session.expire_all()
        circular = db.session.get(Circular, circular_id)
        assert (circular.status, circular.delivered) == ("sent", 3)
        assert len(outbox()) == 3
