"""Issue 9: what real surveys send (names in three languages, yes/no…), homonymous cities, round trips."""
from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import Assessment, City
from mentoring.services import geography
from mentoring.services.survey import SurveyError, export_csv, import_csv, preview_import


def cities():
    return db.session.scalars(select(City).order_by(City.name, City.subdivision)).all()


def errors_of(text: str) -> list[str]:
    return [str(e) for e in preview_import(text.encode()).errors]


def test_columns_accept_what_people_write(ctx):
    text = (
        "name,country,region,languages,population,latitude,open_data_maturity,open_data_can_mentor,"
        "cybersecurity_maturity,cybersecurity_can_mentor\n"
        "Nantes,France,asie-pacifique,Français;English,320000,\"47,2184\",4,oui,3,Sí\n"
        "Curitiba,BRA,América Latina,portugais,1948626,-25.43,2,no,1,0\n"
        "Amman,Jordanie,Middle East and West Asia,árabe,,,4,TRUE,4,false\n"
        "Quito,ecuador,,es,,,,,,\n"
    )
    summary = import_csv(text.encode(), None)
    assert summary.created == 4
    by_name = {c.name: c for c in cities()}
    assert by_name["Nantes"].country == "FR" and by_name["Nantes"].region == "asia_pacific"
    assert by_name["Nantes"].language_codes == ["fr", "en"] and by_name["Nantes"].latitude == 47.2184
    assert (by_name["Curitiba"].country, by_name["Curitiba"].region) == ("BR", "latin_america")
    assert by_name["Amman"].region == "middle_east_west_asia" and by_name["Amman"].language_codes == ["ar"]
    assert by_name["Quito"].region == "latin_america"  # blank: from the country
    offers = {(a.city.name, a.area.key): a.can_mentor for a in db.session.scalars(select(Assessment))}
    assert offers == {("Nantes", "open_data"): True, ("Nantes", "cybersecurity"): True,
                      ("Curitiba", "open_data"): False, ("Curitiba", "cybersecurity"): False,
                      ("Amman", "open_data"): True, ("Amman", "cybersecurity"): False}


@pytest.mark.parametrize("column, value, expected", [
    ("open_data_can_mentor", "yes2", "Row 2, column open_data_can_mentor: “yes2” is not one of 0, 1, yes, no."),
    ("open_data_maturity", "7", "Row 2, column open_data_maturity: “7” is not one of 0, 1, 2, 3, 4."),
    ("region", "Atlantis", "Row 2, column region: Unknown region “Atlantis”; use one of: Africa, Asia-Pacific, "
                           "Eurasia, Europe, Latin America, Middle East & West Asia, North America (or leave it "
                           "empty: it then follows the country)."),
    ("languages", "en;Klingon", "Row 2, column languages: Unknown languages: “Klingon” (use ISO 639-1 codes such "
                                "as en;fr;es, or the languages' names)."),
    ("subdivision", "Bavaria", "Row 2, column subdivision: “Bavaria” is not a first-level subdivision of FR: use "
                               "its ISO 3166-2 code (e.g. FR-ARA) or its name."),
])
def test_every_error_quotes_the_refused_value_and_what_is_accepted(ctx, column, value, expected):
    header = "name,country,open_data_maturity" + ("" if column == "open_data_maturity" else f",{column}")
    row = "Nantes,FR," + (value if column == "open_data_maturity" else f"4,{value}")
    assert errors_of(f"{header}\n{row}\n") == [expected]


def test_country_errors_quote_the_value(ctx):
    assert errors_of("name,country\nNantes,Frankreich-ish\n") == [
        "Row 2, column country: “Frankreich-ish” is not a country: use an ISO 3166-1 code (FR, FRA) or the "
        "country's name in English, French or Spanish."]


@pytest.mark.parametrize("name", ["Nan\u202etes", "Nan\u2066tes", "Nan\x07tes"])
def test_names_with_control_or_bidi_characters_are_refused(ctx, name):
    errors = errors_of(f"name,country\n{name},FR\n")
    assert len(errors) == 1 and "control or text-direction characters" in errors[0]
    assert db.session.scalar(select(func.count()).select_from(City)) == 0


SUZHOUS = "name,country,subdivision\nSuzhou,CN,Jiangsu\nSuzhou,China,CN-AH\n"


