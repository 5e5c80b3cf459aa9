"""Load on the real stack (SECURITY.md, family T): gunicorn with 2 workers on 127.0.0.1.

Prepares a temporary SQLite database with the demo programme (plus extra cities, ``--cities``),
starts ``gunicorn -w 2``, signs in a few demo users and sends a bounded number of requests from
concurrent clients to the pages people use daily. Prints requests per second, median and p95
latency per page, and the number of 5xx answers, with the home page as the baseline ratio.

    python benchmarks/load.py [--requests 600] [--clients 8] [--cities 2000]

Only ever targets 127.0.0.1, and stops by itself.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import Gunicorn  # noqa: E402

PASSWORD = "demo-password-2026"
PAGES = {
    "home (baseline)": "/",
    "city directory": "/cities/",
    "directory, filtered": "/cities/?region=europe&strong=open_data",
    "city profile": "/cities/1",
    "round page": "/rounds/1",
    "my mentorships": "/mentorships/",
}


def prepare(database: Path, extra_cities: int) -> None:
    from mentoring import create_app
    from mentoring.extensions import db
    from mentoring.services.demo import load_demo
    from mentoring.services.taxonomy import load_commissions, load_taxonomy

    app = create_app({"SECRET_KEY": "load", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                      "DEMO": True, "LOG_LEVEL": "ERROR"})
    with app.app_context():
        db.create_all()
        load_taxonomy()
        load_commissions()
        load_demo()
        if extra_cities:
            from mentoring.models import City, CityLanguage

            for i in range(extra_cities):
                city = City(name=f"Load City {i}", country="BR", region="latin_america", status="verified",
                            population=50_000 + i)
                city.languages = [CityLanguage(code="pt", position=0)]
                db.session.add(city)
        db.session.commit()
        db.engine.dispose()


def signed_in_opener(base: str, email: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    data = urllib.parse.urlencode({"email": email, "password": PASSWORD}).encode()
    opener.open(base + "/auth/login", data=data, timeout=30).close()
    return opener


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="requests per page (bounded)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--cities", type=int, default=2000, help="extra cities beyond the demo")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mentoring-load-"))
    database = workdir / "load.sqlite"
    print(f"preparing {database} (demo + {args.cities} cities)…", flush=True)
    prepare(database, args.cities)
    env = {
        "MENTORING_SECRET_KEY": "load", "MENTORING_DATABASE_URL": f"sqlite:///{database}",
        "MENTORING_SESSION_COOKIE_SECURE": "false", "MENTORING_SESSION_COOKIE_NAME": "s",
        "MENTORING_WTF_CSRF_ENABLED": "false", "MENTORING_RATELIMIT_ENABLED": "false",
        "MENTORING_LOG_LEVEL": "ERROR", "MENTORING_DEMO": "true",
    }
    server = Gunicorn(env, workdir / "gunicorn.log", workers=2)
    try:
        server.wait_ready("/")
        openers = [signed_in_opener(server.url, "coordinator@demo.mentoring.example") for _ in range(args.clients)]
        print(f"{'page':24} {'req/s':>8} {'median ms':>10} {'p95 ms':>8} {'5xx':>5} {'× baseline':>11}")
        baseline = None
        for name, path in PAGES.items():
            latencies: list[float] = []
            errors = 0
            lock = threading.Lock()
            per_client = max(1, args.requests // args.clients)

            def client(opener, path=path, per_client=per_client, lock=lock, latencies=latencies) -> None:
                nonlocal errors
                for _ in range(per_client):
                    start = time.perf_counter()
                    try:
                        opener.open(server.url + path, timeout=30).read()
                        status = 200
                    except urllib.error.HTTPError as error:
                        status = error.code
                        error.close()
                    elapsed = time.perf_counter() - start
                    with lock:
                        latencies.append(elapsed)
                        errors += status >= 500

            threads = [threading.Thread(target=client, args=(o,)) for o in openers]
            began = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - began
            median = statistics.median(latencies) * 1000
            p95 = statistics.quantiles(latencies, n=20)[-1] * 1000
            baseline = baseline or median
            print(f"{name:24} {len(latencies) / wall:8.1f} {median:10.1f} {p95:8.1f} {errors:5d} "
                  f"{median / baseline:11.2f}")
    finally:
        server.stop()
    print(f"load average: {os.getloadavg()[0]:.2f} (2 cores)")


if __name__ == "__main__":
    main()
