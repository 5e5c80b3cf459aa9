"""Background runs: the RQ path against a real Redis, the local worker, and the CLI."""
from __future__ import annotations

import os
import uuid

from sqlalchemy import func, select

from mentoring import jobs
from mentoring.extensions import db
from mentoring.models import Commission, MatchRound, Proposal, User
from mentoring.services import matchmaking
from tests.conftest import login, skip_or_fail


def _open(app, coordinator) -> int:
    with app.app_context():
        cid = db.session.scalar(select(Commission.id).where(Commission.key == "digital_cities"))
        round_ = matchmaking.open_round(db.session.get(User, coordinator.id), name="Big", commission_ids=[cid])
        db.session.commit()
        return round_.id


def test_rq_queue_runs_the_round_with_a_worker_against_real_redis(app_factory, app, world, coordinator):
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        skip_or_fail("TEST_REDIS_URL is not set: the RQ path is not tested")
    from redis import Redis
    from rq import Queue, SimpleWorker

    # Rounds of more than one city run in the background; RQ because REDIS_URL is set.
    rq_app = app_factory(REDIS_URL=url, MATCHING_SYNC_LIMIT=1)
    round_id = _open(rq_app, coordinator)
    client = rq_app.test_client()
    login(client, coordinator)
    queue_name = f"{jobs.QUEUE_NAME}"
    connection = Redis.from_url(url)
    Queue(queue_name, connection=connection).empty()
    response = client.post(f"/rounds/{round_id}/run", follow_redirects=True)
    assert "running in the background" in response.get_data(as_text=True)
    page = client.get(f"/rounds/{round_id}").get_data(as_text=True)
    assert "data-job-status" in page and "<progress" in page and "Refresh" in page
    assert client.get(f"/rounds/{round_id}/status.json").get_json()["status"] == "queued"
    queue = Queue(queue_name, connection=connection)
    assert queue.count == 1
    with rq_app.app_context():
        SimpleWorker([queue], connection=connection, name=f"test-{uuid.uuid4().hex[:8]}").work(burst=True)
    status = client.get(f"/rounds/{round_id}/status.json").get_json()
    assert status["status"] == "done" and status["progress"] == 1.0
    with rq_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Proposal).where(Proposal.round_id == round_id)) == 3


def test_without_redis_a_local_worker_thread_runs_the_round(app_factory, app, world, coordinator):
    local = app_factory(MATCHING_SYNC_LIMIT=1)
    round_id = _open(local, coordinator)
    with local.app_context():
        round_ = db.session.get(MatchRound, round_id)
        assert matchmaking.request_run(db.session.get(User, coordinator.id), round_) is True
        db.session.commit()
        future = jobs.enqueue_round(round_, coordinator.id)
    assert future.result(timeout=60) == "done"
    with local.app_context():
        round_ = db.session.get(MatchRound, round_id)
        assert round_.status == "done" and round_.metrics["coverage"] == 1.0


def test_cli_opens_runs_and_shows_a_round(app, runner, world, coordinator):
    opened = runner.invoke(args=["rounds", "open", "--name", "CLI round", "--commission", "digital_cities",
                                 "--param", "allow_same_country=true", "--as", "coord@example.org"])
    assert opened.exit_code == 0, opened.output
    assert "2 mentors, 3 mentees, 1 incomplete profiles" in opened.output
    round_id = opened.output.split()[2].rstrip(":")
    ran = runner.invoke(args=["rounds", "run", round_id])
    assert ran.exit_code == 0, ran.output
    assert "coverage 100.0% (3 of 3 mentees)" in ran.output
    shown = runner.invoke(args=["rounds", "show", round_id])
    assert shown.exit_code == 0 and "Lima" in shown.output and "[proposed]" in shown.output
    bad = runner.invoke(args=["rounds", "open", "--name", "x", "--commission", "nope"])
    assert bad.exit_code != 0 and "Unknown commission" in bad.output
    with app.app_context():
        assert db.session.get(MatchRound, int(round_id)).params["allow_same_country"] is True
