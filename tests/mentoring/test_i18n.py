"""The three languages: complete catalogues, and the language choice order."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "mentoring" / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages of the current code and templates, extracted as ``make extract-messages`` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as f:
        return read_po(f)


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_catalogue_is_complete_and_not_fuzzy(extracted, lang):
    path = CATALOGUES / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalogue = read_po(f)
    missing = [m.id for m in extracted if m.id and m.id not in catalogue]
    assert missing == [], f"{len(missing)} messages not in the {lang} catalogue: run make extract-messages"
    untranslated, fuzzy, broken = [], [], []
    for message in catalogue:
        if not message.id:
            continue
        if message.fuzzy:
            fuzzy.append(message.id)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(message.id)
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != wanted:
                broken.append(message.id)
    assert untranslated == []
    assert fuzzy == []
    assert broken == [], "placeholders differ between the English and the translation"


def test_language_follows_user_then_session_then_browser(app, client, make_user):
    from tests.conftest import login

    page = client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert b'<html lang="es">' in page.data
    client.post("/language", data={"lang": "fr", "next": "/"})
    page = client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert b'<html lang="fr">' in page.data
    user = make_user(locale="en")
    login(client, user)
    page = client.get("/", headers={"Accept-Language": "es"})
    assert b'<html lang="en">' in page.data


def test_pages_are_translated(client):
    page = client.get("/", headers={"Accept-Language": "fr"})
    assert "Des villes qui apprennent des villes" in page.get_data(as_text=True)
    page = client.get("/", headers={"Accept-Language": "es"})
    assert "Ciudades que aprenden de ciudades" in page.get_data(as_text=True)


def test_language_switch_refuses_foreign_next(client):
    response = client.post("/language", data={"lang": "es", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_wtforms_messages_follow_the_reader_language_from_a_catalogue_read_once(app):
    """WTForms' own messages are translated (mentoring.i18n keeps its catalogue per language instead of
    Flask-WTF reading it on every request), and follow ``force_locale``."""
    from flask_babel import force_locale
    from flask_wtf import FlaskForm
    from wtforms import StringField
    from wtforms.validators import DataRequired

    from mentoring.i18n import _wtforms_catalogue

    class Form(FlaskForm):
        name = StringField(validators=[DataRequired()])

    def required_message(**context) -> str:
        with app.test_request_context("/", method="POST", data={}, **context):
            app.preprocess_request()
            form = Form(meta={"csrf": False})
            assert not form.validate()
            message = form.name.errors[0]
            with force_locale("es"):
                spanish = Form(meta={"csrf": False})
                spanish.validate()
            return message, spanish.name.errors[0]

    assert required_message(headers={"Accept-Language": "fr"}) == (
        "Ce champ est requis.", "Este campo es obligatorio.")
    loaded = _wtforms_catalogue.cache_info().misses
    assert required_message(headers={"Accept-Language": "en"})[0] == "This field is required."
    assert required_message(headers={"Accept-Language": "fr"})[0] == "Ce champ est requis."
    assert _wtforms_catalogue.cache_info().misses <= loaded + 1  # English read once; French not again
