"""The file is checked and written a chunk at a time (memory flat in rows), and stays all or nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import Assessment, City
from mentoring.services.survey import SurveyError, import_csv, importer, preview_import, validate


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(validate, "CHUNK", 2)
    monkeypatch.setattr(importer, "BATCH", 1)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_problem_in_a_later_chunk_undoes_the_chunks_already_written(ctx, small_chunks):
    data = ("name,country,open_data_maturity\n" + "".join(f"Town {i},FR,{i % 5}\n" for i in range(5))
            + "Bad,XX,1\nTown 9,FR,7\n").encode()
    with pytest.raises(SurveyError) as refused:
        import_csv(data, None)
    assert [e.row for e in refused.value.cell_errors] == [7, 8]  # every problem, also after the first
    db.session.commit()  # even a caller that commits after the refusal finds nothing written
    assert count(City) == 0 and count(Assessment) == 0


def test_chunks_check_duplicates_across_the_whole_file_and_never_update_a_city_the_file_created(ctx, small_chunks):
    data = (b"name,country,subdivision,population\nSuzhou,CN,CN-JS,1\nA,FR,,1\nB,FR,,1\nSuzhou,CN,,2\n"
            b"A,FR,,3\n")
    preview = preview_import(data)
    assert [str(e) for e in preview.errors] == ["Row 6, column name: The same city is already in row 3."]
    data = data.rsplit(b"A,FR", 1)[0]
    preview = preview_import(data)
    assert preview.ok and [r.action for r in preview.rows] == ["new"] * 4
    summary = import_csv(data, None)
    assert (summary.created, summary.updated) == (4, 0)  # the second Suzhou is not the first one updated
    assert count(City) == 4


def test_the_preview_keeps_what_it_shows_of_each_row_not_its_values(ctx, small_chunks):
    preview = preview_import(b"name,country,open_data_maturity,open_data_need\nLyon,FR,3,1\nQuito,EC,2,\n")
    assert preview.ok and [(r.name, r.assessed, r.fields, r.areas) for r in preview.rows] == [
        ("Lyon", 1, {}, {}), ("Quito", 1, {}, {})]
