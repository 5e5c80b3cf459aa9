"""The production install: build the wheel, install it in a new virtual environment, and — outside the
checkout — upgrade a database with the ``mentoring`` command and serve pages with gunicorn.

The new environment gets the wheel only (``--no-deps``); its dependencies are those of the environment
running the tests, reached through a ``.pth`` line (so the test needs no network and no second copy of
numpy). That environment's own ``mentoring`` (an editable install of the checkout) is not visible: a
directory listed in a ``.pth`` file does not run the ``.pth`` files it holds.
"""
from __future__ import annotations

import os
import signal
import site
import subprocess
import sys
import time
import urllib.error
import urllib.request
import venv
from pathlib import Path

import pytest

from tests.servers import free_port

PROJECT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def clean_env(**extra) -> dict:
    """The environment without PYTHONPATH (which could put the checkout back on the path)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return {**env, **extra}


def run(*args, cwd, env=None, timeout=600) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env or clean_env(), capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A new venv holding the built wheel; returns (its bin directory, a working directory outside the checkout)."""
    tmp = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp / "dist",
        PROJECT, cwd=tmp)
    wheel = next((tmp / "dist").glob("mentoring-*.whl"))
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=False)
    bin_dir = env_dir / "bin"
    purelib = run(bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp).strip()
    dependencies = [p for p in dict.fromkeys([*site.getsitepackages(), *sys.path]) if p.endswith("-packages")]
    Path(purelib, "test_dependencies.pth").write_text("\n".join(dependencies) + "\n")
    run(sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "--no-deps", "-q", wheel, cwd=tmp)
    work = tmp / "elsewhere"
    work.mkdir()
    return bin_dir, work


def test_the_wheel_ships_templates_migrations_and_catalogues(installed):
    bin_dir, work = installed
    listing = run(bin_dir / "python", "-c", "import mentoring, os; root = os.path.dirname(mentoring.__file__); "
                  "print(root); print(sorted(os.listdir(root)))", cwd=work)
    root = listing.splitlines()[0]
    assert not root.startswith(str(PROJECT)), "the checkout's package was imported instead of the wheel's"
    for path in ("templates/base.html", "templates/errors/error.html", "migrations/env.py",
                 "migrations/alembic.ini", "static/css/app.css", "translations/fr/LC_MESSAGES/messages.mo"):
        assert Path(root, path).is_file(), path


def test_the_installed_command_upgrades_a_database_and_gunicorn_serves_pages(installed, tmp_path):
    bin_dir, work = installed
    env = clean_env(MENTORING_SECRET_KEY="wheel-test-" + "x" * 32, MENTORING_REDIS_URL="null",
                    MENTORING_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'prod.sqlite'}")
    out = run(bin_dir / "mentoring", "db", "upgrade", cwd=work, env=env)
    assert "Running upgrade" in out
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")  # a file, not a pipe: a full pipe would block the server
    server = subprocess.Popen([bin_dir / "python", "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1",
                               "--graceful-timeout", "5", "--timeout", "120", "mentoring:create_app()"],
                              cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        pages = {}
        for path in ("/", "/auth/login", "/static/css/app.css", "/no-such-page"):
            for _ in range(300):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=120) as response:
                        pages[path] = (response.status, response.read().decode())
                    break
                except urllib.error.HTTPError as error:
                    pages[path] = (error.code, error.read().decode())
                    break
                except (urllib.error.URLError, ConnectionError):
                    assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()[-3000:]
                    time.sleep(0.2)
        assert pages["/"][0] == 200 and "<h1" in pages["/"][1]
        assert pages["/auth/login"][0] == 200 and 'name="password"' in pages["/auth/login"][1]
        assert pages["/static/css/app.css"][0] == 200
        assert pages["/no-such-page"][0] == 404 and "404" in pages["/no-such-page"][1]  # errors/error.html
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()
