"""Large survey files: checked and imported by a background job (thread or RQ), with a progress page."""
from __future__ import annotations

import os
import uuid

from sqlalchemy import func, select

from mentoring import jobs
from mentoring.extensions import db
from mentoring.models import City, SurveyJob, User
from mentoring.services import survey
from tests.conftest import login, skip_or_fail
from tests.html import find
from tests.mentoring.survey.test_web import upload

FILE = b"name,country,population,open_data_maturity\n" + b"".join(
    f"Town {i},FR,{1000 + i},{i % 5}\n".encode() for i in range(12))


def city_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(City))


def wait_for_local_worker():
    jobs._executor().submit(int).result(timeout=120)  # one worker: runs after the queued job


def test_a_large_file_is_checked_then_imported_in_the_background(app_factory, app, make_user):
    local = app_factory(SURVEY_BACKGROUND_ROWS=5)
    client = local.test_client()
    coordinator = make_user(role="coordinator")
    login(client, coordinator)
    response = upload(client, FILE)
    assert response.status_code == 303 and "/cities/import/job/" in response.headers["Location"]
    job_url = response.headers["Location"]
    wait_for_local_worker()
    preview = client.get(job_url).get_data(as_text=True)
    assert "Import 12 cities" in preview and "Town 11" in preview
    assert city_count(local) == 0  # the check writes nothing
    assert client.get(job_url + "/status").get_json()["status"] == "done"

    confirmed = client.post(job_url + "/confirm")
    assert confirmed.status_code == 303
    wait_for_local_worker()
    result = client.get(job_url).get_data(as_text=True)
    assert "Import done" in result and "cities added" in result
    assert [s.text for s in find(result, ".stat__value")][0] == "12"
    assert city_count(local) == 12
    with local.app_context():
        job = db.session.scalar(select(SurveyJob))
        assert job.status == "done" and job.summary["created"] == 12 and job.data is None  # upload cleared
    assert client.post(job_url + "/confirm").status_code == 409  # refused: never a second import
    assert city_count(local) == 12


def test_a_file_with_problems_checked_in_the_background_lists_them_and_keeps_no_upload(app_factory, app, make_user):
    local = app_factory(SURVEY_BACKGROUND_ROWS=5)
    client = local.test_client()
    login(client, make_user(role="coordinator"))
    job_url = upload(client, FILE.replace(b"Town 3,FR", b"Town 3,XX")).headers["Location"]
    wait_for_local_worker()
    page = client.get(job_url).get_data(as_text=True)
    assert "“XX” is not a country" in page
    assert not [f for f in find(page, "form") if f.attrs.get("action", "").endswith("/confirm")]
    assert client.post(job_url + "/confirm").status_code == 409
    assert city_count(local) == 0
    with local.app_context():
        assert db.session.scalar(select(SurveyJob)).data is None


def test_the_progress_page_works_without_script_and_only_for_its_owner(app, client, make_user):
    coordinator = make_user(role="coordinator")
    with app.app_context():
        job = survey.create_job(db.session.get(User, coordinator.id), FILE, "big.csv", "en")
        db.session.commit()
        job_id = job.id
    login(client, coordinator)
    page = client.get(f"/cities/import/job/{job_id}").get_data(as_text=True)
    assert "<progress" in page and 'http-equiv="refresh"' in page and "js/job-progress.js" in page
    assert "Refresh" in page and "about 12 rows" in page
    assert client.get(f"/cities/import/job/{job_id}/status").get_json()["status"] == "queued"
    other = app.test_client()
    login(other, make_user(role="coordinator"))
    assert other.get(f"/cities/import/job/{job_id}").status_code == 404
    assert other.post(f"/cities/import/job/{job_id}/confirm").status_code == 404


def test_a_silent_job_is_shown_interrupted_and_its_upload_purged(app_factory, app, make_user):
    from datetime import timedelta

    from mentoring.models import utcnow

    local = app_factory(SURVEY_STALE_AFTER=60)
    coordinator = make_user(role="coordinator")
    with local.app_context():
        job = survey.create_job(db.session.get(User, coordinator.id), FILE, "big.csv", "en")
        job.status = "running"
        job.progress_at = utcnow() - timedelta(seconds=61)
        db.session.commit()
        assert survey.display_status(job) == "interrupted"
        assert survey.purge_uploads(now=utcnow() + timedelta(hours=2)) == 1
        db.session.commit()
        job_id = job.id
    client = local.test_client()
    login(client, coordinator)
    page = client.get(f"/cities/import/job/{job_id}").get_data(as_text=True)
    assert "Nothing was imported." in page and "stopped reporting progress" in page and "<progress" not in page


def test_rq_worker_runs_the_check_and_the_import_against_real_redis(app_factory, app, make_user):
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        skip_or_fail("TEST_REDIS_URL is not set: the RQ path is not tested")
    from redis import Redis
    from rq import Queue, SimpleWorker

    rq_app = app_factory(REDIS_URL=url, SURVEY_BACKGROUND_ROWS=5)
    connection = Redis.from_url(url)
    queue = Queue(jobs.QUEUE_NAME, connection=connection)
    queue.empty()
    client = rq_app.test_client()
    login(client, make_user(role="coordinator"))
    job_url = upload(client, FILE).headers["Location"]
    assert queue.count == 1 and client.get(job_url + "/status").get_json()["status"] == "queued"

    def work():
        with rq_app.app_context():
            SimpleWorker([queue], connection=connection, name=f"test-{uuid.uuid4().hex[:8]}").work(burst=True)

    work()
    assert "Import 12 cities" in client.get(job_url).get_data(as_text=True)
    client.post(job_url + "/confirm")
    work()
    assert "cities added" in client.get(job_url).get_data(as_text=True)
    assert city_count(rq_app) == 12
