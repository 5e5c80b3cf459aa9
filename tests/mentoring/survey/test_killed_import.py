"""All or nothing, even when the process importing a survey in the background is killed (SIGKILL) half-way.

The import stage runs in its own process on the test database (a file for SQLite, the server for
PostgreSQL); it is killed after it has inserted its first batch of cities, before its one commit. No city of
the file may be found afterwards, and the job must not stay "running" forever: once silent for longer than
SURVEY_STALE_AFTER its page says it was interrupted.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import City, SurveyJob, User
from mentoring.services import survey
from mentoring.survey_jobs import run_survey_job
from tests.conftest import BASE_TEST_CONFIG, login

ROWS = 300
FILE = b"name,country,population,open_data_maturity\n" + b"".join(
    f"Killtown {i},FR,{1000 + i},{i % 5}\n".encode() for i in range(ROWS))

# The child: the real job function, with small batches and a pause once the first batch is in the database.
CHILD = """
import json, sys, time
from mentoring import create_app
from mentoring.extensions import db
from mentoring.services.survey import importer
from mentoring.survey_jobs import run_survey_job

config, job_id, marker = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
importer.BATCH = 50
create = importer._create

def create_then_wait(*args):
    ids, written = create(*args)
    with open(marker, "w") as handle:
        handle.write(str(len(ids)))
    time.sleep(300)  # killed here: cities inserted, not committed
    return ids, written

importer._create = create_then_wait
with create_app(config).app_context():
    run_survey_job(job_id)
"""


def test_killing_the_import_process_writes_no_city_and_the_job_shows_interrupted(
        app_factory, app, database_url, make_user, tmp_path):
    local = app_factory(SURVEY_STALE_AFTER=0.5)
    coordinator = make_user(role="coordinator")
    with local.app_context():
        job = survey.create_job(db.session.get(User, coordinator.id), FILE, "survey.csv", "en")
        db.session.commit()
        job_id = job.id
        assert run_survey_job(job_id) == "done"  # the check, in this process
        job = db.session.get(SurveyJob, job_id)
        assert job.report["ok"] and job.report["new"] == ROWS
        survey.request_import(job)
        db.session.commit()

    marker = tmp_path / "first-batch-written"
    config = {**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url}
    child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(config), str(job_id), str(marker)],
                             env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() or not marker.read_text():
            assert child.poll() is None, "the import process ended before its first batch"
            assert time.monotonic() < deadline, "the import process never wrote its first batch"
            time.sleep(0.05)
        assert int(marker.read_text()) == 50  # the first batch is in the database, uncommitted
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

    with local.app_context():
        assert db.session.scalar(select(func.count()).select_from(City)) == 0
        job = db.session.get(SurveyJob, job_id)
        assert job.status == "running" and job.stage == "import"  # what the dead process left
    time.sleep(0.6)  # longer than SURVEY_STALE_AFTER: the silent job is now known to be dead
    client = local.test_client()
    login(client, coordinator)
    assert client.get(f"/cities/import/job/{job_id}/status").get_json()["status"] == "interrupted"
    page = client.get(f"/cities/import/job/{job_id}").get_data(as_text=True)
    assert "Nothing was imported." in page and "No city of the file was written" in page
    assert "<progress" not in page
