"""Peer-Learning Notes are Markdown written by people: they render, and nothing in them runs."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from mentoring.markdown import render_markdown


class Elements(HTMLParser):
    """Every element of a fragment as ``(tag, attributes)``, and its text."""

    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text += data


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(str(html))
    return parser


def tags(html: str) -> list[str]:
    return [tag for tag, _attrs in parse(html).elements]


@pytest.mark.parametrize("payload", [
    "<script>alert(1)</script>",
    "Hello <script>alert(1)</script> world",
    '<img src="x" onerror="alert(1)">',
    '<a href="https://example.org" onclick="alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    '[x](https://example.org "a" onmouseover="alert(1)")',
])
def test_xss_payloads_are_neutralised(payload):
    html = render_markdown(payload)
    parsed = parse(html)
    for tag, attrs in parsed.elements:
        assert tag not in {"script", "img", "iframe", "div", "style"}, html
        assert not any(name.startswith("on") or name == "style" for name in attrs), html
        href = attrs.get("href")
        if href is not None:
            assert href.split(":", 1)[0].lower() in {"http", "https", "mailto"}, html


def test_raw_html_is_shown_as_text_not_markup():
    parsed = parse(render_markdown("Hello <b>bold</b> <script>alert(1)</script>"))
    assert tags(render_markdown("Hello <b>bold</b>")) == ["p"]
    assert "<script>alert(1)</script>" in parsed.text


def test_headings_lists_emphasis_and_links_render():
    html = render_markdown(
        "# Title\n\n## Section\n\nSome **bold**, *emphasis* and ~~old~~ text.\n\n"
        "- one\n- two\n\n1. first\n2. second\n\n"
        "[UCLG](https://www.uclg.org) and [mail](mailto:team@example.org)\n"
    )
    parsed = parse(html)
    found = tags(html)
    # Headings move one level down: the page has its own h1.
    assert found[:2] == ["h2", "h3"]
    for tag in ("strong", "em", "s", "ul", "ol", "li", "a"):
        assert tag in found, tag
    links = [attrs for tag, attrs in parsed.elements if tag == "a"]
    assert [a["href"] for a in links] == ["https://www.uclg.org", "mailto:team@example.org"]
    assert all(a["rel"] == "nofollow noopener" for a in links)


def test_tables_render():
    html = render_markdown("| Area | Before | After |\n| --- | ---: | ---: |\n| Open data | 1 | 3 |\n")
    found = tags(html)
    assert found[:3] == ["table", "thead", "tr"]
    assert found.count("th") == 3 and found.count("td") == 3
    assert "Open data" in parse(html).text


def test_the_drafted_note_renders_with_its_headings(rctx, world):
    from mentoring.services import workspace

    mentorship = world.mentorship()
    html = render_markdown(workspace.draft_note(mentorship, lambda key: key))
    assert "h2" in tags(html) and "ul" in tags(html)
