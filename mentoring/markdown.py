"""Markdown written by people (the Peer-Learning Note) turned into safe HTML.

markdown-it-py parses CommonMark (plus tables and strikethrough) with raw HTML turned off, so
``<script>`` typed in a note is shown as text; nh3 then keeps only an allow-list of tags and
attributes, links to http, https and mailto addresses only, each with ``rel="nofollow noopener"``.
Two layers: a parser bug cannot turn into a script on the page.
"""
from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}

_parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def render_markdown(text: str | None) -> Markup:
    """Safe HTML for ``text``; headings move one level down (the page has its own ``h1``)."""
    tokens = _parser.parse(text or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
    html = _parser.renderer.render(tokens, _parser.options, {})
    return Markup(nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                            link_rel="nofollow noopener", strip_comments=True))