def test_homonyms_of_one_country_are_two_cities_and_an_ambiguous_row_names_both(ctx):
    assert import_csv(SUZHOUS.encode(), None).created == 2
    assert [(c.name, c.subdivision) for c in cities()] == [("Suzhou", "CN-AH"), ("Suzhou", "CN-JS")]
    # Same city by the rule: a duplicate.
    assert errors_of("name,country,subdivision\nSuzhou,CN,JS\nsuzhou,CN,Jiangsu Sheng\n") == [
        "Row 3, column name: The same city is already in row 2."]
    # A row without its subdivision could be either.
    assert errors_of("name,country,population\nSuzhou,CN,5\n") == [
        "Row 2, column subdivision: “Suzhou” could be Suzhou, CN-AH, CN or Suzhou, CN-JS, CN: give the "
        "subdivision or the GeoNames id."]
    # With it, the row updates the right one.
    summary = import_csv(b"name,country,subdivision,population\nSuzhou,CN,Anhui,5\n", None)
    assert (summary.created, summary.updated) == (0, 1)
    assert {c.subdivision: c.population for c in cities()}["CN-AH"] == 5


def test_geonames_id_tells_apart_homonyms_of_one_subdivision_and_matches_first(ctx):
    text = "name,country,subdivision,geonames_id\nChangzhi,CN,CN-SX,1816080\nChangzhi,CN,CN-SX,1816083\n"
    assert import_csv(text.encode(), None).created == 2
    summary = import_csv(b"name,country,geonames_id,population\nChangzhi,CN,1816083,7\n", None)
    assert (summary.created, summary.updated) == (0, 1)
    assert {c.geonames_id: c.population for c in cities()}[1816083] == 7


def test_a_city_known_without_subdivision_is_updated_by_a_row_giving_it(ctx, make_city):
    make_city("Lyon", "FR")
    summary = import_csv(b"name,country,subdivision\nLyon,FR,FR-ARA\n", None)
    assert (summary.created, summary.updated) == (0, 1)
    assert [(c.name, c.subdivision) for c in cities()] == [("Lyon", "FR-ARA")]


# --- export → import → export is the identity ---------------------------------------------------

SAFE_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")), max_size=40)
REGIONS_OR_BLANK = st.sampled_from(["", "europe", "africa", "asia_pacific"])


@st.composite
def survey_rows(draw):
    count = draw(st.integers(1, 4))
    homonyms = draw(st.permutations([("Suzhou", "CN", "CN-JS"), ("Suzhou", "CN", "CN-AH"), ("Fuzhou", "CN", "CN-FJ"),
                                     ("Nantes", "FR", "FR-PDL"), ("Taizhou", "CN", "CN-ZJ")]))[:count]
    rows = []
    for i, (name, country, subdivision) in enumerate(homonyms):
        rows.append({
            "name": name, "country": country, "subdivision": subdivision,
            "geonames_id": draw(st.one_of(st.just(""), st.just(str(9_000_000 + i)))),
            "region": draw(REGIONS_OR_BLANK),
            "population": draw(st.one_of(st.just(""), st.integers(0, 10**8).map(str))),
            "latitude": draw(st.one_of(st.just(""), st.integers(-900000, 900000).map(lambda v: str(v / 10000)))),
            "languages": draw(st.sampled_from(["", "fr", "zh;en"])), "capacity": str(draw(st.integers(0, 3))),
            "practices": draw(SAFE_TEXT).strip(), "needs": draw(SAFE_TEXT).strip(),
            "open_data_maturity": str(draw(st.integers(3, 4))), "open_data_need": str(draw(st.integers(0, 3))),
            "open_data_can_mentor": draw(st.sampled_from(["0", "1"])),
        })
    return rows


def _table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=survey_rows())
def test_export_import_export_is_the_identity(ctx, rows):
    db.session.begin_nested()
    try:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        import_csv(out.getvalue().encode(), None)
        first = export_csv()
        db.session.execute(City.__table__.delete())
        import_csv(first.encode(), None)
        assert _table(export_csv()) == _table(first)
        exported = {(r["name"], r["subdivision"]): r for r in csv.DictReader(io.StringIO(first))}
        for row in rows:
            got = exported[(row["name"], row["subdivision"])]
            for key in ("geonames_id", "practices", "needs", "capacity", "open_data_maturity"):
                assert got[key] == row[key] or (key in ("practices", "needs") and got[key].lstrip("'") == row[key])
    finally:
        db.session.rollback()


def test_geonames_admin1_codes_map_to_iso_subdivisions(ctx):
    suzhous = {c["geonameid"]: geography.subdivision_of(c) for c in geography.cities_named("Suzhou", "CN")
               if c["population"] > 1_000_000}
    assert set(suzhous.values()) == {"CN-JS", "CN-AH"}


def test_a_failed_file_writes_nothing(ctx):
    with pytest.raises(SurveyError):
        import_csv((SUZHOUS + "Nowhere,XX,\n").encode(), None)
    assert db.session.scalar(select(func.count()).select_from(City)) == 0
