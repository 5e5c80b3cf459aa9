"""Downloaded files keep their names in every script (RFC 6266 ``filename*``)."""
from __future__ import annotations

from werkzeug.http import parse_options_header

from mentoring.urls import attachment


def filename(header: str) -> str:
    """The name a browser saves the file under (``filename*`` preferred, as RFC 6266 says)."""
    kind, options = parse_options_header(header)
    assert kind == "attachment"
    return options["filename"]


def test_a_unicode_name_is_kept_with_an_ascii_fallback():
    header = attachment("peer-learning-note-Medellín-Dakar", "md")
    assert filename(header) == "peer-learning-note-Medellín-Dakar.md"  # filename* wins
    assert 'filename="peer-learning-note-Medellin-Dakar.md"' in header


def test_separators_and_quotes_cannot_break_the_header():
    header = attachment('São Paulo/"x";\r\nBogotá', "md")
    assert "\r" not in header and "\n" not in header
    assert filename(header) == "São-Paulo-x-Bogotá.md"
    assert attachment("東京", "md").startswith('attachment; filename="download.md"')
