"""Pages as elements, for assertions about what a page shows (and does not show) in one place.

Asserting that a word is absent from a whole raw page fails at random (a CSRF token or a nonce
may contain it); assert on the elements that matter instead::

    rows = texts(page, "tbody tr")
    assert any("Ada" in row for row in rows) and not any("Zoe" in row for row in rows)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SKIPPED = {"script", "style", "template"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)
    parent: Element | None = None

    @property
    def text(self) -> str:
        """The visible text, whitespace collapsed."""
        parts: list[str] = []

        def walk(node: Element) -> None:
            if node.tag in SKIPPED:
                return
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                else:
                    walk(child)

        walk(self)
        return " ".join(" ".join(parts).split())

    def iter(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def matches(self, simple: str) -> bool:
        """``tag``, ``.class``, ``#id``, ``tag.class`` or ``[attr=value]`` (one simple selector)."""
        tag, _, rest = simple.partition("[")
        if rest:
            name, _, value = rest.rstrip("]").partition("=")
            if self.attrs.get(name) is None or (value and self.attrs.get(name) != value.strip("\"'")):
                return False
        if "#" in tag:
            tag, _, ident = tag.partition("#")
            if self.attrs.get("id") != ident:
                return False
        tag, *classes = tag.split(".")
        if tag and tag != self.tag:
            return False
        return set(classes) <= set((self.attrs.get("class") or "").split())

    def select(self, selector: str) -> list[Element]:
        """Elements matching a descendant selector such as ``"tbody tr"`` or ``"table.users td"``."""
        found = [self]
        for simple in selector.split():
            unique: dict[int, Element] = {}
            for root in found:
                for element in root.iter():
                    if element.matches(simple):
                        unique.setdefault(id(element), element)
            found = list(unique.values())
        return found


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Element("#document")

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: (v if v is not None else "") for k, v in attrs}, parent=self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, {k: v or "" for k, v in attrs}, parent=self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(page) -> Element:
    """The document of ``page`` (a response, bytes or text)."""
    if hasattr(page, "get_data"):
        page = page.get_data(as_text=True)
    if isinstance(page, bytes):
        page = page.decode("utf-8")
    builder = _Builder()
    builder.feed(page)
    builder.close()
    return builder.root


def find(page, selector: str) -> list[Element]:
    return parse(page).select(selector)


def texts(page, selector: str) -> list[str]:
    """The visible text of each element matching ``selector``."""
    return [e.text for e in find(page, selector)]


def visible_text(page, tag: str | None = None) -> str:
    """The visible text (no markup, scripts, attributes or hidden tokens) of the page, or of its
    first ``tag`` element (e.g. ``"main"``, to leave the menus out)."""
    root = parse(page)
    if tag is not None:
        found = root.select(tag)
        return found[0].text if found else ""
    return root.text
