"""The city directory: filters, sorting, pagination, visibility and a constant number of queries."""
from __future__ import annotations

import re

from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import (
    Assessment,
    CapabilityArea,
    City,
    CityCommission,
    CityLanguage,
    Commission,
)
from tests.conftest import count_queries, login
from tests.html import find


def _names(response) -> list[str]:
    return re.findall(r'<a href="/cities/\d+">([^<]+)</a>', response.get_data(as_text=True))


def _seed(app, count: int, *, assessed: bool = True) -> None:
    """``count`` verified cities with languages, a commission and a few assessments each."""
    with app.app_context():
        areas = list(db.session.scalars(select(CapabilityArea).order_by(CapabilityArea.position)))
        commission = db.session.scalar(select(Commission).where(Commission.key == "digital_cities"))
        for i in range(count):
            city = City(name=f"Town {i:03d}", country="FR" if i % 2 else "SN",
                        region="europe" if i % 2 else "africa", population=1000 * (i + 1), status="verified")
            city.languages = [CityLanguage(code="fr", position=0), CityLanguage(code="en", position=1)]
            city.commissions = [CityCommission(commission=commission)]
            db.session.add(city)
            db.session.flush()
            if assessed:
                for j, area in enumerate(areas[:5]):
                    db.session.add(Assessment(city_id=city.id, area_id=area.id, maturity=(i + j) % 5,
                                              need=(i + j) % 4, can_mentor=(i + j) % 5 >= 3))
        db.session.commit()


def test_directory_filters_sort_and_paginate(app, client, people, make_city):
    make_city("Hidden", "FR", status="pending")
    make_city("Lisboa", "PT", languages=("pt",), population=500_000)
    with app.app_context():
        lisboa = db.session.scalar(select(City).where(City.name == "Lisboa"))
        areas = {a.key: a for a in db.session.scalars(select(CapabilityArea))}
        lisboa.commissions = [CityCommission(commission=db.session.scalar(
            select(Commission).where(Commission.key == "urban_mobility")))]
        db.session.add(Assessment(city_id=lisboa.id, area_id=areas["open_data"].id, maturity=4, need=0))
        db.session.add(Assessment(city_id=lisboa.id, area_id=areas["broadband"].id, maturity=1, need=3))
        db.session.commit()
    login(client, people.rep_b)
    assert _names(client.get("/cities/")) == ["Alpha", "Beta", "Lisboa"]  # no pending city
    assert _names(client.get("/cities/?q=lis")) == ["Lisboa"]
    assert _names(client.get("/cities/?q=%25")) == []  # LIKE wildcards are escaped
    assert _names(client.get("/cities/?q=_")) == [] and _names(client.get("/cities/?q=/")) == []
    assert _names(client.get("/cities/?q=LIS")) == ["Lisboa"]  # whatever the case
    assert _names(client.get("/cities/?country=pt")) == ["Lisboa"]
    assert _names(client.get("/cities/?region=europe&language=es")) == ["Beta"]
    assert _names(client.get("/cities/?commission=urban_mobility")) == ["Lisboa"]
    assert _names(client.get("/cities/?strong=open_data")) == ["Lisboa"]
    assert _names(client.get("/cities/?strong=broadband")) == []
    assert _names(client.get("/cities/?needs=broadband")) == ["Lisboa"]
    assert _names(client.get("/cities/?needs=open_data")) == []
    assert _names(client.get("/cities/?sort=population")) == ["Lisboa", "Alpha", "Beta"]
    assert _names(client.get("/cities/?sort=country")) == ["Beta", "Alpha", "Lisboa"]  # ES, FR, PT
    assert _names(client.get("/cities/?status=pending")) == ["Alpha", "Beta", "Lisboa"]  # ignored
    data = client.get("/cities/?q=lis", headers={"Accept": "application/json"}).get_json()
    assert data["total"] == 1 and data["cities"][0]["can_mentor"] == []
    assert client.get("/cities/?page=abc&sort=drop+table").status_code == 200
    login(client, people.coordinator)
    assert _names(client.get("/cities/?status=pending")) == ["Hidden"]
    assert "Hidden" in _names(client.get("/cities/"))


def test_directory_pages(app, client, people):
    _seed(app, 30, assessed=False)
    login(client, people.rep_a)
    first = client.get("/cities/?q=Town")
    assert len(_names(first)) == 25 and "Page 1 of 2" in first.get_data(as_text=True)
    second = client.get("/cities/?q=Town&page=2")
    assert _names(second) == [f"Town {i:03d}" for i in range(25, 30)]
    assert _names(client.get("/cities/?q=Town&page=9")) == []


