"""How fast is the city directory with 10,000 cities?

Fills a temporary SQLite database with 10,000 verified cities (bulk inserts: languages,
commissions and 25 current assessments each, i.e. 250,000 assessment rows), then times the
directory page through the test client — the median of N requests — with and without filters.
Figures are printed as milliseconds and as ratios against a baseline measured in the same process:
a trivial page (the home page), so the ratios say how much the directory costs beyond the
framework's own overhead on this machine. No assertion: this is a measurement, not a test.

    python benchmarks/directory.py [--cities 10000] [--repeat 15]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere: the repository root

from sqlalchemy import insert, select


def build(app, cities: int, seed: int = 7) -> None:
    from mentoring.extensions import db
    from mentoring.models import Assessment, CapabilityArea, City, CityCommission, CityLanguage, Commission, utcnow
    from mentoring.services.geography import region_for_country
    from mentoring.services.taxonomy import load_commissions, load_taxonomy

    rng = random.Random(seed)
    with app.app_context():
        db.create_all()
        load_taxonomy()
        load_commissions()
        db.session.commit()
        areas = list(db.session.scalars(select(CapabilityArea.id)))
        commissions = list(db.session.scalars(select(Commission.id)))
        countries = ["FR", "ES", "SN", "BR", "IN", "US", "KE", "DE", "MX", "JP", "TR", "MA", "AR", "ID"]
        languages = ["fr", "en", "es", "pt", "ar", "de", "hi", "ja", "sw", "tr", "id"]
        now = utcnow()
        city_rows = []
        for i in range(cities):
            country = countries[i % len(countries)]
            city_rows.append({
                "name": f"City {i:05d}", "country": country, "region": region_for_country(country),
                "population": rng.randint(5_000, 5_000_000), "status": "verified" if i % 10 else "pending",
                "mentor_capacity": rng.randint(0, 3), "wants_mentor": bool(i % 3), "priority": 1.0,
                "practices": "", "needs": "", "is_demo": True, "created_at": now, "updated_at": now, "version": 1,
            })
        db.session.execute(insert(City), city_rows)
        ids = list(db.session.scalars(select(City.id).order_by(City.id)))
        db.session.execute(insert(CityLanguage), [
            {"city_id": cid, "code": code, "position": p}
            for cid in ids for p, code in enumerate(rng.sample(languages, 2))
        ])
        db.session.execute(insert(CityCommission), [
            {"city_id": cid, "commission_id": rng.choice(commissions)} for cid in ids
        ])
        rows = []
        for cid in ids:
            for area in areas:
                maturity = rng.randint(0, 4)
                rows.append({"city_id": cid, "area_id": area, "maturity": maturity, "need": rng.randint(0, 3),
                             "can_mentor": maturity >= 3 and rng.random() < .5, "evidence": "",
                             "is_current": True, "assessed_at": now})
        db.session.execute(insert(Assessment), rows)
        db.session.commit()


def median_ms(client, url: str, repeat: int) -> float:
    client.get(url)  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cities", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    from mentoring import create_app
    from mentoring.extensions import db
    from mentoring.models import User
    from tests.conftest import BASE_TEST_CONFIG, login

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        app = create_app({**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        start = time.perf_counter()
        build(app, args.cities)
        print(f"filled {args.cities:,} cities in {time.perf_counter() - start:.1f} s")
        with app.app_context():
            user = User(email="bench@example.org", name="Bench", password_hash="x", role="coordinator")
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        client = app.test_client()
        login(client, user)
        baseline = median_ms(client, "/", args.repeat)
        print(f"baseline (home page): {baseline:.1f} ms median of {args.repeat}")
        cases = [
            ("no filter", "/cities/"),
            ("name search", "/cities/?q=City+09"),
            ("country + language", "/cities/?country=FR&language=fr"),
            ("strong in area", "/cities/?strong=open_data"),
            ("needs area + commission", "/cities/?needs=broadband&commission=digital_cities"),
            ("all filters", "/cities/?region=europe&language=fr&strong=open_data&needs=broadband"
                            "&commission=urban_mobility"),
            ("sort by population", "/cities/?sort=population"),
            ("recently updated, page 200", "/cities/?sort=updated&page=200"),
            ("status pending (coordinator)", "/cities/?status=pending"),
        ]
        print(f"{'case':32} {'median ms':>10} {'× baseline':>11}")
        for name, path in cases:
            ms = median_ms(client, path, args.repeat)
            print(f"{name:32} {ms:10.1f} {ms / baseline:11.1f}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
