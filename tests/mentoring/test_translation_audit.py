"""Every main page of every role, rendered in French and in Spanish on the demo programme, read as a reader
would: no English sentence of the catalogue left, numbers written the language's way, and French
punctuation (a no-break space before ":", ";", "?" and "!").

The pages are those ``tests/pages.py`` finds by following each role's links (as the browser audit does),
on Flask's test client. What the page shows as data is not judged: people's own words (cities' texts,
messages, names), codes, addresses and anything marked ``lang`` in another language or ``translate="no"``.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import func, select

from mentoring import create_app
from mentoring.extensions import db
from tests.conftest import BASE_TEST_CONFIG
from tests.html import Element, parse
from tests.pages import ROLES, main_pages
from tests.pages import sign_in as client_sign_in

CATALOGUES = Path(__file__).resolve().parents[2] / "mentoring" / "translations"
LANGUAGES = ("fr", "es")
# Text that is data, not interface: code, people's own texts (Markdown and plain), form values, and
# notifications (written once in their recipient's language of the day, and kept as written).
DATA_TAGS = {"code", "pre", "kbd", "samp", "textarea", "script", "style", "template", "svg"}
DATA_CLASSES = {"prose", "user-text", "thread__body", "circular-body", "pnarrative", "notification__message"}
ATTRIBUTES = ("placeholder", "aria-label", "title", "alt")
NUMBER_WRONG = {
    # A decimal point in French or Spanish ("0.28" for "0,28"); Spanish groups thousands with a dot,
    # so only one or two decimals after a dot count there.
    "fr": re.compile(r"(?<![\d.\w/-])\d+\.\d+(?![\d.\w/-])"),
    "es": re.compile(r"(?<![\d.\w/-])\d+\.\d{1,2}(?![\d.\w/-])"),
}
PLACEHOLDERS = re.compile(r"%\(\w+\)[sdif]|%[sd]")
PERCENT_GLUED = re.compile(r"\d%")
# A French ":" ";" "?" "!" glued to the word before it (outside addresses and times such as 14:30).
FRENCH_GLUED = re.compile(r"[^\s\u00a0\u202f:;?!/(«\"'’]([:;?!])(?=\s|$|\)|»)")


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """The application on its own SQLite file with the demo programme loaded (as ``make run`` shows it)."""
    from mentoring.services import demo as demo_service
    from mentoring.services.taxonomy import load_commissions, load_taxonomy

    path = tmp_path_factory.mktemp("audit") / "audit.sqlite"
    app = create_app({**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        db.create_all()
        load_taxonomy()
        load_commissions()
        db.session.commit()
    with app.test_request_context():
        demo_service.load_demo(force=True)
        db.session.commit()
    app.config["DEMO_DOMAIN"] = demo_service.DEMO_DOMAIN
    return app


class English:
    """The English msgids whose translation differs: plain ones as they are, those with placeholders as
    patterns of a whole text ("%(num)s cities" matches "12 cities"), when their fixed words say enough."""

    def __init__(self, catalogue):
        self.plain, patterns = set(), []
        for message in catalogue:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for msgid in ids:
                msgid = " ".join((msgid or "").split())
                if not msgid or not any(strings) or msgid in {" ".join(s.split()) for s in strings}:
                    continue
                if "%" not in msgid:
                    if re.search(r"[a-z]{2}", msgid):
                        self.plain.add(msgid)
                    continue
                fixed = PLACEHOLDERS.sub(" ", msgid)
                if len(re.findall(r"[A-Za-z]{3,}", fixed)) >= 3:
                    parts = PLACEHOLDERS.split(msgid)
                    patterns.append(".+?".join(re.escape(part.replace("%%", "%")) for part in parts))
        self.pattern = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None

    def __contains__(self, text: str) -> bool:
        return text in self.plain or bool(self.pattern and self.pattern.fullmatch(text))


@pytest.fixture(scope="module")
def english():
    """:class:`English` for each language's catalogue."""
    out = {}
    for lang in LANGUAGES:
        with (CATALOGUES / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            out[lang] = English(read_po(handle))
    return out


def _readable(root: Element, lang: str):
    """``(text, element)`` pairs of what a reader sees in ``lang``: text nodes and labelling attributes."""
    def walk(node: Element, skip: bool):
        classes = set((node.attrs.get("class") or "").split())
        node_lang = node.attrs.get("lang")
        skip = (skip or node.tag in DATA_TAGS or bool(classes & DATA_CLASSES) or node.attrs.get("translate") == "no"
                or (node_lang is not None and node.tag != "html" and not node_lang.startswith(lang))
                or "hidden" in node.attrs)
        if not skip:
            for name in ATTRIBUTES:
                if node.attrs.get(name):
                    yield node.attrs[name], node
        for child in node.children:
            if isinstance(child, str):
                text = " ".join(child.split())
                if text and not skip:
                    yield text, node
            else:
                yield from walk(child, skip)

    yield from walk(root, False)


def _problems(html: str, lang: str, english: English) -> list[str]:
    found = []
    for text, node in _readable(parse(html), lang):
        # Country and language switchers list every language's own name; an option is a choice of data.
        if node.tag == "option" and node.parent is not None and node.parent.attrs.get("id") == "lang-select":
            continue
        if text in english:
            found.append(f"English: {text!r} <{node.tag}>")
        for match in NUMBER_WRONG[lang].finditer(text):
            found.append(f"number: {match.group(0)!r} in {text[:80]!r}")
        if PERCENT_GLUED.search(text):
            found.append(f"percent: {text[:80]!r}")
        if lang == "fr":
            raw_text = text.replace("\u202f", "\u00a0")
            for match in FRENCH_GLUED.finditer(raw_text):
                found.append(f"punctuation {match.group(1)!r}: {text[max(0, match.start() - 40):match.end() + 20]!r}")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_reads_entirely_in_french_and_spanish(demo_app, english, role, lang):
    from mentoring.models import User

    client = demo_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = f"{lang},en;q=0.3"
    account = ROLES[role]
    if account:
        email = f"{account}@{demo_app.config['DEMO_DOMAIN']}"
        with demo_app.app_context():
            db.session.scalar(select(User).where(func.lower(User.email) == email)).locale = lang
            db.session.commit()
        client_sign_in(demo_app, client, email)
    pages = main_pages(demo_app, client)
    assert len(pages) >= 3
    report = {}
    for path in sorted(pages.values()):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert f'lang="{lang}"' in html[:300], f"{path} is not served in {lang}"
        problems = _problems(html, lang, english[lang])
        if problems:
            report[path] = sorted(set(problems))
    assert report == {}, "\n".join(f"{path}:\n  " + "\n  ".join(p) for path, p in report.items())


def test_the_audit_sees_english_numbers_and_glued_colons(demo_app, english):
    """The audit itself: an English page read as French fails on sentences, numbers and colons."""
    client = demo_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get("/auth/login").get_data(as_text=True)
    problems = _problems(html + "<p>Score 0.28</p><p>Résultat: atteint</p><p>Free mentor places: 2 of 3.</p>", "fr", english["fr"])
    assert any(p.startswith("English: 'Sign in'") for p in problems)
    assert "English: 'Free mentor places: 2 of 3.' <p>" in problems  # a message with placeholders
    assert any(p.startswith("number: '0.28'") for p in problems)
    assert any(p.startswith("punctuation ':'") and "Résultat" in p for p in problems)
    assert _problems("<p>Résultat\u202f: atteint, 0,28, 14:30, https://example.org</p>", "fr", english["fr"]) == []
    assert _problems("<p>12.345 ciudades, 0,28</p>", "es", english["es"]) == []
