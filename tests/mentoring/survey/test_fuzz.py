"""Bad input never crashes and never half-imports."""
from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import Assessment, City
from mentoring.services.survey import SurveyError, import_csv
from tests.conftest import login

HEADERS = ["name", "country", "region", "population", "latitude", "languages", "commissions", "capacity",
           "practices", "open_data_maturity", "open_data_need", "open_data_can_mentor", "colour", ""]
CELLS = st.one_of(
    st.sampled_from(["", "Lyon", "lyon", "FR", "fr", "XX", "europe", "moon", "3", "4", "-1", "1e9", "45,5",
                     "fr;en", "digital_cities", "=SUM(A1)", "'=x", "\t", "\"", "1", "0", "nan", "١٢"]),
    st.text(max_size=12),
)
ROW = st.lists(CELLS, min_size=0, max_size=8)


@st.composite
def csvish(draw):
    """Byte strings that look like survey files: a plausible header, rows of tricky cells, noise."""
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=0, max_size=8))
    rows = draw(st.lists(ROW, max_size=6))
    text = "\n".join(delimiter.join(row) for row in [header] + rows)
    data = text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"])), errors="replace")
    if draw(st.booleans()):
        data += draw(st.binary(max_size=20))
    return data


def _counts():
    return (db.session.scalar(select(func.count()).select_from(City)),
            db.session.scalar(select(func.count()).select_from(Assessment)))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(csvish(), st.binary(max_size=200)))
def test_random_files_import_fully_or_not_at_all(ctx, make_city, data):
    before = _counts()
    try:
        summary = import_csv(data, None)
    except SurveyError as error:
        db.session.rollback()
        assert error.cell_errors, "a refused file always says why"
        assert _counts() == before
    else:
        db.session.rollback()  # keep the database as it was for the next example
        assert summary.created + summary.updated + summary.unchanged >= 1


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=csvish())
def test_random_files_through_the_web_never_give_a_5xx(app, client, make_user, data):
    with client.session_transaction() as session:
        signed_in = "_user_id" in session
    if not signed_in:
        login(client, make_user(role="coordinator"))
    response = client.post("/cities/import", data={"file": (io.BytesIO(data), "fuzz.csv")},
                           content_type="multipart/form-data")
    assert response.status_code in (302, 422)
    if response.status_code == 302:
        preview = client.get(response.headers["Location"])
        assert preview.status_code == 200
        confirm = client.post(response.headers["Location"] + "/confirm")
        assert confirm.status_code == 302
