"""Survey CSV export: same format, formula-safe, filters, and a lossless round trip."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import City
from mentoring.services.survey import SurveyError, columns, export_csv, import_csv, template_csv

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1", "-1+1", "@SUM(A1:A2)", "\tTab", "'=quoted"]


def rows(text):
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline="")))


def test_export_neutralises_formula_cells_and_keeps_numbers_numeric(ctx, make_city):
    for i, payload in enumerate(FORMULAS):
        make_city(f"Town {i}", "AR", region="latin_america", practices=payload, needs=payload,
                  latitude=-34.6, longitude=-58.38, population=1000 + i)
    make_city("=cmd|' /C calc'!A0", "AR", region="latin_america")
    exported = rows(export_csv())
    for row in exported:
        for column in ("name", "practices", "needs"):
            value = row[column]
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (column, value)
        assert row["latitude"] in ("-34.6", "")  # a real number stays a number, minus sign and all
    practices = sorted(r["practices"] for r in exported if r["practices"])
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in practices
    assert {"'+1", "'-1+1", "'@SUM(A1:A2)", "'\tTab", "''=quoted"} <= set(practices)
    assert any(r["name"] == "'=cmd|' /C calc'!A0" for r in exported)


def test_export_then_import_round_trips_losslessly(app, ctx, make_city):
    for i, payload in enumerate(FORMULAS + ["Plain, with \"quotes\"\nand a new line", "Ünïcödé — 東京"]):
        make_city(f"Town {i}", ["AR", "JP", "FR"][i % 3], region="europe", practices=payload, needs=f"n{i}",
                  latitude=1.0 / (i + 3), longitude=-(i + 0.125), population=i * 1000, capacity=i % 3,
                  languages=("es", "en")[: 1 + i % 2])
    import_csv(
        b"name,country,commissions,open_data_maturity,open_data_need,open_data_can_mentor,energy_maturity\n"
        b"Town 1,JP,digital_cities;urban_mobility,4,0,1,2\nTown 2,FR,strategic_planning,1,3,0,\n", None)
    db.session.commit()
    first = export_csv()
    snapshot = _state()

    # Into an empty database: every city comes back identical.
    from tests.conftest import _empty_tables, _seed_reference_data
    db.session.remove()
    _empty_tables()
    _seed_reference_data()
    summary = import_csv(first.encode(), None)
    db.session.commit()
    assert summary.created == len(snapshot)
    assert _state() == snapshot
    assert export_csv() == first
    # And into the same database: nothing changes.
    again = import_csv(first.encode(), None)
    assert again.unchanged == len(snapshot) and again.assessments == 0


def _state():
    state = {}
    for city in db.session.scalars(select(City)):
        state[(city.name, city.country)] = (
            city.region, city.population, city.latitude, city.longitude, city.language_codes,
            sorted(city.commission_keys), city.mentor_capacity, city.practices, city.needs,
            sorted((a.area.key, a.maturity, a.need, a.can_mentor) for a in city.assessments),
        )
    return state


def test_export_filters_by_region_country_commission_and_status(ctx, make_city):
    make_city("Lyon", "FR", region="europe")
    make_city("Quito", "EC", region="latin_america", status="pending")
    import_csv(b"name,country,commissions\nLyon,FR,urban_mobility\n", None)
    db.session.commit()
    names = lambda **f: [r["name"] for r in rows(export_csv(**f))]  # noqa: E731
    assert names() == ["Quito", "Lyon"]  # ordered by country, then name
    assert names(region="europe") == ["Lyon"]
    assert names(country="ec") == ["Quito"]
    assert names(commission="urban_mobility") == ["Lyon"]
    assert names(status="pending") == ["Quito"]
    assert names(status="verified", region="latin_america") == []


def test_template_has_every_column_and_an_example_refused_as_such(ctx):
    text = template_csv()
    parsed = rows(text)
    assert list(parsed[0].keys()) == columns() and len(parsed) == 1
    assert len(columns()) == 13 + 3 * 25
    with pytest.raises(SurveyError) as caught:
        import_csv(text.encode(), None)
    assert [str(e) for e in caught.value.cell_errors] == [
        "Row 2, column name: This is the template's example row: replace it with your cities or delete it."]
    # Otherwise the example is a valid row: renamed, it imports.
    assert import_csv(text.replace("Exampleville", "Sintra").encode(), None).created == 1


@pytest.mark.parametrize("bom", [True, False])
def test_export_bom_is_optional(ctx, bom):
    assert export_csv(bom=bom).startswith("\ufeff") is bom
