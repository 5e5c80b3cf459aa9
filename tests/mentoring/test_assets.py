"""Static assets: pages link them under their content digest, and such a URL is cached for a year."""
from __future__ import annotations

import os
import re

from flask import url_for

from tests.html import find


def _asset_urls(html: str) -> list[str]:
    links = [el.attrs["href"] for el in find(html, "link[rel=stylesheet]")]
    return links + [el.attrs["src"] for el in find(html, "script[src]")]


def test_pages_link_assets_under_their_digest_and_those_urls_are_immutable(client):
    urls = _asset_urls(client.get("/auth/login").get_data(as_text=True))
    assert urls, "the sign-in page links at least its stylesheet"
    for url in urls:
        assert re.fullmatch(r"/static/[\w/.-]+\?v=[0-9a-f]{12}", url), url
        response = client.get(url)
        response.close()
        assert response.status_code == 200
        cache = response.cache_control
        assert cache.immutable and cache.public and cache.max_age == 365 * 24 * 3600


def test_a_stale_or_missing_digest_is_revalidated_not_cached_forever(client):
    url = next(u for u in _asset_urls(client.get("/auth/login").get_data(as_text=True)) if "app.css" in u)
    path = url.split("?")[0]
    for stale in (path, path + "?v=000000000000"):
        response = client.get(stale)
        response.close()
        assert response.status_code == 200
        assert not response.cache_control.immutable and not response.cache_control.max_age
        etag = response.headers["ETag"]
        again = client.get(stale, headers={"If-None-Match": etag})
        again.close()
        assert again.status_code == 304


def test_a_changed_file_gets_a_new_url(app, tmp_path):
    (tmp_path / "site.css").write_text("body { color: black }")
    app.static_folder = str(tmp_path)
    with app.test_request_context():
        before = url_for("static", filename="site.css")
        (tmp_path / "site.css").write_text("body { color: navy }")
        os.utime(tmp_path / "site.css", (1, 1))  # a different modification time, as an edit gives
        after = url_for("static", filename="site.css")
        assert before != after and before.split("?")[0] == after.split("?")[0]
        assert url_for("static", filename="no-such.css") == "/static/no-such.css"


def test_templates_link_a_changed_file_under_its_new_url(app, tmp_path):
    """Templates build a static link once per file version (mentoring.urls.template_url_for): an edited
    file is still linked under its new digest at once."""
    (tmp_path / "site.css").write_text("body { color: black }")
    app.static_folder = str(tmp_path)
    link = app.jinja_env.from_string("{{ url_for('static', filename='site.css') }}")
    with app.test_request_context():
        before = link.render()
        assert before == link.render() == url_for("static", filename="site.css")
        (tmp_path / "site.css").write_text("body { color: navy }")
        os.utime(tmp_path / "site.css", (1, 1))
        after = link.render()
        assert after == url_for("static", filename="site.css") and after != before
