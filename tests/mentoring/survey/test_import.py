"""Survey CSV import: reading, validation by row and column, all-or-nothing, updates."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from mentoring import rules
from mentoring.extensions import db
from mentoring.models import Assessment, AuditEvent, City
from mentoring.services.survey import SurveyError, import_csv, preview_import


def city_named(name):
    return db.session.scalar(select(City).where(City.name == name))


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


GOOD = (
    "name,country,region,population,latitude,longitude,languages,commissions,capacity,practices,needs,"
    "open_data_maturity,open_data_need,open_data_can_mentor,cybersecurity_maturity,cybersecurity_need\n"
    "Nantes,FR,,320000,47.2184,-1.5536,fr;en,digital_cities;urban_mobility,2,Open data portal,Cyber,4,0,1,1,3\n"
    "Curitiba,BR,latin_america,1948626,-25.4278,-49.2731,pt,digital_cities,0,,\"Needs, with comma\",2,2,0,,\n"
)


@pytest.mark.parametrize("variant", ["comma", "semicolon", "bom", "crlf"])
def test_good_file_creates_verified_cities_with_languages_commissions_and_assessments(ctx, make_user, variant):
    text = GOOD
    if variant == "semicolon":
        text = text.replace(",", ";").replace("fr;en", "fr,en").replace("digital_cities;urban_mobility",
                                                                         "digital_cities,urban_mobility")
        text = text.replace('"Needs; with comma"', '"Needs, with comma"')
    data = text.replace("\n", "\r\n").encode() if variant == "crlf" else text.encode()
    if variant == "bom":
        data = b"\xef\xbb\xbf" + data
    coordinator = make_user(role="coordinator")

    summary = import_csv(data, coordinator)
    db.session.commit()

    assert (summary.created, summary.updated, summary.unchanged) == (2, 0, 0)
    nantes = city_named("Nantes")
    assert nantes.region == "europe"  # derived from the country
    assert nantes.status == "verified" and nantes.verified_by_id == coordinator.id
    assert (nantes.population, nantes.latitude, nantes.longitude) == (320000, 47.2184, -1.5536)
    assert nantes.language_codes == ["fr", "en"]
    assert sorted(nantes.commission_keys) == ["digital_cities", "urban_mobility"]
    assert nantes.mentor_capacity == 2 and nantes.timezone == "Europe/Paris"
    levels = {a.area.key: (a.maturity, a.need, a.can_mentor) for a in nantes.assessments}
    assert levels == {"open_data": (4, 0, True), "cybersecurity": (1, 3, False)}
    curitiba = city_named("Curitiba")
    assert curitiba.needs == "Needs, with comma" and curitiba.practices == ""
    assert curitiba.longitude == -49.2731
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "city.import")).all()
    assert len(events) == 2 and {e.actor_id for e in events} == {coordinator.id}


def test_semicolon_file_accepts_decimal_commas(ctx):
    data = b"name;country;latitude;longitude\nLyon;FR;45,75;4,85\n"
    import_csv(data, None)
    assert (city_named("Lyon").latitude, city_named("Lyon").longitude) == (45.75, 4.85)


BAD_CELLS = [
    ("country", "XX", "country"),
    ("country", "FRX", "country"),
    ("region", "moon", "region"),
    ("population", "many", "population"),
    ("population", "-5", "population"),
    ("latitude", "91", "latitude"),
    ("longitude", "east", "longitude"),
    ("languages", "fr;xx", "languages"),
    ("languages", "fre", "languages"),
    ("commissions", "nope", "commissions"),
    ("capacity", "99", "capacity"),
    ("practices", "x" * (rules.TEXT_MAX + 1), "practices"),
    ("name", "n" * 121, "name"),
    ("open_data_maturity", "5", "open_data_maturity"),
    ("open_data_need", "4", "open_data_need"),
    ("open_data_can_mentor", "2", "open_data_can_mentor"),
]


@pytest.mark.parametrize("column,value,reported", BAD_CELLS)
def test_each_bad_cell_is_reported_by_row_and_column_and_nothing_is_written(ctx, column, value, reported):
    header = ["name", "country", "open_data_maturity", column] if column not in (
        "name", "country", "open_data_maturity") else ["name", "country", "open_data_maturity"]
    row = {"name": "Goodtown", "country": "FR", "open_data_maturity": "2", column: value}
    data = (",".join(header) + "\nFine,FR,1" + "," * (len(header) - 3) + "\n"
            + ",".join(f'"{row[h]}"' for h in header) + "\n").encode()

    preview = preview_import(data)

    assert not preview.ok
    assert [(e.row, e.column) for e in preview.errors] == [(3, reported)]
    with pytest.raises(SurveyError):
        import_csv(data, None)
    db.session.rollback()
    assert count(City) == 0


def test_can_mentor_needs_maturity_3_or_4_and_a_need_needs_a_maturity(ctx):
    data = b"name,country,open_data_maturity,open_data_can_mentor,energy_need\nA,FR,2,1,\nB,FR,,,3\nC,FR,3,1,\n"
    errors = [(e.row, e.column) for e in preview_import(data).errors]
    assert errors == [(2, "open_data_can_mentor"), (3, "energy_maturity")]


def test_header_problems_unknown_and_missing_columns_are_named(ctx):
    preview = preview_import(b"name,colour,flavour\nA,red,sweet\n")
    messages = " ".join(str(e) for e in preview.errors)
    assert "colour" in messages and "flavour" in messages and "country" in messages
    assert not preview.ok


def test_unknown_columns_do_not_hide_the_rows_problems(ctx):
    preview = preview_import(b"name,country,colour\nA,XX,red\n")
    assert {(e.row, e.column) for e in preview.errors} == {(1, "colour"), (2, "country")}


def test_duplicate_rows_for_one_city_are_refused(ctx):
    preview = preview_import(b"name,country\nLyon,FR\nlyon,fr\nLYON,FR\n")
    assert [(e.row, e.column) for e in preview.errors] == [(3, "name"), (4, "name")]


@pytest.mark.parametrize("data", [
    "name,country\nSão Paulo,BR\n".encode("latin-1"),
    "name,country\nSão Paulo,BR\n".encode("utf-16"),
    "name,country\nSão Paulo,BR\n".encode("utf-16-le"),
    b"\x00\x01\x02binary",
])
def test_wrong_encoding_gives_a_clear_message(ctx, data):
    preview = preview_import(data)
    assert not preview.ok and preview.rows == []
    assert "UTF-8" in str(preview.errors[0])


def test_empty_and_header_only_files_import_nothing(ctx):
    for data in (b"", b"\n\n", b"name,country\n", b"name,country\n,\n"):
        with pytest.raises(SurveyError):
            import_csv(data, None)


def test_one_bad_row_imports_nothing_and_every_bad_row_is_reported(ctx, make_city):
    make_city("Lyon", "FR", population=500_000)
    rows = ["name,country,population"] + [f"Town {i},FR,{i}" for i in range(20)]
    rows[5] = "Town bad,FR,lots"
    rows[12] = "Town worse,QQ,1"
    rows.append("Lyon,FR,1")
    with pytest.raises(SurveyError) as raised:
        import_csv("\n".join(rows).encode(), None)
    db.session.rollback()
    assert [(e.row, e.column) for e in raised.value.cell_errors] == [(6, "population"), (13, "country")]
    assert count(City) == 1 and city_named("Lyon").population == 500_000
    assert count(AuditEvent) == 0


def test_reimport_updates_the_same_city_matched_ignoring_case(ctx, make_city):
    lyon = make_city("Lyon", "FR", population=500_000, languages=("fr",))
    first = b"name,country,population,open_data_maturity,open_data_need\nLyon,FR,520000,2,3\n"
    assert import_csv(first, None).updated == 1
    db.session.commit()
    again = b"name,country,population,open_data_maturity,open_data_need\nLYON,fr,520000,2,3\n"
    summary = import_csv(again, None)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 1)
    third = b"name,country,languages,open_data_maturity,open_data_can_mentor\nlyon,FR,fr;en,4,1\n"
    assert import_csv(third, None).updated == 1
    db.session.commit()
    city = db.session.get(City, lyon.id)
    assert city.population == 520000  # empty cell: unchanged
    assert city.language_codes == ["fr", "en"]
    history = db.session.scalars(select(Assessment).where(Assessment.city_id == lyon.id)
                                 .order_by(Assessment.id)).all()
    assert [(a.maturity, a.need, a.can_mentor, a.is_current) for a in history] == [
        (2, 3, False, False), (4, 3, True, True)]
    assert count(City) == 1


def test_can_mentor_is_checked_against_the_current_maturity(ctx, make_city):
    make_city("Lyon", "FR")
    import_csv(b"name,country,open_data_maturity\nLyon,FR,4\n", None)
    db.session.commit()
    assert preview_import(b"name,country,open_data_can_mentor\nLyon,FR,1\n").ok
    assert preview_import(b"name,country,open_data_maturity,open_data_can_mentor\nLyon,FR,2,\n").ok
    # lowering the maturity below 3 while the city still offers mentoring there is refused
    import_csv(b"name,country,open_data_can_mentor\nLyon,FR,1\n", None)
    db.session.commit()
    errors = preview_import(b"name,country,open_data_maturity\nLyon,FR,2\n").errors
    assert [(e.row, e.column) for e in errors] == [(2, "open_data_can_mentor")]


def test_oversized_file_is_refused_by_the_service(ctx):
    preview = preview_import(b"name,country\n" + b"A,FR\n" * 100, max_bytes=100)
    assert not preview.ok and "100" in str(preview.errors[0])


def test_a_large_import_refreshes_the_planners_statistics_on_postgresql(app, ctx, make_user):
    """After a bulk import PostgreSQL must know the table's new size, or it plans joins for the old one."""
    app.config["SURVEY_ANALYZE_CITIES"] = 2
    summary = import_csv(GOOD.encode(), make_user(role="coordinator"))
    assert summary.created == 2
    if db.engine.dialect.name == "sqlite":
        return  # SQLite plans without statistics of its own: nothing to refresh, and the import goes on

    def reltuples():
        return db.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'city'"))

    assert reltuples() == count(City)  # an INSERT alone leaves reltuples where it was (-1: never analysed)
    db.session.commit()
    app.config["SURVEY_ANALYZE_CITIES"] = 3
    import_csv(GOOD.replace("Nantes", "Rennes").replace("Curitiba", "Recife").encode(), make_user(role="coordinator"))
    assert reltuples() == count(City) - 2  # two cities are below this threshold: no ANALYZE
