"""The survey import pages and the CSV export, as a coordinator would use them."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from mentoring.extensions import db
from mentoring.models import AuditEvent, City
from tests.conftest import login
from tests.html import find

GOOD = b"name,country,population,open_data_maturity\nNantes,FR,320000,3\nQuito,EC,,1\n"


def upload(client, data, filename="survey.csv"):
    # The multipart body is built here, in memory: werkzeug's test client would spool a large body to a
    # temporary file that it never closes (a ResourceWarning, an error under -W error).
    boundary = "survey-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post("/cities/import", input_stream=io.BytesIO(body), content_length=len(body),
                       content_type=f"multipart/form-data; boundary={boundary}")


def city_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(City))


@pytest.fixture
def coordinator_client(client, make_user):
    login(client, make_user(role="coordinator"))
    return client


def test_upload_preview_confirm_result(app, coordinator_client):
    client = coordinator_client
    page = client.get("/cities/import")
    assert page.status_code == 200 and b'type="file"' in page.data

    response = upload(client, GOOD)
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    preview = client.get(preview_url)
    assert preview.status_code == 200
    assert b"Nantes" in preview.data and b"Quito" in preview.data and b"Import 2 cities" in preview.data
    assert city_count(app) == 0  # previewing writes nothing

    done = client.post(preview_url + "/confirm")
    assert done.status_code == 302 and done.headers["Location"].endswith("/done")
    result = client.get(done.headers["Location"])
    assert result.status_code == 200 and b"cities added" in result.data
    assert city_count(app) == 2
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "city.import")) == 2
    # The stored file is gone: confirming twice does not import twice.
    again = client.post(preview_url + "/confirm")
    assert again.status_code == 404
    assert city_count(app) == 2


def test_preview_lists_every_problem_and_offers_no_import(app, coordinator_client):
    response = upload(coordinator_client, b"name,country,population\nA,XX,1\nB,FR,lots\nC,FR,5\n")
    preview = coordinator_client.get(response.headers["Location"])
    text = preview.get_data(as_text=True)
    assert "is not a country" in text and "is not a number" in text
    assert not [f for f in find(text, "form") if f.attrs.get("action", "").endswith("/confirm")]
    confirm = coordinator_client.post(response.headers["Location"] + "/confirm")
    assert confirm.status_code == 302 and "/import/" in confirm.headers["Location"]
    assert city_count(app) == 0


def test_confirm_imports_the_previewed_content_not_a_tampered_copy(app, coordinator_client):
    response = upload(coordinator_client, GOOD)
    token = response.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        from mentoring.services.survey import upload_dir
        path = f"{upload_dir()}/{token}.csv"
    with open(path, "ab") as handle:
        handle.write(b"Evil,FR,1,4\n")
    confirm = coordinator_client.post(f"/cities/import/{token}/confirm")
    assert confirm.status_code == 302 and confirm.headers["Location"].endswith("/cities/import")
    assert city_count(app) == 0


def test_another_users_token_is_not_found(app, client, make_user):
    login(client, make_user(role="coordinator"))
    token = upload(client, GOOD).headers["Location"].rsplit("/", 1)[1]
    other = app.test_client()
    login(other, make_user(role="coordinator"))
    assert other.get(f"/cities/import/{token}").status_code == 404
    assert other.post(f"/cities/import/{token}/confirm").status_code == 404


@pytest.mark.parametrize("data", ["name,country\nSão Paulo,BR\n".encode("utf-16"), "x\u00e9".encode("latin-1"), b""])
def test_unreadable_files_are_explained_on_the_upload_page(app, coordinator_client, data):
    response = upload(coordinator_client, data)
    assert response.status_code == 422
    assert b"UTF-8" in response.data or b"Choose a CSV file" in response.data or b"empty" in response.data


def test_oversized_upload_is_refused_with_413(app, coordinator_client):
    limit = app.config["CSV_IMPORT_MAX_BYTES"]
    big = b"name,country\n" + b"A,FR\n" * (limit // 5 + 10)
    assert len(big) > limit
    response = upload(coordinator_client, big)
    assert response.status_code == 413
    assert city_count(app) == 0


def test_upload_just_over_the_csv_limit_but_under_the_app_limit_is_413(app, coordinator_client):
    limit = app.config["CSV_IMPORT_MAX_BYTES"]
    data = b"name,country\n" + b"x" * (limit - 13 + 1)
    assert upload(coordinator_client, data).status_code == 413


def test_template_download(coordinator_client):
    response = coordinator_client.get("/cities/import/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbfname,country,subdivision,geonames_id,region")


def test_export_download_with_filters(coordinator_client, make_city):
    make_city("Lyon", "FR", region="europe")
    make_city("Quito", "EC", region="latin_america")
    response = coordinator_client.get("/cities/export.csv?region=europe")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert "Lyon" in body and "Quito" not in body
    assert 'filename="cities-europe-' in response.headers["Content-Disposition"]


SURVEY_URLS = [
    ("get", "/cities/import"),
    ("post", "/cities/import"),
    ("get", "/cities/import/template.csv"),
    ("get", "/cities/export.csv"),
    ("get", "/cities/import/" + "a" * 43),
    ("post", "/cities/import/" + "a" * 43 + "/confirm"),
    ("get", "/cities/import/" + "a" * 43 + "/done"),
    ("get", "/cities/import/job/1"),
    ("get", "/cities/import/job/1/status"),
    ("post", "/cities/import/job/1/confirm"),
]


@pytest.mark.parametrize("method,url", SURVEY_URLS)
def test_anonymous_and_representatives_are_refused(app, client, make_user, make_city, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    representative = make_user()
    make_city("Lyon", "FR", members=[(representative, "representative")])
    login(client, representative)
    assert getattr(client, method)(url).status_code == 403
    assert city_count(app) == 1


def test_administrators_may_import(app, client, make_user):
    login(client, make_user(role="admin"))
    assert client.get("/cities/import").status_code == 200
    assert upload(client, GOOD).status_code == 302