def test_directory_issues_a_constant_number_of_queries(app, client, people):
    """No N+1: the page costs the same whether it shows 2 cities or 25 of 60."""
    login(client, people.rep_a)
    client.get("/cities/")  # warm caches (taxonomy file, country names)
    with app.app_context():
        with count_queries(db.engine) as few:
            assert len(_names(client.get("/cities/"))) == 2
    _seed(app, 60)
    with app.app_context():
        with count_queries(db.engine) as many:
            response = client.get("/cities/?sort=updated")
    assert len(_names(response)) == 25
    with app.app_context():
        with count_queries(db.engine) as filtered:
            client.get("/cities/?strong=digital_strategy&needs=open_data&language=fr&commission=digital_cities")
    print(f"directory queries: {few()} with 2 cities, {many()} with 25 of 62 shown, {filtered()} filtered")
    assert many() == few()
    assert filtered() == few()
    assert many() <= 10  # including the homonyms' subdivisions and the mentor-request links


def test_coordinators_get_export_with_the_current_filters_and_import_links(app, client, people):
    login(client, people.coordinator)
    page = client.get("/cities/?region=europe&country=fr&commission=digital_cities&status=verified&q=al")
    html = page.get_data(as_text=True)
    [href] = re.findall(r'href="(/cities/export\.csv[^"]*)"[^>]*>Export CSV<', html)
    href = href.replace("&amp;", "&")
    for part in ("region=europe", "country=fr", "commission=digital_cities", "status=verified"):
        assert part in href
    assert "q=" not in href  # the export knows only the four filters
    assert 'href="/cities/import"' in html
    export = client.get(href)
    assert export.status_code == 200 and export.mimetype == "text/csv"
    # The link of a page filtered on France exports only the French city.
    html = client.get("/cities/?country=fr").get_data(as_text=True)
    [href] = re.findall(r'href="(/cities/export\.csv[^"]*)"', html)
    text = client.get(href.replace("&amp;", "&")).get_data(as_text=True)
    assert "Alpha" in text and "Beta" not in text
    # Without filters the link exports everything.
    html = client.get("/cities/").get_data(as_text=True)
    assert 'href="/cities/export.csv"' in html


def test_representatives_get_neither_export_nor_import(app, client, people):
    login(client, people.rep_a)
    links = [a.attrs.get("href", "") for a in find(client.get("/cities/"), "a")]
    assert links and not [href for href in links if "export.csv" in href or href.startswith("/cities/import")]


def test_demo_cities_carry_a_demo_tag_in_the_directory_and_profile(app, client, people, make_city):
    demo = make_city("Demotown", "IT", is_demo=True)
    login(client, people.rep_a)
    html = client.get("/cities/").get_data(as_text=True)
    row = re.search(r"Demotown</a>(.*?)</th>", html, re.S).group(1)
    assert '<span class="tag tag--demo">Demo</span>' in row
    alpha_row = re.search(r"Alpha</a>(.*?)</th>", html, re.S).group(1)
    assert "tag--demo" not in alpha_row
    profile = client.get(f"/cities/{demo.id}").get_data(as_text=True)
    assert re.search(r'<h1>Demotown <span class="tag tag--demo">Demo</span></h1>', profile)
    assert find(client.get(f"/cities/{people.city_a.id}"), "span.tag--demo") == []


def test_homonyms_show_their_subdivision_and_the_directory_filters_by_it(app, client, people, make_city):
    jiangsu = make_city("Suzhou", "CN", region="asia_pacific", subdivision="CN-JS")
    make_city("Suzhou", "CN", region="asia_pacific", subdivision="CN-AH")
    make_city("Wuxi", "CN", region="asia_pacific", subdivision="CN-JS")
    login(client, people.rep_b)
    names = _names(client.get("/cities/?country=CN"))
    assert sorted(names) == ["Suzhou (Anhui Sheng)", "Suzhou (Jiangsu Sheng)", "Wuxi"]  # only homonyms qualified
    assert sorted(_names(client.get("/cities/?country=CN&subdivision=CN-JS"))) == ["Suzhou (Jiangsu Sheng)", "Wuxi"]
    page = client.get("/cities/?country=CN").get_data(as_text=True)
    assert [o.attrs["value"] for o in find(page, "select#subdivision option")][:2] == ["", "CN-AH"]
    profile = client.get(f"/cities/{jiangsu.id}").get_data(as_text=True)
    assert [h.text.strip() for h in find(profile, "h1")][0].startswith("Suzhou (Jiangsu Sheng)")
