"""Reading pages as a person sees them, for assertions that something is NOT shown.

``"Zoe" not in response.data`` fails whenever "Zoe" happens to occur in a random CSRF token or
another attribute; :func:`visible_text` keeps only the text a reader sees (no tags, attributes,
scripts or styles), by default inside the page's ``<main>`` element.
"""
from __future__ import annotations

from html.parser import HTMLParser

_SKIPPED = {"script", "style", "template"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
         "wbr"}


class _TextParser(HTMLParser):
    def __init__(self, tag: str | None):
        super().__init__(convert_charrefs=True)
        self.tag = tag
        self.depth = 0 if tag else 1  # > 0: inside the wanted element
        self.skipping = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            return
        if tag in _SKIPPED:
            self.skipping += 1
        if self.tag and (self.depth or tag == self.tag):
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        if tag in _SKIPPED and self.skipping:
            self.skipping -= 1
        if self.tag and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and not self.skipping:
            self.parts.append(data)


def visible_text(page, tag: str | None = "main") -> str:
    """The text shown inside the first ``<tag>`` of ``page`` (a response, bytes or str), spaces
    collapsed; ``tag=None`` for the whole document."""
    if hasattr(page, "get_data"):
        page = page.get_data(as_text=True)
    if isinstance(page, bytes):
        page = page.decode("utf-8")
    parser = _TextParser(tag)
    parser.feed(page)
    parser.close()
    return " ".join(" ".join(parser.parts).split())
