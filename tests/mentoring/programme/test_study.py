"""The Smart Cities Study: a snapshot at a date, suppression of small cells, the previous edition."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from mentoring.extensions import db
from mentoring.models import Assessment, CapabilityArea, City
from mentoring.programme.views import pdf_available
from mentoring.services import study
from tests.conftest import login


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


@pytest.fixture
def six(app, make_user):
    """Six African cities in one area at levels 0,1,2,3,4,4 (2025); the first re-assessed at 2 in 2026;
    a seventh city joins after the edition's date."""
    coordinator = make_user(role="coordinator")
    with app.app_context():
        area = db.session.scalar(select(CapabilityArea).where(CapabilityArea.key == "open_data"))
        for i, level in enumerate((0, 1, 2, 3, 4, 4, 1)):
            city = City(name=f"C{i}", country="SN", region="africa", status="verified", population=200_000,
                        verified_at=at("2025-01-01") if i < 6 else at("2026-09-01"),
                        mentor_capacity=1 if level >= 3 else 0, wants_mentor=level < 3)
            db.session.add(city)
            db.session.flush()
            db.session.add(Assessment(city_id=city.id, area_id=area.id, maturity=level, need=3 if level < 2 else 0,
                                      can_mentor=level >= 3, is_current=i != 0, assessed_at=at("2025-01-02")))
            if i == 0:
                db.session.add(Assessment(city_id=city.id, area_id=area.id, maturity=2, need=1, is_current=True,
                                          assessed_at=at("2026-01-15")))
        db.session.commit()
    return coordinator


def _table(result, table_id):
    return result["tables"][table_id]


def test_study_counts_the_members_and_levels_in_force_on_the_date(app, six):
    with app.app_context():
        result = study.compute(date(2026, 6, 30))
    assert result["members"] == 6 and result["previous"] == "2025-06-30"
    rows = {r[0]: r for r in _table(result, "maturity_by_area")["rows"]}
    open_data = rows["open_data"]
    # Levels on 2026-06-30: 2,1,2,3,4,4 → every level has fewer than 5 cities: all suppressed.
    assert open_data[2:7] == [None, None, None, None, None]
    assert (open_data[7], open_data[8]) == (6, 2.67)
    assert rows["digital_strategy"][7] is None  # nobody assessed it: no cities, suppressed
    members = {r[0]: r for r in _table(result, "members")["rows"]}
    assert members["africa"][-1] == 6 and members["africa"][2] == 6  # all "medium" (100k–1M)
    assert members["europe"][-1] is None
    changes = {r[0]: r for r in _table(result, "changes")["rows"]}
    assert changes["members"] == ["members", 6, 6, 0]
    assert changes["open_data"] == ["open_data", 2.33, 2.67, 0.34]
    by_income = {r[0]: r for r in _table(result, "axis_by_income")["rows"]}
    assert by_income["lower_middle"][1] == 6 and by_income["high"][1] is None
    supply = {(r[0], r[1]): r for r in _table(result, "supply_demand")["rows"]}
    assert supply[("open_data", "all")][2:] == [None, None, None]  # 3 mentors, 1 in need: both suppressed


def test_the_seventh_city_counts_after_it_joined(app, six):
    with app.app_context():
        result = study.compute(date(2026, 12, 31))
    assert result["members"] == 7
    rows = {r[0]: r for r in _table(result, "maturity_by_area")["rows"]}
    assert rows["open_data"][7] == 7


def test_study_page_csv_and_cli(app, six, tmp_path):
    client = app.test_client()
    login(client, six)
    for lang in ("en", "fr", "es"):
        page = client.get("/programme/study?as_of=2026-06-30", headers={"Accept-Language": lang})
        assert page.status_code == 200
    assert client.get("/programme/study?as_of=30/06/2026").status_code in (303, 422)
    response = client.get("/programme/study.csv?as_of=2026-06-30")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    cell = next(r for r in rows if r["table"] == "maturity_by_area" and r["row"] == "open_data"
                and r["column"] == "mean")
    assert cell["value"] == "2.67"
    assert next(r for r in rows if r["table"] == "maturity_by_area" and r["row"] == "open_data"
                and r["column"] == "level_4")["value"] == ""
    runner = app.test_cli_runner()
    for fmt in ("csv", "html", "pdf"):
        out = tmp_path / f"study.{fmt}"
        result = runner.invoke(args=["programme", "study", "--as-of", "2026-06-30", "--format", fmt, "-o", str(out),
                                     "--lang", "fr"])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    assert "Étude" in (tmp_path / "study.html").read_text() or "Smart Cities" in (tmp_path / "study.html").read_text()
    assert (tmp_path / "study.pdf").read_bytes().startswith(b"%PDF")
    bad = runner.invoke(args=["programme", "study", "--as-of", "June", "--format", "csv", "-o", str(out)])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_pdf_download(app, six):
    assert pdf_available()
    client = app.test_client()
    login(client, six)
    response = client.get("/programme/study.pdf?as_of=2026-06-30")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
