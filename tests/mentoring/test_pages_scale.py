"""Pages at network scale (issue 11): HTML size, cached choice lists, compression."""
from __future__ import annotations

import gzip

from tests.conftest import login
from tests.html import find
from tests.mentoring.cities.test_directory import _seed


def test_a_full_directory_page_stays_under_60_kib_and_marks_the_chosen_filters(app, client, make_user):
    _seed(app, 40)
    user = make_user(role="coordinator")
    login(client, user)
    page = client.get("/cities/?country=fr&language=en&region=europe")
    assert page.status_code == 200
    assert len(page.get_data()) <= 60 * 1024
    chosen = {name: [o.attrs.get("value") for o in find(page, f"select#{name} option") if "selected" in o.attrs]
              for name in ("country", "language", "region")}
    assert chosen["country"] == ["FR"] and chosen["language"] == ["en"] and chosen["region"] == ["europe"]
    # The lists rendered once are reused: another choice on the next request, the same full list.
    other = client.get("/cities/?country=SN")
    countries = find(other, "select#country option")
    assert [o.attrs.get("value") for o in countries if "selected" in o.attrs] == ["SN"]
    assert len(countries) == len(find(page, "select#country option")) > 200


def test_html_travels_gzipped_when_the_browser_accepts_it(app, client, make_user):
    login(client, make_user())
    plain = client.get("/cities/")
    packed = client.get("/cities/", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers.get("Vary", "")
    assert gzip.decompress(packed.get_data()).decode().count("<option") == plain.get_data(as_text=True).count("<option")
    assert len(packed.get_data()) < len(plain.get_data()) / 3
