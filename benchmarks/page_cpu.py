"""CPU milliseconds per request of each page, in process (no server, no load generator, no other process).

Wall-clock figures from ``benchmarks/pages.py`` move with whatever else the machine runs; the CPU time this
process spends answering one request does not (much). Each page is requested ``--repeat`` times through
Flask's test client, signed in as its role, with the production configuration that ``pages.py`` gives
gunicorn (no ``TESTING``, CSRF and rate limits off), on the database that ``pages.py --reuse`` filled; the
trivial 50-row table and a signed-in "floor" (the smallest page of the layout: an empty ``base.html``) are
measured alongside.

    python benchmarks/page_cpu.py --reuse /tmp/pages.sqlite [--repeat 200] [--only directory home]
                                  [--profile "city profile"]

``--profile LABEL`` prints the cProfile of that page's requests (sorted by own time, then cumulative).
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pages import pages, signed_in_clients  # noqa: E402


def _app(url: str):
    from flask import render_template
    from flask_login import login_required

    from mentoring import create_app

    app = create_app({
        "SECRET_KEY": "pages", "SQLALCHEMY_DATABASE_URI": url, "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_NAME": "s", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://", "LOG_LEVEL": "ERROR", "DEMO": True, "PASSWORD_HASHER": "fast",
    })

    layout = app.jinja_env.from_string('{% extends "base.html" %}')  # compiled once, like a template file

    @app.get("/__floor")
    @login_required
    def floor():  # the layout alone: what every signed-in page pays before its own content
        return render_template(layout)

    return app


def cpu_ms(client, path: str, repeat: int, profiler: cProfile.Profile | None = None) -> float:
    for _ in range(3):  # warm-up: templates compiled, caches filled
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, (path, response.status_code)
    if profiler:
        profiler.enable()
    start = time.process_time()
    for _ in range(repeat):
        client.get(path, headers={"Accept-Encoding": "gzip"})
    spent = time.process_time() - start
    if profiler:
        profiler.disable()
    return spent * 1000 / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", required=True, help="the SQLite file pages.py --reuse filled (its .json beside it)")
    parser.add_argument("--url", default="", help="another database URL holding the same fill (PostgreSQL)")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--only", nargs="*", help="only the pages whose label contains one of these words")
    parser.add_argument("--profile", default="", help="print cProfile of the page with this label")
    parser.add_argument("--lines", type=int, default=40)
    args = parser.parse_args()
    reuse = Path(args.reuse)
    info = json.loads(reuse.with_suffix(".json").read_text())
    app = _app(args.url or f"sqlite:///{reuse.resolve()}")
    clients = signed_in_clients(app)

    from benchmarks.trivial_app import app as trivial

    rows = [("trivial 50-row table", None, "/table", trivial.test_client()),
            ("signed-in floor (empty layout)", "representative", "/__floor", None)]
    rows += [(label, role, path, None) for label, role, path in pages(info)
             if not args.only or any(word in label for word in args.only)]
    print(f"| {'page':52} | {'CPU ms':>7} |\n| {'-' * 52} | {'-' * 6}: |")
    for label, role, path, client in rows:
        profiler = cProfile.Profile() if args.profile and args.profile == label else None
        ms = cpu_ms(client or clients[role], path, args.repeat, profiler)
        print(f"| {label:52} | {ms:7.2f} |", flush=True)
        if profiler:
            stats = pstats.Stats(profiler)
            stats.sort_stats("tottime").print_stats(args.lines)
            stats.sort_stats("cumulative").print_stats(args.lines)


if __name__ == "__main__":
    main()
